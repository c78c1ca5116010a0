/**
 * Refund against transfer (issue 15, finding 1): a customer who fires `POST /tickets/:id/transfer` and
 * `POST /orders/:id/refund` at once must never get both — the money back AND the ticket given away (whose
 * new holder would then find it revoked). The app is served over real HTTP on loopback and, in CI, runs
 * on real PostgreSQL (TEST_DATABASE_URL), where the two transactions truly interleave; on PGlite they
 * serialise and the test still checks the outcome.
 *
 * Every round: a fresh order of 1–2 tickets, then its transfer and its refund sent together, many rounds
 * at once. Exactly one of the two must succeed, and the database must agree with the answers.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { asc, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orders, ticketChanges, tickets, ticketTypes } from '../db/schema';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';
import { usingPostgres } from '../test-support/database';

const ROUNDS = 60;
/** Rounds in flight together (each sends two requests): contention on the pool, like a real burst. */
const PARALLEL = 12;

let cloud: TestCloud;
let server: ServerType;
let base: string;

beforeAll(async () => {
  cloud = await createTestCloud();
  server = serve({ fetch: cloud.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await cloud?.close();
});

/** One request over HTTP: status and JSON body. */
async function http(method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the test reads answers of two shapes
  return { status: response.status, body: (await response.json()) as any };
}

/** `call` after `ms` milliseconds (at once for 0). */
async function after<T>(ms: number, call: () => Promise<T>): Promise<T> {
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  return call();
}

interface Round {
  orderId: string;
  ticketIds: string[];
  buyer: string;
  friend: string;
  transfer: { status: number; body: { error?: { code: string } } };
  refund: { status: number; body: { error?: { code: string } } };
}

async function race(seeded: SeededEvent, i: number): Promise<Round> {
  const buyer = `buyer-${randomUUID()}`;
  const token = await cloud.token('customer', seeded.tenant, buyer);
  const { purchase } = await buyTickets(cloud, seeded, { quantity: 1 + (i % 2), customerToken: token });
  const friend = `friend-${randomUUID()}`;
  const ticketIds = (purchase.tickets as { id: string }[]).map((t) => t.id);
  // Both in flight before either answers; which leaves first and by how much varies from round to round
  // (0–7 ms), so the second request reaches the database while the first is anywhere in its transaction.
  const lead = i % 2 === 0 ? 'transfer' : 'refund';
  const gap = (i >> 1) % 8;
  const [transfer, refund] = await Promise.all([
    after(lead === 'transfer' ? 0 : gap, () =>
      http('POST', `/api/v1/tickets/${ticketIds[0]}/transfer`, token, { toUserId: friend }),
    ),
    after(lead === 'refund' ? 0 : gap, () =>
      http('POST', `/api/v1/orders/${purchase.order.id}/refund`, token),
    ),
  ]);
  return { orderId: purchase.order.id, ticketIds, buyer, friend, transfer, refund };
}

describe(`refund racing a transfer of its ticket (${usingPostgres() ? 'postgres' : 'pglite'}, HTTP)`, () => {
  it(`never lets both succeed in ${ROUNDS} rounds, and the state matches the answers`, async () => {
    const seeded = await seedEvent(cloud, { capacities: [ROUNDS * 2] });
    const rounds: Round[] = [];
    for (let start = 0; start < ROUNDS; start += PARALLEL) {
      const batch = Array.from({ length: Math.min(PARALLEL, ROUNDS - start) }, (_, k) =>
        race(seeded, start + k),
      );
      rounds.push(...(await Promise.all(batch)));
    }

    const both = rounds.filter((r) => r.transfer.status === 200 && r.refund.status === 200);
    expect(both, `${both.length} of ${ROUNDS} rounds both refunded and transferred`).toHaveLength(0);
    for (const round of rounds) {
      // Exactly one wins; the loser is refused with the rule that stopped it, never a 500.
      expect([round.transfer.status, round.refund.status].sort()).toEqual([200, 409]);
      if (round.refund.status === 409) expect(round.refund.body.error?.code).toBe('ORDER_NOT_REFUNDABLE');
      if (round.transfer.status === 409)
        expect(round.transfer.body.error?.code).toBe('TICKET_NOT_TRANSFERABLE');
    }

    const refundedOrders = new Set(rounds.filter((r) => r.refund.status === 200).map((r) => r.orderId));
    const orderRows = await cloud.database.db
      .select({ id: orders.id, status: orders.status, refundedBy: orders.refundedBy })
      .from(orders)
      .where(
        inArray(
          orders.id,
          rounds.map((r) => r.orderId),
        ),
      );
    for (const row of orderRows) {
      expect(row.status).toBe(refundedOrders.has(row.id) ? 'refunded' : 'paid');
    }
    const refundCalls = cloud.payments.refunded.filter((r) =>
      rounds.some((round) => r.idempotencyKey.endsWith(round.orderId)),
    );
    expect(refundCalls).toHaveLength(refundedOrders.size);

    for (const round of rounds) {
      const rows = await cloud.database.db
        .select()
        .from(tickets)
        .where(inArray(tickets.id, round.ticketIds))
        .orderBy(asc(tickets.id));
      const moved = rows.find((t) => t.id === round.ticketIds[0])!;
      if (round.refund.status === 200) {
        // Refund won: every ticket revoked, none given away.
        for (const t of rows)
          expect(t).toMatchObject({ status: 'revoked', ownerUserId: round.buyer, generation: 1 });
      } else {
        // Transfer won: the new holder has a valid ticket, the order stands.
        expect(moved).toMatchObject({ status: 'valid', ownerUserId: round.friend, generation: 2 });
        for (const t of rows) expect(t.status).toBe('valid');
      }
      const ops = await cloud.database.db
        .select({ op: ticketChanges.op })
        .from(ticketChanges)
        .where(eq(ticketChanges.ticketId, moved.id))
        .orderBy(asc(ticketChanges.seq));
      expect(ops.map((o) => o.op)).toEqual(['issue', round.refund.status === 200 ? 'revoke' : 'transfer']);
    }

    // Seats: taken is exactly the valid tickets (refunds gave theirs back, transfers kept theirs).
    const [type] = await cloud.database.db
      .select({ taken: ticketTypes.taken })
      .from(ticketTypes)
      .where(eq(ticketTypes.id, seeded.ticketTypeIds[0]!));
    const [valid] = await cloud.database.db
      .select({ count: sql<number>`count(*)::int` })
      .from(tickets)
      .where(sql`${tickets.eventId} = ${seeded.eventId} and ${tickets.status} = 'valid'`);
    expect(type!.taken).toBe(valid!.count);
  });
});
