/**
 * What the load test's scenarios need, made through the public API of the cloud under test: a tenant
 * with a venue, a gate, an event whose doors are open now (so online validation takes the full accept
 * path) and a ticket type with room for every purchase of the run; customers who already hold tickets
 * (their QR codes are what the stewards scan, their lists what the listing scenario reads); a steward.
 */
import { randomUUID } from 'node:crypto';
import type { BenchCloud } from '../lib/cloud-process';
import { publishedEvent } from '../lib/published-event';

export interface LoadSeed {
  tenant: string;
  eventId: string;
  ticketTypeId: string;
  gateId: string;
  /** Customers with tickets: their JWTs. */
  holderTokens: string[];
  /** QR codes of the holders' tickets. */
  qrCodes: string[];
  stewardToken: string;
}

interface Purchase {
  tickets: Array<{ id: string; qr: string }>;
}

/**
 * Seeds `holders` customers with `ticketsEach` tickets each (one hold and one purchase per customer,
 * at most 50 tickets: the API's limit per reservation).
 */
export async function seedLoad(
  cloud: BenchCloud,
  options: { holders: number; ticketsEach: number; scanEvent?: 'same' | 'separate' },
): Promise<LoadSeed> {
  if (options.ticketsEach < 1 || options.ticketsEach > 50)
    throw new RangeError('seedLoad: ticketsEach must be 1 to 50 (one reservation)');
  const tenant = `load-${randomUUID()}`;
  const venue = await cloud.api('admin', tenant, 'POST', '/api/v1/venues', {
    name: 'Load Arena',
    timezone: 'UTC',
  });
  const gate = await cloud.api('admin', tenant, 'POST', `/api/v1/venues/${venue.id}/gates`, {
    name: 'Main entrance',
  });
  const now = Date.now();
  const openEvent = (name: string) =>
    publishedEvent(
      cloud,
      tenant,
      {
        venueId: venue.id,
        name,
        startsAt: new Date(now - 3_600_000),
        endsAt: new Date(now + 86_400_000),
        doorsOpenAt: new Date(now - 7_200_000),
      },
      { name: 'General admission', priceCents: 3900, capacity: 1_000_000 },
    );
  const { eventId, ticketTypeId } = await openEvent('Load Night');
  // The stewards' tickets: of the event on sale (the seeds' run), or of a second event at the same door.
  const scanned = options.scanEvent === 'separate' ? await openEvent('Load Night (other event)') : undefined;
  const holderEventId = scanned?.eventId ?? eventId;
  const holderTypeId = scanned?.ticketTypeId ?? ticketTypeId;

  const holderTokens: string[] = [];
  const qrCodes: string[] = [];
  for (let i = 0; i < options.holders; i++) {
    const token = await cloud.token('customer', tenant, `holder-${i}`);
    const hold = await call<{ id: string }>(
      cloud,
      token,
      'POST',
      `/api/v1/events/${holderEventId}/reservations`,
      {
        items: [{ ticketTypeId: holderTypeId, quantity: options.ticketsEach }],
      },
    );
    const purchase = await call<Purchase>(
      cloud,
      token,
      'POST',
      `/api/v1/reservations/${hold.id}/purchase`,
      { paymentToken: 'tok_visa' },
      { 'idempotency-key': `seed-${randomUUID()}` },
    );
    holderTokens.push(token);
    qrCodes.push(...purchase.tickets.map((t) => t.qr));
  }
  return {
    tenant,
    eventId,
    ticketTypeId,
    gateId: gate.id,
    holderTokens,
    qrCodes,
    stewardToken: await cloud.token('venue_staff', tenant, 'steward-1'),
  };
}

async function call<T>(
  cloud: BenchCloud,
  token: string,
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const response = await fetch(`${cloud.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`seed: ${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json as T;
}
