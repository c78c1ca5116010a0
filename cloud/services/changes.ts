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
import { and, eq, sql } from 'drizzle-orm';
import type { Transaction } from '../db/client';
import { events, type TicketChangeOp, type TicketStatus, ticketChanges } from '../db/schema';

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

// PostgreSQL allows 65,535 bind parameters per statement; 12 columns × 2,000 rows stays well below.
const INSERT_CHUNK = 2_000;

/**
 * Appends changes to an event's log and returns the new head, or undefined when the event is missing or
 * not in one of `requireStatus` (checked under the same lock, so e.g. a purchase can never commit tickets
 * after the event's cancellation committed).
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
  const count = input.changes.length;
  const statusFilter = input.requireStatus
    ? sql`${events.status} in (${sql.join(
        input.requireStatus.map((status) => sql`${status}`),
        sql`, `,
      )})`
    : undefined;
  const [head] = await tx
    .update(events)
    .set({ changeSeq: sql`${events.changeSeq} + ${count}` })
    .where(and(eq(events.id, input.eventId), eq(events.tenantId, input.tenantId), statusFilter))
    .returning({ changeSeq: events.changeSeq });
  if (!head) return undefined;
  const first = head.changeSeq - count + 1;
  for (let start = 0; start < count; start += INSERT_CHUNK) {
    const chunk = input.changes.slice(start, start + INSERT_CHUNK);
    await tx.insert(ticketChanges).values(
      chunk.map((change, index) => ({
        eventId: input.eventId,
        seq: first + start + index,
        tenantId: input.tenantId,
        op: change.op,
        ticketId: change.ticketId,
        serial: change.serial,
        typeNo: change.typeNo,
        generation: change.generation,
        status: change.status,
        digest: change.digest,
        reason: change.reason ?? null,
        createdAt: input.now,
      })),
    );
  }
  return head.changeSeq;
}
