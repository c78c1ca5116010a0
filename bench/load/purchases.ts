/**
 * Load scenario (a), the seeds' "Ticket Purchases (Ramping VUs)": buyers that each loop hold → purchase
 * (a fresh Idempotency-Key per purchase, as a browser retrying a new checkout would), ramped in the
 * seeds' stages scaled to the run's length: 0 → a fifth of the peak (2/12 of the run), → the peak
 * (5/12), the peak held (3/12), → 0 (2/12). Records the hold, the purchase and the whole flow.
 */
import { randomUUID } from 'node:crypto';
import { type Answer, keepAliveAgent, rampingVus, type Series, type Stage, send } from './generator';
import { type ScenarioResult, scenario } from './scenario';

export interface PurchaseOptions {
  base: string;
  eventId: string;
  ticketTypeId: string;
  /** One JWT per buyer; buyer n uses tokens[n % length]. */
  buyerTokens: readonly string[];
  peakBuyers: number;
  seconds: number;
  thinkMs: number;
}

/** The seeds' purchase stages (2 + 5 + 3 + 2 minutes) scaled to `seconds`. */
export function purchaseStages(peak: number, seconds: number): Stage[] {
  const unit = seconds / 12;
  return [
    { seconds: 2 * unit, target: Math.max(1, Math.round(peak / 5)) },
    { seconds: 5 * unit, target: peak },
    { seconds: 3 * unit, target: peak },
    { seconds: 2 * unit, target: 0 },
  ];
}

/** Runs the purchase scenario; returns its series and counters. */
export async function runPurchases(options: PurchaseOptions): Promise<ScenarioResult> {
  const result = scenario('purchases', ['hold', 'purchase'], ['purchase flow']);
  const [hold, purchase, flow] = result.series as [Series, Series, Series];
  const agent = keepAliveAgent(options.peakBuyers);
  const holdBody = JSON.stringify({ items: [{ ticketTypeId: options.ticketTypeId, quantity: 1 }] });
  const counters = { flowsStarted: 0, flowsFailed: 0, holdsOk: 0, purchasesOk: 0 };
  const run = await rampingVus({
    stages: purchaseStages(options.peakBuyers, options.seconds),
    thinkMs: options.thinkMs,
    iteration: async (vu) => {
      const token = options.buyerTokens[vu % options.buyerTokens.length]!;
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      counters.flowsStarted++;
      const held = await send(
        agent,
        options.base,
        'POST',
        `/api/v1/events/${options.eventId}/reservations`,
        headers,
        holdBody,
      );
      hold.add(held, held.status === 201);
      const reservationId = held.status === 201 ? idOf(held) : undefined;
      if (!reservationId) {
        counters.flowsFailed++;
        return;
      }
      counters.holdsOk++;
      const bought = await send(
        agent,
        options.base,
        'POST',
        `/api/v1/reservations/${reservationId}/purchase`,
        { ...headers, 'idempotency-key': `load-${randomUUID()}` },
        '{"paymentToken":"tok_visa"}',
      );
      purchase.add(bought, bought.status === 201);
      flow.add({ ...bought, ms: held.ms + bought.ms }, bought.status === 201);
      if (bought.status === 201) counters.purchasesOk++;
      else counters.flowsFailed++;
    },
  });
  agent.destroy();
  result.counters = {
    ...counters,
    iterationsAbandoned: run.iterations - run.completed,
    peakVus: run.peakVus,
  };
  return result;
}

function idOf(answer: Answer): string | undefined {
  try {
    const id = (JSON.parse(answer.body) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
