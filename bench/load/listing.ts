/**
 * Load scenario (c), the seeds' "Ticket Listings (Constant Arrival Rate)": GET /api/v1/me/tickets by
 * ticket holders at a constant rate whatever the answers take, with at most 100 requests in flight (the
 * seeds' 100 pre-allocated VUs); an arrival beyond that is dropped and counted.
 */
import { constantArrivals, keepAliveAgent, type Series, send } from './generator';
import { type ScenarioResult, scenario } from './scenario';

export interface ListingOptions {
  base: string;
  holderTokens: readonly string[];
  perSecond: number;
  seconds: number;
  maxInFlight?: number;
}

/** Runs the listing scenario; a 200 that lists no tickets counts as failed (every holder has some). */
export async function runListing(options: ListingOptions): Promise<ScenarioResult> {
  if (options.holderTokens.length === 0) throw new RangeError('runListing: no ticket holders');
  const result = scenario('ticket listing', ['list my tickets']);
  const [list] = result.series as [Series];
  const maxInFlight = options.maxInFlight ?? 100;
  const agent = keepAliveAgent(maxInFlight);
  const run = await constantArrivals({
    perSecond: options.perSecond,
    seconds: options.seconds,
    maxInFlight,
    iteration: async (n) => {
      const token = options.holderTokens[n % options.holderTokens.length]!;
      const answer = await send(agent, options.base, 'GET', '/api/v1/me/tickets?limit=20', {
        authorization: `Bearer ${token}`,
      });
      let listed = 0;
      if (answer.status === 200) {
        try {
          listed = ((JSON.parse(answer.body) as { items?: unknown[] }).items ?? []).length;
        } catch {
          listed = 0;
        }
      }
      list.add(answer, listed > 0);
    },
  });
  agent.destroy();
  result.counters = { arrivals: run.started, dropped: run.dropped };
  return result;
}
