/**
 * Capacity and idempotency under concurrency, on real PostgreSQL when TEST_DATABASE_URL is set (PGlite
 * otherwise, where transactions serialize): concurrent holds for the last seats grant exactly the
 * capacity; released and expired holds give seats back; a purchase after expiry answers 410; one
 * Idempotency-Key never makes a second order, also when the requests race.
 */
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orders, reservations, tickets, ticketTypes } from '../db/schema';
import { releaseExpiredHolds } from '../services/reservations';
import { createTestCloud, type SeededEvent, seedEvent, type TestCloud } from '../test-support/cloud';

let cloud: TestCloud;

beforeAll(async () => {
  cloud = await createTestCloud({ RESERVATION_TTL_SECONDS: '60' });
});

afterAll(async () => {
  await cloud?.close();
});

async function typeRow(id: string) {
  const [row] = await cloud.database.db.select().from(ticketTypes).where(eq(ticketTypes.id, id));
  return row!;
}

async function hold(seeded: SeededEvent, token: string, quantity = 1, typeIndex = 0) {
  return cloud.call('POST', `/api/v1/events/${seeded.eventId}/reservations`, {
    token,
    body: { items: [{ ticketTypeId: seeded.ticketTypeIds[typeIndex], quantity }] },
  });
}

async function purchase(reservationId: string, token: string, key: string, paymentToken = 'tok_visa') {
  return cloud.call('POST', `/api/v1/reservations/${reservationId}/purchase`, {
    token,
    headers: { 'idempotency-key': key },
    body: { paymentToken },
  });
}

describe(`no oversell (${process.env['TEST_DATABASE_URL'] ? 'postgres' : 'pglite'})`, () => {
  it('grants exactly the capacity to 60 concurrent holds for 10 seats', async () => {
    const seeded = await seedEvent(cloud, { capacities: [10] });
    const tokens = await Promise.all(
      Array.from({ length: 60 }, () => cloud.token('customer', seeded.tenant)),
    );
    const results = await Promise.all(tokens.map((token) => hold(seeded, token)));
    const granted = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 409);
    expect(granted).toHaveLength(10);
    expect(refused).toHaveLength(50);
    for (const r of refused) expect(r.body.error.code).toBe('SOLD_OUT');
    const row = await typeRow(seeded.ticketTypeIds[0]!);
    expect(row.taken).toBe(10);
  });

  it('never oversells when concurrent buyers hold and purchase multi-seat orders', async () => {
    const seeded = await seedEvent(cloud, { capacities: [25] });
    const attempts = Array.from({ length: 40 }, (_, i) => ({ quantity: (i % 3) + 1 }));
    const outcomes = await Promise.all(
      attempts.map(async ({ quantity }) => {
        const token = await cloud.token('customer', seeded.tenant);
        const held = await hold(seeded, token, quantity);
        if (held.status !== 201) return 0;
        const bought = await purchase(held.body.id, token, `k-${randomUUID()}`);
        expect(bought.status).toBe(201);
        return quantity;
      }),
    );
    const soldByResponses = outcomes.reduce((a, b) => a + b, 0);
    const row = await typeRow(seeded.ticketTypeIds[0]!);
    const [issued] = await cloud.database.db
      .select({ count: sql<number>`count(*)::int` })
      .from(tickets)
      .where(eq(tickets.ticketTypeId, seeded.ticketTypeIds[0]!));
    expect(issued!.count).toBe(soldByResponses);
    // Every hold was bought: the seats taken are exactly the tickets issued, never above capacity.
    expect(row.taken).toBe(soldByResponses);
    expect(row.taken).toBeLessThanOrEqual(25);
    // Serials are unique per event even though they were allocated concurrently.
    const serials = await cloud.database.db
      .select({ serial: tickets.serial })
      .from(tickets)
      .where(eq(tickets.eventId, seeded.eventId));
    expect(new Set(serials.map((s) => s.serial)).size).toBe(serials.length);
  });

  it('keeps held = sum of active holds through random hold / release / buy / expire sequences', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            op: fc.constantFrom('hold', 'release', 'buy', 'expire'),
            qty: fc.integer({ min: 1, max: 4 }),
          }),
          {
            minLength: 1,
            maxLength: 12,
          },
        ),
        async (ops) => {
          const seeded = await seedEvent(cloud, { capacities: [6] });
          const token = await cloud.token('customer', seeded.tenant);
          const open: string[] = [];
          await Promise.all(
            ops.map(async ({ op, qty }) => {
              if (op === 'hold') {
                const r = await hold(seeded, token, qty);
                if (r.status === 201) open.push(r.body.id);
                else expect(r.body.error.code).toBe('SOLD_OUT');
              } else if (op === 'release' && open.length > 0) {
                await cloud.call('DELETE', `/api/v1/reservations/${open.shift()}`, { token });
              } else if (op === 'buy' && open.length > 0) {
                await purchase(open.shift()!, token, `k-${randomUUID()}`);
              } else if (op === 'expire') {
                await releaseExpiredHolds(cloud.services, {
                  now: cloud.now() + 120_000,
                  eventId: seeded.eventId,
                });
              }
            }),
          );
          const row = await typeRow(seeded.ticketTypeIds[0]!);
          const active = await cloud.database.db
            .select({ items: reservations.items })
            .from(reservations)
            .where(sql`${reservations.eventId} = ${seeded.eventId} and ${reservations.status} = 'active'`);
          const heldByHolds = active.reduce((sum, r) => sum + r.items.reduce((s, i) => s + i.quantity, 0), 0);
          const [issued] = await cloud.database.db
            .select({ count: sql<number>`count(*)::int` })
            .from(tickets)
            .where(eq(tickets.eventId, seeded.eventId));
          expect(row.taken).toBe(heldByHolds + issued!.count);
          expect(row.taken).toBeLessThanOrEqual(row.capacity);
        },
      ),
      { numRuns: 8 },
    );
  });
});

