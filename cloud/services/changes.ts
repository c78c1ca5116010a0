/**
 * The manifest change log (SPEC section 6). Every change to a ticket's admissibility appends rows to
 * `ticket_changes`, numbered by `UPDATE events SET change_seq = change_seq + n ... RETURNING` in the same
 * transaction. That UPDATE takes the event row's lock and holds it until commit, so a transaction that
 * got a lower number has always committed before one with a higher number becomes visible: a gate that
 * has read up to N can never later find a change below N. (A PostgreSQL sequence or now() would hand out
 * numbers at statement time and let a slow transaction commit N after N+1 was already served.)
 *
 * Callers must make this the LAST lock they take in a transaction (see db/transaction.ts), so the event
 * row is held only for the final inserts and the commit.
 */
import { sql } from 'drizzle-orm';
import { rowsOf, type Transaction } from '../db/client';
import type { TicketChangeOp, TicketStatus } from '../db/schema';

/** One change to record; `seq` is assigned here. */
export interface TicketChange {
  op: TicketChangeOp;
  ticketId: string | null;
  serial: number | null;
  typeNo: number | null;
  generation: number | null;
  status: TicketStatus | null;
  digest: string | null;
  reason?: string | null;
}

/**
 * Appends changes to an event's log and returns the new head, or undefined when the event is missing or
 * not in one of `requireStatus` (checked under the same lock, so e.g. a purchase can never commit tickets
 * after the event's cancellation committed).
 *
 * One statement: the event row is locked, numbered and the rows inserted in a single round trip, so the
 * lock is held only for this statement and the COMMIT that follows.
 */
export async function appendTicketChanges(
  tx: Transaction,
  input: {
    tenantId: string;
    eventId: string;
    changes: TicketChange[];
    now: Date;
    requireStatus?: ('draft' | 'published' | 'cancelled')[];
  },
): Promise<number | undefined> {
  const n = input.changes.length;
  const statuses = input.requireStatus ?? ['draft', 'published', 'cancelled'];
  const column = <T>(pick: (change: TicketChange) => T) => sql.param(input.changes.map(pick));
  const result = await tx.execute(sql`
    with head as (
      update events set change_seq = change_seq + ${n}::int
       where id = ${input.eventId}::uuid and tenant_id = ${input.tenantId}::text
         and status = any(${sql.param(statuses)}::text[])
      returning change_seq
    ), inserted as (
      insert into ticket_changes
        (event_id, seq, tenant_id, op, ticket_id, serial, type_no, generation, status, digest, reason, created_at)
      select ${input.eventId}::uuid, head.change_seq - ${n}::int + c.ord, ${input.tenantId}::text, c.op,
             c.ticket_id, c.serial, c.type_no, c.generation, c.status, c.digest, c.reason,
             ${input.now.toISOString()}::timestamptz
        from head,
             unnest(${column((c) => c.op)}::text[], ${column((c) => c.ticketId)}::uuid[],
                    ${column((c) => c.serial)}::bigint[], ${column((c) => c.typeNo)}::int[],
                    ${column((c) => c.generation)}::int[], ${column((c) => c.status)}::text[],
                    ${column((c) => c.digest)}::text[], ${column((c) => c.reason ?? null)}::text[])
             with ordinality as c(op, ticket_id, serial, type_no, generation, status, digest, reason, ord)
      returning seq
    )
    select (select change_seq from head)::bigint as head, (select count(*) from inserted)::int as inserted`);
  const [row] = rowsOf<{ head: string | number | null; inserted: number }>(result);
  if (!row || row.head === null) return undefined;
  return Number(row.head);
}
