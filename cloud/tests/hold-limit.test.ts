/**
 * The per-customer hold cap (issue 15, finding 6): one customer may have at most
 * HOLD_LIMIT_PER_CUSTOMER tickets (default 10) in active holds for one event; past it a hold is 409
 * HOLD_LIMIT_REACHED naming the limit. On real PostgreSQL (TEST_DATABASE_URL, as in CI) the parallel
 * cases race for real: a customer's concurrent holds must never pass the cap together.
 */
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reservations, ticketTypes } from '../db/schema';
import { createTestCloud, type SeededEvent, seedEvent, type TestCloud } from '../test-support/cloud';
import { usingPostgres } from '../test-support/database';

const LIMIT = 10;

let cloud: TestCloud;

beforeAll(async () => {
  cloud = await createTestCloud({ HOLD_LIMIT_PER_CUSTOMER: String(LIMIT), RESERVATION_TTL_SECONDS: '600' });
});

afterAll(async () => {
  await cloud?.close();
});

function hold(seeded: SeededEvent, token: string, quantities: number[]) {
  return cloud.call('POST', `/api/v1/events/${seeded.eventId}/reservations`, {
    token,
    body: { items: quantities.map((quantity, i) => ({ ticketTypeId: seeded.ticketTypeIds[i], quantity })) },
  });
}

/** Tickets in a customer's active holds for the event, as the database has them. */
async function heldBy(seeded: SeededEvent, userId: string): Promise<number> {
  const rows = await cloud.database.db
    .select({ items: reservations.items })
    .from(reservations)
    .where(
      sql`${reservations.eventId} = ${seeded.eventId} and ${reservations.userId} = ${userId} and ${reservations.status} = 'active'`,
    );
  return rows.reduce((sum, row) => sum + row.items.reduce((s, item) => s + item.quantity, 0), 0);
}

async function customer(seeded: SeededEvent) {
  const userId = `cust-${randomUUID()}`;
  return { userId, token: await cloud.token('customer', seeded.tenant, userId) };
}

describe('hold cap per customer and event', () => {
  it('refuses the hold that would pass the cap, naming the limit; others and other events are free', async () => {
    const seeded = await seedEvent(cloud, { capacities: [200] });
    const other = await seedEvent(cloud, { capacities: [200], tenant: seeded.tenant });
    const me = await customer(seeded);
    expect((await hold(seeded, me.token, [4])).status).toBe(201);
    expect((await hold(seeded, me.token, [4])).status).toBe(201);
    const over = await hold(seeded, me.token, [3]);
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe('HOLD_LIMIT_REACHED');
    expect(over.body.error.message).toContain(`at most ${LIMIT} tickets`);
    expect(over.body.error.message).toContain('HOLD_LIMIT_PER_CUSTOMER');
    expect(over.body.error.message).toContain('8 held already, 3 requested');
    expect((await hold(seeded, me.token, [2])).status).toBe(201);
    expect(await heldBy(seeded, me.userId)).toBe(LIMIT);
    // Another customer, and the same customer at another event, are not affected.
    expect((await hold(seeded, (await customer(seeded)).token, [LIMIT])).status).toBe(201);
    expect((await hold(other, me.token, [LIMIT])).status).toBe(201);
    // The refusal took no seats.
    const [type] = await cloud.database.db
      .select({ taken: ticketTypes.taken })
      .from(ticketTypes)
      .where(eq(ticketTypes.id, seeded.ticketTypeIds[0]!));
    expect(type!.taken).toBe(2 * LIMIT);
  });

  it('refuses one hold bigger than the cap, and four holds of 50 leave the event on sale', async () => {
    const seeded = await seedEvent(cloud, { capacities: [200] });
    const me = await customer(seeded);
    const answers = await Promise.all(Array.from({ length: 4 }, () => hold(seeded, me.token, [50])));
    for (const answer of answers) expect(answer.body.error?.code).toBe('HOLD_LIMIT_REACHED');
    expect(await heldBy(seeded, me.userId)).toBe(0);
    expect((await hold(seeded, (await customer(seeded)).token, [LIMIT])).status).toBe(201);
  });

  it('counts every ticket type of a hold', async () => {
    const seeded = await seedEvent(cloud, { capacities: [100, 100] });
    const me = await customer(seeded);
    const over = await hold(seeded, me.token, [6, 5]);
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe('HOLD_LIMIT_REACHED');
    expect((await hold(seeded, me.token, [6, 4])).status).toBe(201);
    expect((await hold(seeded, me.token, [1])).body.error.code).toBe('HOLD_LIMIT_REACHED');
  });

  it('counts active holds only: released, expired and bought ones free the quota', async () => {
    const seeded = await seedEvent(cloud, { capacities: [200] });
    const me = await customer(seeded);
    const first = await hold(seeded, me.token, [LIMIT]);
    expect(first.status).toBe(201);
    expect((await hold(seeded, me.token, [1])).status).toBe(409);
    expect(
      (await cloud.call('DELETE', `/api/v1/reservations/${first.body.id}`, { token: me.token })).status,
    ).toBe(204);

    const bought = await hold(seeded, me.token, [LIMIT]);
    expect(bought.status).toBe(201);
    const purchase = await cloud.call('POST', `/api/v1/reservations/${bought.body.id}/purchase`, {
      token: me.token,
      headers: { 'idempotency-key': `key-${randomUUID()}` },
      body: { paymentToken: 'tok_visa' },
    });
    expect(purchase.status).toBe(201);

    expect((await hold(seeded, me.token, [LIMIT])).status).toBe(201);
    cloud.advance(601_000); // past the hold's 600 s, not yet swept
    try {
      expect((await hold(seeded, me.token, [LIMIT])).status).toBe(201);
    } finally {
      cloud.advance(-601_000);
    }
  });
});

