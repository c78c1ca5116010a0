/**
 * Bad input (SPEC section 10): malformed JSON, wrong types, unknown fields, negative or huge numbers,
 * oversized bodies, wrong media types and injection strings all answer 4xx with the error envelope,
 * write nothing, and leave the process serving.
 */
import { randomUUID } from 'node:crypto';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, gates, reservations, type scans, ticketTypes, venues } from '../db/schema';
import { createTestCloud, type SeededEvent, seedEvent, type TestCloud } from '../test-support/cloud';

let cloud: TestCloud;
let seeded: SeededEvent;
let customer: string;
let staff: string;

beforeAll(async () => {
  cloud = await createTestCloud();
  seeded = await seedEvent(cloud, { capacities: [10] });
  customer = await cloud.token('customer', seeded.tenant);
  staff = await cloud.token('venue_staff', seeded.tenant);
});

afterAll(async () => {
  await cloud?.close();
});

async function counts() {
  const db = cloud.database.db;
  const one = async (
    table:
      | typeof venues
      | typeof gates
      | typeof events
      | typeof ticketTypes
      | typeof reservations
      | typeof scans,
  ) => (await db.select({ n: count() }).from(table))[0]!.n;
  return {
    venues: await one(venues),
    gates: await one(gates),
    events: await one(events),
    ticketTypes: await one(ticketTypes),
    reservations: await one(reservations),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies of every shape
type AnyBody = any;

function expectEnvelope(
  response: { status: number; body: AnyBody; headers: Headers },
  status: number,
  code?: string,
) {
  expect(response.status).toBe(status);
  expect(response.body).toEqual({
    error: { code: code ?? expect.any(String), message: expect.any(String), requestId: expect.any(String) },
  });
  expect(response.headers.get('x-request-id')).toBe(response.body.error.requestId);
  // No internals: no stack frames, SQL or driver names.
  expect(response.body.error.message).not.toMatch(
    /\bat \w+ \(|select |insert |update |drizzle|postgres|pglite|node_modules/i,
  );
}

const INJECTIONS = [
  "'; DROP TABLE venues; --",
  '" OR 1=1 --',
  '<script>alert(1)</script>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, on purpose
  '{{7*7}}${7*7}',
  '../../etc/passwd',
  '\u0000\u202e',
  'x'.repeat(10_000),
];

describe('malformed requests', () => {
  it('answers 400 MALFORMED_JSON to broken JSON', async () => {
    const before = await counts();
    const response = await cloud.call('POST', '/api/v1/venues', {
      token: seeded.adminToken,
      body: '{"name": "A",',
    });
    expectEnvelope(response, 400, 'MALFORMED_JSON');
    expect(await counts()).toEqual(before);
  });

  it('answers 415 to a body that is not JSON', async () => {
    const response = await cloud.call('POST', '/api/v1/venues', {
      token: seeded.adminToken,
      body: 'name=A&timezone=UTC',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectEnvelope(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers 400 to a missing body', async () => {
    const response = await cloud.call('POST', '/api/v1/venues', { token: seeded.adminToken });
    expectEnvelope(response, 400, 'VALIDATION_FAILED');
  });

  it('answers 413 to a body over 1 MiB', async () => {
    const before = await counts();
    const response = await cloud.call('POST', '/api/v1/venues', {
      token: seeded.adminToken,
      body: { name: 'x'.repeat(1024 * 1024 + 10), timezone: 'UTC' },
    });
    expectEnvelope(response, 413, 'PAYLOAD_TOO_LARGE');
    expect(await counts()).toEqual(before);
  });

  it('answers 400 to ids that are not UUIDs and cursors it did not make', async () => {
    expectEnvelope(
      await cloud.call('GET', '/api/v1/events/1%20OR%201=1', { token: customer }),
      400,
      'VALIDATION_FAILED',
    );
    expectEnvelope(
      await cloud.call('GET', '/api/v1/events?cursor=abc', { token: customer }),
      400,
      'VALIDATION_FAILED',
    );
    expectEnvelope(
      await cloud.call('GET', '/api/v1/events?limit=100000', { token: customer }),
      400,
      'VALIDATION_FAILED',
    );
    expectEnvelope(
      await cloud.call('GET', '/api/v1/events?limit=-1', { token: customer }),
      400,
      'VALIDATION_FAILED',
    );
  });
});

describe('validation of writes', () => {
  const ticketType = (patch: Record<string, unknown>) => ({
    name: 'T',
    priceCents: 100,
    currency: 'EUR',
    capacity: 5,
    ...patch,
  });
  const cases: [string, string, () => string, () => unknown][] = [
    [
      'unknown field on venue',
      'POST',
      () => '/api/v1/venues',
      () => ({ name: 'A', timezone: 'UTC', admin: true }),
    ],
    ['wrong type on venue', 'POST', () => '/api/v1/venues', () => ({ name: 42, timezone: 'UTC' })],
    ['unknown time zone', 'POST', () => '/api/v1/venues', () => ({ name: 'A', timezone: 'Mars/Olympus' })],
    ['array instead of object', 'POST', () => '/api/v1/venues', () => [{ name: 'A', timezone: 'UTC' }]],
    [
      'negative price',
      'POST',
      () => `/api/v1/events/${seeded.eventId}/ticket-types`,
      () => ticketType({ priceCents: -1 }),
    ],
    [
      'huge capacity',
      'POST',
      () => `/api/v1/events/${seeded.eventId}/ticket-types`,
      () => ticketType({ capacity: 1e12 }),
    ],
    [
      'fractional capacity',
      'POST',
      () => `/api/v1/events/${seeded.eventId}/ticket-types`,
      () => ticketType({ capacity: 1.5 }),
    ],
    [
      'lowercase currency',
      'POST',
      () => `/api/v1/events/${seeded.eventId}/ticket-types`,
      () => ticketType({ currency: 'eur' }),
    ],
    [
      'unknown gate',
      'POST',
      () => `/api/v1/events/${seeded.eventId}/ticket-types`,
      () => ticketType({ gates: [randomUUID()] }),
    ],
    [
      'unknown field on ticket type',
      'POST',
      () => `/api/v1/events/${seeded.eventId}/ticket-types`,
      () => ticketType({ sold: 0 }),
    ],
    [
      'event ending before it starts',
      'POST',
      () => '/api/v1/events',
      () => ({
        venueId: seeded.venueId,
        name: 'E',
        startsAt: '2027-06-01T22:00:00Z',
        endsAt: '2027-06-01T18:00:00Z',
      }),
    ],
    [
      'event time without offset',
      'POST',
      () => '/api/v1/events',
      () => ({
        venueId: seeded.venueId,
        name: 'E',
        startsAt: '2027-06-01 18:00',
        endsAt: '2027-06-01T22:00:00Z',
      }),
    ],
    ['empty patch', 'PATCH', () => `/api/v1/events/${seeded.eventId}`, () => ({})],
    [
      'patch of the status',
      'PATCH',
      () => `/api/v1/events/${seeded.eventId}`,
      () => ({ status: 'cancelled' }),
    ],
  ];
  it.each(cases)('%s → 400, nothing written', async (_name, method, path, body) => {
    const before = await counts();
    expectEnvelope(
      await cloud.call(method, path(), { token: seeded.adminToken, body: body() }),
      400,
      'VALIDATION_FAILED',
    );
    expect(await counts()).toEqual(before);
  });

  const holdCases: [string, unknown][] = [
    ['zero quantity', { items: [{ ticketTypeId: 'T', quantity: 0 }] }],
    ['negative quantity', { items: [{ ticketTypeId: 'T', quantity: -5 }] }],
    ['huge quantity', { items: [{ ticketTypeId: 'T', quantity: 2 ** 53 }] }],
    ['string quantity', { items: [{ ticketTypeId: 'T', quantity: '1' }] }],
    ['no items', { items: [] }],
    ['unknown item field', { items: [{ ticketTypeId: 'T', quantity: 1, priceCents: 0 }] }],
    ['unknown ticket type', { items: [{ ticketTypeId: randomUUID(), quantity: 1 }] }],
  ];
  it.each(holdCases)('hold with %s → 400, no seats held', async (_name, body) => {
    const patched = JSON.parse(
      JSON.stringify(body).replaceAll('"T"', JSON.stringify(seeded.ticketTypeIds[0])),
    );
    const before = await counts();
    const response = await cloud.call('POST', `/api/v1/events/${seeded.eventId}/reservations`, {
      token: customer,
      body: patched,
    });
    expectEnvelope(response, 400, 'VALIDATION_FAILED');
    expect(await counts()).toEqual(before);
    const [type] = await cloud.database.db
      .select()
      .from(ticketTypes)
      .where(eq(ticketTypes.id, seeded.ticketTypeIds[0]!));
    expect(type!.taken).toBe(0);
  });

  it('requires an Idempotency-Key on purchase', async () => {
    const hold = await cloud.call('POST', `/api/v1/events/${seeded.eventId}/reservations`, {
      token: customer,
      body: { items: [{ ticketTypeId: seeded.ticketTypeIds[0], quantity: 1 }] },
    });
    const missing = await cloud.call('POST', `/api/v1/reservations/${hold.body.id}/purchase`, {
      token: customer,
      body: { paymentToken: 'tok_visa' },
    });
    expectEnvelope(missing, 400, 'IDEMPOTENCY_KEY_REQUIRED');
    const short = await cloud.call('POST', `/api/v1/reservations/${hold.body.id}/purchase`, {
      token: customer,
      headers: { 'idempotency-key': 'x' },
      body: { paymentToken: 'tok_visa' },
    });
    expectEnvelope(short, 400, 'VALIDATION_FAILED');
    await cloud.call('DELETE', `/api/v1/reservations/${hold.body.id}`, { token: customer });
  });

  it('capacity never goes below sold + held', async () => {
    const hold = await cloud.call('POST', `/api/v1/events/${seeded.eventId}/reservations`, {
      token: customer,
      body: { items: [{ ticketTypeId: seeded.ticketTypeIds[0], quantity: 3 }] },
    });
    expect(hold.status).toBe(201);
    const response = await cloud.call(
      'PATCH',
      `/api/v1/events/${seeded.eventId}/ticket-types/${seeded.ticketTypeIds[0]}`,
      {
        token: seeded.adminToken,
        body: { capacity: 2 },
      },
    );
    expectEnvelope(response, 409, 'CAPACITY_BELOW_SOLD');
    const ok = await cloud.call(
      'PATCH',
      `/api/v1/events/${seeded.eventId}/ticket-types/${seeded.ticketTypeIds[0]}`,
      {
        token: seeded.adminToken,
        body: { capacity: 3 },
      },
    );
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ capacity: 3, held: 3, available: 0 });
    await cloud.call('DELETE', `/api/v1/reservations/${hold.body.id}`, { token: customer });
    await cloud.call('PATCH', `/api/v1/events/${seeded.eventId}/ticket-types/${seeded.ticketTypeIds[0]}`, {
      token: seeded.adminToken,
      body: { capacity: 10 },
    });
  });
});

describe('injection strings', () => {
  it.each(INJECTIONS.map((s) => [s.slice(0, 30), s]))(
    'are stored as text or refused, never interpreted: %s',
    async (_label, text) => {
      const created = await cloud.call('POST', '/api/v1/venues', {
        token: seeded.adminToken,
        body: { name: text, timezone: 'UTC' },
      });
      if (created.status === 201) {
        const read = await cloud.call('GET', `/api/v1/venues/${created.body.id}`, {
          token: seeded.adminToken,
        });
        expect(read.body.name).toBe(text.trim());
      } else {
        expectEnvelope(created, 400, 'VALIDATION_FAILED');
      }
      const scan = await cloud.call('POST', '/api/v1/validate', {
        token: staff,
        body: { qr: text.slice(0, 1024), gateId: seeded.gateIds[0] },
      });
      expect(scan.status).toBe(200);
      expect(scan.body).toMatchObject({ decision: 'reject', reason: 'INVALID' });
      // The tables are still there and the process still answers.
      expect((await cloud.call('GET', '/api/v1/venues', { token: seeded.adminToken })).status).toBe(200);
    },
  );
});

describe('business errors', () => {
  it('answers 409 HAS_TICKETS when deleting an event with sales, 409 on a second publish', async () => {
    const event = await seedEvent(cloud, { capacities: [5] });
    const buyer = await cloud.token('customer', event.tenant);
    const hold = await cloud.call('POST', `/api/v1/events/${event.eventId}/reservations`, {
      token: buyer,
      body: { items: [{ ticketTypeId: event.ticketTypeIds[0], quantity: 1 }] },
    });
    await cloud.call('POST', `/api/v1/reservations/${hold.body.id}/purchase`, {
      token: buyer,
      headers: { 'idempotency-key': `k-${randomUUID()}` },
      body: { paymentToken: 'tok_ok' },
    });
    expectEnvelope(
      await cloud.call('DELETE', `/api/v1/events/${event.eventId}`, { token: event.adminToken }),
      409,
      'HAS_TICKETS',
    );
    expectEnvelope(
      await cloud.call('POST', `/api/v1/events/${event.eventId}/publish`, { token: event.adminToken }),
      409,
      'EVENT_NOT_DRAFT',
    );
  });

  it('answers 404 for unknown routes and 404 for a hold on a draft', async () => {
    expectEnvelope(await cloud.call('GET', '/api/v1/nothing-here', { token: customer }), 404, 'NOT_FOUND');
    const draft = await seedEvent(cloud, { publish: false, tenant: seeded.tenant });
    const response = await cloud.call('POST', `/api/v1/events/${draft.eventId}/reservations`, {
      token: customer,
      body: { items: [{ ticketTypeId: draft.ticketTypeIds[0], quantity: 1 }] },
    });
    expectEnvelope(response, 404, 'NOT_FOUND');
  });
});

describe('unexpected failures', () => {
  it('answer 500 INTERNAL without details, and the process keeps serving', async () => {
    const hold = await cloud.call('POST', `/api/v1/events/${seeded.eventId}/reservations`, {
      token: customer,
      body: { items: [{ ticketTypeId: seeded.ticketTypeIds[0], quantity: 1 }] },
    });
    const original = cloud.payments.charge.bind(cloud.payments);
    cloud.payments.charge = async () => {
      throw new Error('provider exploded at /srv/secret/path with key sk_live_123');
    };
    try {
      const response = await cloud.call('POST', `/api/v1/reservations/${hold.body.id}/purchase`, {
        token: customer,
        headers: { 'idempotency-key': `k-${randomUUID()}` },
        body: { paymentToken: 'tok_visa' },
      });
      expectEnvelope(response, 500, 'INTERNAL');
      expect(JSON.stringify(response.body)).not.toMatch(/exploded|secret|sk_live/);
    } finally {
      cloud.payments.charge = original;
    }
    expect((await cloud.call('GET', '/api/v1/events', { token: customer })).status).toBe(200);
    await cloud.call('DELETE', `/api/v1/reservations/${hold.body.id}`, { token: customer });
  });
});