describe('hold expiry', () => {
  it('returns the seats of expired holds and answers 410 to a late purchase', async () => {
    const seeded = await seedEvent(cloud, { capacities: [2] });
    const early = await cloud.token('customer', seeded.tenant);
    const late = await cloud.token('customer', seeded.tenant);
    const first = await hold(seeded, early, 2);
    expect(first.status).toBe(201);
    expect((await hold(seeded, late, 1)).status).toBe(409);

    cloud.advance(61_000);
    try {
      // The lazy sweep before refusing gives the expired seats to the next buyer.
      const second = await hold(seeded, late, 2);
      expect(second.status).toBe(201);
      const gone = await purchase(first.body.id, early, `k-${randomUUID()}`);
      expect(gone.status).toBe(410);
      expect(gone.body.error.code).toBe('RESERVATION_EXPIRED');
      const row = await typeRow(seeded.ticketTypeIds[0]!);
      expect(row.taken).toBe(2);
      const [order] = await cloud.database.db
        .select()
        .from(orders)
        .where(eq(orders.reservationId, first.body.id));
      expect(order).toBeUndefined();
    } finally {
      cloud.advance(-61_000);
    }
  });

  it('the periodic sweep releases every expired hold once', async () => {
    const seeded = await seedEvent(cloud, { capacities: [5] });
    const token = await cloud.token('customer', seeded.tenant);
    for (let i = 0; i < 3; i++) expect((await hold(seeded, token, 1)).status).toBe(201);
    const later = cloud.now() + 61_000;
    const [a, b] = await Promise.all([
      releaseExpiredHolds(cloud.services, { now: later, eventId: seeded.eventId }),
      releaseExpiredHolds(cloud.services, { now: later, eventId: seeded.eventId }),
    ]);
    expect(a + b).toBe(3);
    expect((await typeRow(seeded.ticketTypeIds[0]!)).taken).toBe(0);
  });
});

