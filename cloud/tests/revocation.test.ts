/**
 * Revocation reaches the door: after a transfer, a refund or an event cancellation the old token answers
 * REVOKED (or EVENT_CANCELLED) from POST /validate, and every such change is in the event's change log
 * with gap-free sequence numbers in commit order (SPEC section 6).
 */
import { randomUUID } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, orders, ticketChanges } from '../db/schema';
import { appendTicketChanges } from '../services/changes';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';
import { usingPostgres } from '../test-support/database';

let cloud: TestCloud;

beforeAll(async () => {
  cloud = await createTestCloud();
  // Doors open one hour after the test clock's start; scan two hours in.
});

afterAll(async () => {
  await cloud?.close();
});

async function scan(seeded: SeededEvent, qr: string, gateIndex = 0, direction: 'in' | 'out' = 'in') {
  const staff = await cloud.token('venue_staff', seeded.tenant);
  cloud.advance(2 * 3600_000);
  try {
    const response = await cloud.call('POST', '/api/v1/validate', {
      token: staff,
      body: { qr, gateId: seeded.gateIds[gateIndex], direction },
    });
    expect(response.status).toBe(200);
    return response.body as { decision: string; reason: string; detail?: string };
  } finally {
    cloud.advance(-2 * 3600_000);
  }
}

async function changeLog(eventId: string) {
  return cloud.database.db
    .select()
    .from(ticketChanges)
    .where(eq(ticketChanges.eventId, eventId))
    .orderBy(asc(ticketChanges.seq));
}

describe('transfer', () => {
  it('revokes the old QR and admits the new one', async () => {
    const seeded = await seedEvent(cloud);
    const { token, purchase } = await buyTickets(cloud, seeded);
    const ticket = purchase.tickets[0];
    const friend = `friend-${randomUUID()}`;
    const moved = await cloud.call('POST', `/api/v1/tickets/${ticket.id}/transfer`, {
      token,
      body: { toUserId: friend },
    });
    expect(moved.status).toBe(200);
    expect(moved.body.generation).toBe(2);
    expect(moved.body.qr).not.toBe(ticket.qr);

    expect(await scan(seeded, ticket.qr)).toMatchObject({
      decision: 'reject',
      reason: 'REVOKED',
      detail: 'superseded',
    });
    expect(await scan(seeded, moved.body.qr)).toMatchObject({ decision: 'accept', reason: 'OK' });

    // The old holder lost it, the new one has it.
    expect((await cloud.call('GET', `/api/v1/tickets/${ticket.id}`, { token })).status).toBe(404);
    const friendToken = await cloud.token('customer', seeded.tenant, friend);
    const mine = await cloud.call('GET', '/api/v1/me/tickets', { token: friendToken });
    expect(mine.body.items.map((t: { id: string }) => t.id)).toEqual([ticket.id]);
    const log = await changeLog(seeded.eventId);
    expect(log.map((c) => c.op)).toEqual(['issue', 'transfer']);
    expect(log[1]).toMatchObject({ generation: 2, status: 'valid', digest: expect.any(String) });
  });

  it('refuses to transfer a revoked ticket', async () => {
    const seeded = await seedEvent(cloud);
    const { token, purchase } = await buyTickets(cloud, seeded);
    await cloud.call('POST', `/api/v1/orders/${purchase.order.id}/refund`, { token });
    const response = await cloud.call('POST', `/api/v1/tickets/${purchase.tickets[0].id}/transfer`, {
      token,
      body: { toUserId: 'someone' },
    });
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('TICKET_NOT_TRANSFERABLE');
  });
});

