/**
 * The per-customer hold cap (issue 15): one customer may have at most HOLD_LIMIT_PER_CUSTOMER tickets
 * (default 10) in active, unexpired holds for one event, so one account cannot sit on every seat for the
 * hold's lifetime. Tickets already bought do not count; a hold stops counting once it is bought,
 * released or expired.
 *
 * Race-safe by a lock, not by a re-check: the database function `lock_held_by_customer` (migration 0007)
 * takes the transaction-level advisory lock of (tenant, event, customer) and only then counts that
 * customer's held tickets, in a statement of its own, so it sees every hold committed by whoever held
 * the lock before. A customer's parallel hold requests for one event therefore decide one at a time;
 * different customers never wait for each other. The lock is taken before any ticket-type row (lock
 * order: customer's hold lock, then ticket types in id order) and released at commit.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../db/client';
import { parseRows, sqlNumber } from '../db/rows';
import { type Failure, fail } from '../errors';
import type { Actor } from './actor';

/** The SQL expression that takes the customer's hold lock for the event and yields the tickets held. */
export function lockHeldByCustomerSql(actor: Actor, eventId: string, now: number) {
  return sql`lock_held_by_customer(${actor.tenantId}::text, ${eventId}::uuid, ${actor.userId}::text,
                                    ${new Date(now).toISOString()}::timestamptz)`;
}

const Held = z.object({ held: sqlNumber });

/** Takes the customer's hold lock for the event (until `executor`'s transaction ends); tickets held. */
export async function lockHeldByCustomer(
  executor: Executor,
  actor: Actor,
  eventId: string,
  now: number,
): Promise<number> {
  const result = await executor.execute(sql`select ${lockHeldByCustomerSql(actor, eventId, now)} as held`);
  const [row] = parseRows(Held, result);
  return row?.held ?? 0;
}

/** True when `requested` more tickets would still be within the cap. */
export function withinHoldLimit(limit: number, held: number, requested: number): boolean {
  return held + requested <= limit;
}

/** 409 HOLD_LIMIT_REACHED, naming the limit, its variable, what is held and what was asked for. */
export function holdLimitFailure(limit: number, held: number, requested: number): Failure {
  return fail(
    'HOLD_LIMIT_REACHED',
    `at most ${limit} tickets may be held per customer and event (HOLD_LIMIT_PER_CUSTOMER): ` +
      `${held} held already, ${requested} requested`,
  );
}