describe('idempotent purchase', () => {
  it('returns the same order for the same key and never charges twice', async () => {
    const seeded = await seedEvent(cloud, { capacities: [5] });
    const token = await cloud.token('customer', seeded.tenant);
    const held = await hold(seeded, token, 2);
    const key = `k-${randomUUID()}`;
    const first = await purchase(held.body.id, token, key);
    const again = await purchase(held.body.id, token, key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    const rows = await cloud.database.db.select().from(orders).where(eq(orders.reservationId, held.body.id));
    expect(rows).toHaveLength(1);
  });

  it('makes one order when 20 requests with one key race', async () => {
    const seeded = await seedEvent(cloud, { capacities: [5] });
    const token = await cloud.token('customer', seeded.tenant);
    const held = await hold(seeded, token, 1);
    const key = `k-${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 20 }, () => purchase(held.body.id, token, key)));
    const orderIds = new Set(results.map((r) => (r.status === 201 ? r.body.order.id : r.status)));
    expect([...orderIds]).toHaveLength(1);
    expect(results.every((r) => r.status === 201)).toBe(true);
    const rows = await cloud.database.db.select().from(orders).where(eq(orders.reservationId, held.body.id));
    expect(rows).toHaveLength(1);
    const row = await typeRow(seeded.ticketTypeIds[0]!);
    expect(row.taken).toBe(1);
  });

  it('makes one order when different keys race for one hold, and voids the losers’ charges', async () => {
    const seeded = await seedEvent(cloud, { capacities: [5] });
    const token = await cloud.token('customer', seeded.tenant);
    const held = await hold(seeded, token, 1);
    const chargesBefore = cloud.payments.charged.length;
    const refundsBefore = cloud.payments.refunded.length;
    const results = await Promise.all(
      Array.from({ length: 8 }, () => purchase(held.body.id, token, `k-${randomUUID()}`)),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 201))
      expect(r.body.error.code).toBe('RESERVATION_NOT_ACTIVE');
    const rows = await cloud.database.db.select().from(orders).where(eq(orders.reservationId, held.body.id));
    expect(rows).toHaveLength(1);
    // Every loser that got as far as charging was refunded: the only charge standing is the order's.
    const charged = new Set(cloud.payments.charged.slice(chargesBefore).map((c) => c.paymentId));
    for (const refund of cloud.payments.refunded.slice(refundsBefore)) charged.delete(refund.paymentId);
    expect([...charged]).toEqual([rows[0]!.paymentId]);
  });

  it('refuses a key reused for another purchase', async () => {
    const seeded = await seedEvent(cloud, { capacities: [5] });
    const token = await cloud.token('customer', seeded.tenant);
    const key = `k-${randomUUID()}`;
    const a = await hold(seeded, token, 1);
    const b = await hold(seeded, token, 1);
    expect((await purchase(a.body.id, token, key)).status).toBe(201);
    const reused = await purchase(b.body.id, token, key);
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('answers 402 for a declined card and writes nothing', async () => {
    const seeded = await seedEvent(cloud, { capacities: [5] });
    const token = await cloud.token('customer', seeded.tenant);
    const held = await hold(seeded, token, 1);
    const declined = await purchase(held.body.id, token, `k-${randomUUID()}`, 'tok_decline');
    expect(declined.status).toBe(402);
    expect(declined.body.error.code).toBe('PAYMENT_DECLINED');
    const rows = await cloud.database.db.select().from(orders).where(eq(orders.reservationId, held.body.id));
    expect(rows).toHaveLength(0);
    // The hold is still there: the buyer may try another card.
    expect((await purchase(held.body.id, token, `k-${randomUUID()}`)).status).toBe(201);
  });
});

describe('online validation under concurrency', () => {
  it('admits a ticket once when ten stewards scan it at the same instant', async () => {
    const seeded = await seedEvent(cloud, { capacities: [5] });
    const token = await cloud.token('customer', seeded.tenant);
    const held = await hold(seeded, token, 1);
    const bought = await purchase(held.body.id, token, `k-${randomUUID()}`);
    const qr = bought.body.tickets[0].qr;
    const staff = await Promise.all(
      Array.from({ length: 10 }, () => cloud.token('venue_staff', seeded.tenant)),
    );
    cloud.advance(2 * 3600_000);
    try {
      const results = await Promise.all(
        staff.map((t, i) =>
          cloud.call('POST', '/api/v1/validate', { token: t, body: { qr, gateId: seeded.gateIds[i % 2] } }),
        ),
      );
      const accepted = results.filter((r) => r.body.decision === 'accept');
      expect(accepted).toHaveLength(1);
      for (const r of results.filter((r) => r.body.decision === 'reject'))
        expect(r.body.reason).toBe('ALREADY_USED');
    } finally {
      cloud.advance(-2 * 3600_000);
    }
  });
});