describe('refund', () => {
  it('revokes the tickets, returns the seats and the money, and is idempotent', async () => {
    const seeded = await seedEvent(cloud, { capacities: [5] });
    const { token, purchase } = await buyTickets(cloud, seeded, { quantity: 2 });
    const refunded = await cloud.call('POST', `/api/v1/orders/${purchase.order.id}/refund`, { token });
    expect(refunded.status).toBe(200);
    expect(refunded.body).toMatchObject({
      order: { status: 'refunded' },
      revokedTickets: 2,
      alreadyRefunded: false,
    });
    const again = await cloud.call('POST', `/api/v1/orders/${purchase.order.id}/refund`, { token });
    expect(again.body).toMatchObject({ revokedTickets: 0, alreadyRefunded: true });
    const refundsOfOrder = cloud.payments.refunded.filter((r) =>
      r.idempotencyKey.endsWith(purchase.order.id),
    );
    expect(refundsOfOrder).toHaveLength(1);

    for (const ticket of purchase.tickets) {
      expect(await scan(seeded, ticket.qr)).toMatchObject({ decision: 'reject', reason: 'REVOKED' });
    }
    const types = await cloud.call('GET', `/api/v1/events/${seeded.eventId}/ticket-types`, { token });
    expect(types.body.items[0]).toMatchObject({ sold: 0, available: 5 });
    expect((await changeLog(seeded.eventId)).map((c) => c.op)).toEqual([
      'issue',
      'issue',
      'revoke',
      'revoke',
    ]);
  });

  it('once the event has started a customer may not refund; an admin only with an override', async () => {
    const seeded = await seedEvent(cloud);
    const { token, purchase } = await buyTickets(cloud, seeded);
    cloud.advance(4 * 3600_000);
    try {
      const late = await cloud.call('POST', `/api/v1/orders/${purchase.order.id}/refund`, { token });
      expect(late.status).toBe(409);
      expect(late.body.error.code).toBe('ORDER_NOT_REFUNDABLE');
      const plain = await cloud.call('POST', `/api/v1/orders/${purchase.order.id}/refund`, {
        token: seeded.adminToken,
        body: { reason: 'goodwill' },
      });
      expect(plain.status).toBe(409);
      const byAdmin = await cloud.call('POST', `/api/v1/orders/${purchase.order.id}/refund`, {
        token: seeded.adminToken,
        body: { override: true, reason: 'goodwill' },
      });
      expect(byAdmin.status).toBe(200);
      expect(byAdmin.body.override).toBe('doors_open');
    } finally {
      cloud.advance(-4 * 3600_000);
    }
  });
});

describe('event cancellation', () => {
  it('revokes every ticket, refunds every paid order and stops sales', async () => {
    const seeded = await seedEvent(cloud, { capacities: [10] });
    const buyers = [await buyTickets(cloud, seeded, { quantity: 2 }), await buyTickets(cloud, seeded)];
    const cancelled = await cloud.call('POST', `/api/v1/events/${seeded.eventId}/cancel`, {
      token: seeded.adminToken,
      body: { reason: 'storm' },
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      event: { status: 'cancelled', cancelReason: 'storm' },
      revokedTickets: 3,
      refundsQueued: 2,
    });
    await cloud.jobs.drain();
    const rows = await cloud.database.db.select().from(orders).where(eq(orders.eventId, seeded.eventId));
    expect(rows.map((o) => o.status)).toEqual(['refunded', 'refunded']);

    expect(await scan(seeded, buyers[0]!.purchase.tickets[0].qr)).toMatchObject({
      decision: 'reject',
      reason: 'EVENT_CANCELLED',
    });
    const token = await cloud.token('customer', seeded.tenant);
    const hold = await cloud.call('POST', `/api/v1/events/${seeded.eventId}/reservations`, {
      token,
      body: { items: [{ ticketTypeId: seeded.ticketTypeIds[0], quantity: 1 }] },
    });
    expect(hold.status).toBe(409);
    expect(hold.body.error.code).toBe('EVENT_CANCELLED');
    const log = await changeLog(seeded.eventId);
    expect(log.map((c) => c.op)).toEqual([
      'issue',
      'issue',
      'issue',
      'revoke',
      'revoke',
      'revoke',
      'event_cancel',
    ]);
    const second = await cloud.call('POST', `/api/v1/events/${seeded.eventId}/cancel`, {
      token: seeded.adminToken,
      body: { reason: 'again' },
    });
    expect(second.status).toBe(409);
  });

  it('a hold taken before cancellation cannot be bought after it', async () => {
    const seeded = await seedEvent(cloud, { capacities: [10] });
    const token = await cloud.token('customer', seeded.tenant);
    const hold = await cloud.call('POST', `/api/v1/events/${seeded.eventId}/reservations`, {
      token,
      body: { items: [{ ticketTypeId: seeded.ticketTypeIds[0], quantity: 1 }] },
    });
    await cloud.call('POST', `/api/v1/events/${seeded.eventId}/cancel`, {
      token: seeded.adminToken,
      body: { reason: 'x' },
    });
    const bought = await cloud.call('POST', `/api/v1/reservations/${hold.body.id}/purchase`, {
      token,
      headers: { 'idempotency-key': `k-${randomUUID()}` },
      body: { paymentToken: 'tok_visa' },
    });
    expect(bought.status).toBe(409);
    expect(bought.body.error.code).toBe('EVENT_CANCELLED');
  });
});