describe(`hold cap under concurrency (${usingPostgres() ? 'postgres' : 'pglite'})`, () => {
  it('never lets one customer’s 40 parallel holds pass the cap', async () => {
    const seeded = await seedEvent(cloud, { capacities: [300, 300] });
    const me = await customer(seeded);
    // 1–3 tickets each, single- and two-type holds mixed: both code paths race each other.
    const requests = Array.from({ length: 40 }, (_, i) => (i % 4 === 3 ? [1, 1] : [(i % 3) + 1]));
    const answers = await Promise.all(requests.map((quantities) => hold(seeded, me.token, quantities)));
    let granted = 0;
    answers.forEach((answer, i) => {
      if (answer.status === 201) granted += requests[i]!.reduce((a, b) => a + b, 0);
      else expect(answer.body.error.code).toBe('HOLD_LIMIT_REACHED');
    });
    expect(granted).toBeLessThanOrEqual(LIMIT);
    expect(await heldBy(seeded, me.userId)).toBe(granted);
    // The cap was the only thing in the way: the customer ends up holding (nearly) all of it.
    expect(granted).toBeGreaterThanOrEqual(LIMIT - 2);
  });

  it('keeps every customer within the cap when several race at once, and seats match the holds', async () => {
    const seeded = await seedEvent(cloud, { capacities: [500] });
    const customers = await Promise.all(Array.from({ length: 6 }, () => customer(seeded)));
    await Promise.all(
      customers.flatMap((c) => Array.from({ length: 15 }, (_, i) => hold(seeded, c.token, [(i % 4) + 1]))),
    );
    let total = 0;
    for (const c of customers) {
      const held = await heldBy(seeded, c.userId);
      expect(held).toBeLessThanOrEqual(LIMIT);
      total += held;
    }
    const [type] = await cloud.database.db
      .select({ taken: ticketTypes.taken })
      .from(ticketTypes)
      .where(eq(ticketTypes.id, seeded.ticketTypeIds[0]!));
    expect(type!.taken).toBe(total);
  });
});