describe('gate restrictions and tokens', () => {
  it('refuses a VIP-only ticket at the wrong gate and another event’s ticket', async () => {
    const seeded = await seedEvent(cloud, { capacities: [10, 10], vipGate: true });
    const { purchase } = await buyTickets(cloud, seeded, { typeIndex: 1 });
    expect(await scan(seeded, purchase.tickets[0].qr, 0)).toMatchObject({
      decision: 'reject',
      reason: 'WRONG_GATE',
    });
    expect(await scan(seeded, purchase.tickets[0].qr, 1)).toMatchObject({ decision: 'accept', reason: 'OK' });

    const otherTenant = await seedEvent(cloud);
    const foreign = await buyTickets(cloud, otherTenant);
    expect(await scan(seeded, foreign.purchase.tickets[0].qr)).toMatchObject({
      decision: 'reject',
      reason: 'WRONG_EVENT',
    });
  });

  it('refuses before the doors open', async () => {
    const seeded = await seedEvent(cloud);
    const { purchase } = await buyTickets(cloud, seeded);
    const staff = await cloud.token('venue_staff', seeded.tenant);
    const early = await cloud.call('POST', '/api/v1/validate', {
      token: staff,
      body: { qr: purchase.tickets[0].qr, gateId: seeded.gateIds[0] },
    });
    expect(early.body).toMatchObject({ decision: 'reject', reason: 'NOT_YET_VALID' });
  });
});

describe('change log', () => {
  it('numbers concurrent changes gap-free, in commit order', async () => {
    const seeded = await seedEvent(cloud, { capacities: [200] });
    const bought = await Promise.all(
      Array.from({ length: 12 }, () => buyTickets(cloud, seeded, { quantity: 2 })),
    );
    await Promise.all(
      bought.map((b, i) =>
        i % 2 === 0
          ? cloud.call('POST', `/api/v1/orders/${b.purchase.order.id}/refund`, { token: b.token })
          : cloud.call('POST', `/api/v1/tickets/${b.purchase.tickets[0].id}/transfer`, {
              token: b.token,
              body: { toUserId: `u${i}` },
            }),
      ),
    );
    const log = await changeLog(seeded.eventId);
    expect(log.map((c) => c.seq)).toEqual(Array.from({ length: log.length }, (_, i) => i + 1));
    expect(log).toHaveLength(24 + 12 + 6);
    const [event] = await cloud.database.db.select().from(events).where(eq(events.id, seeded.eventId));
    expect(event!.changeSeq).toBe(log.length);
    // A ticket's ops appear in the order they happened: issue before its revoke or transfer.
    const firstOp = new Map<string, string>();
    for (const change of log)
      if (change.ticketId && !firstOp.has(change.ticketId)) firstOp.set(change.ticketId, change.op);
    expect([...firstOp.values()].every((op) => op === 'issue')).toBe(true);
  });

  // PGlite has one connection, so two open transactions cannot exist there: PostgreSQL only.
  it.runIf(usingPostgres())(
    'a later change cannot commit its number while an earlier one is still open',
    async () => {
      const seeded = await seedEvent(cloud);
      const change = {
        op: 'revoke' as const,
        ticketId: null,
        serial: null,
        typeNo: null,
        generation: null,
        status: null,
        digest: null,
      };
      const input = { tenantId: seeded.tenant, eventId: seeded.eventId, changes: [change], now: new Date() };
      let releaseFirst!: () => void;
      const firstHolds = new Promise<void>((resolve) => {
        releaseFirst = resolve;
      });
      let firstSeq: number | undefined;
      const first = cloud.database.db.transaction(async (tx) => {
        firstSeq = await appendTicketChanges(tx, input);
        await firstHolds; // a slow transaction: numbered, not yet committed
      });
      while (firstSeq === undefined) await new Promise((r) => setTimeout(r, 5));
      let secondDone = false;
      const second = cloud.database.db
        .transaction((tx) => appendTicketChanges(tx, input))
        .then((seq) => {
          secondDone = true;
          return seq;
        });
      await new Promise((r) => setTimeout(r, 150));
      // The second change waits on the event row: it can neither take a number nor become visible first.
      expect(secondDone).toBe(false);
      expect((await changeLog(seeded.eventId)).map((c) => c.seq)).toEqual([]);
      releaseFirst();
      await first;
      expect(await second).toBe(firstSeq + 1);
    },
  );
});
