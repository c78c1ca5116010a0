/**
 * The manifest change log (SPEC section 6): the one place the application writes `ticket_changes`.
 * Every change to a ticket's admissibility appends rows, numbered by `UPDATE events SET change_seq =
 * change_seq + n ... RETURNING` in the same transaction. That UPDATE takes the event row's lock and holds
 * it until commit, so a transaction that got a lower number has always committed before one with a
 * higher number becomes visible: a gate that has read up to N can never later find a change below N. (A
 * PostgreSQL sequence or now() would hand out numbers at statement time and let a slow transaction commit
 * N after N+1 was already served.)
 *
 * The numbering and the insert are the database function `append_ticket_changes` (migration 0005, its
 * box columns added by 0009 and 0013), which the purchase function calls too: the log's column list
 * exists once, and a purchase still writes in one statement. Callers must make this the LAST lock they take in a transaction (see db/transaction.ts), so
 * the event row is held only for the final inserts and the commit.
 */
import { type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { ManifestRowContent } from '../../shared/sync-protocol';
import { type Executor, rowsOf } from '../db/client';
import type { TicketChangeOp } from '../db/schema';

/**
 * One change to record; `seq` is assigned here. A ticket's change carries its manifest row as of the
 * change (shared/sync-protocol's contract, so a field added there is asked for here; the optional
 * `nameBox` and `holderKey` may be left out for none); an event-level change (cancellation) has them all
 * null. A change that keeps a ticket's generation must repeat its boxes, or the gate's row loses them.
 */
export type TicketChange = {
  op: TicketChangeOp;
  ticketId: string | null;
  reason?: string | null;
} & { [F in keyof ManifestRowContent]: ManifestRowContent[F] | null };

export type EventStatus = 'draft' | 'published' | 'cancelled';

/** The function's change-column parameters, each with its PostgreSQL array type and its value. */
const CHANGE_COLUMNS: readonly { param: string; type: string; of: (change: TicketChange) => unknown }[] = [
  { param: 'p_ops', type: 'text[]', of: (c) => c.op },
  { param: 'p_ticket_ids', type: 'uuid[]', of: (c) => c.ticketId },
  { param: 'p_serials', type: 'bigint[]', of: (c) => c.serial },
  { param: 'p_type_nos', type: 'integer[]', of: (c) => c.typeNo },
  { param: 'p_generations', type: 'integer[]', of: (c) => c.generation },
  { param: 'p_statuses', type: 'text[]', of: (c) => c.status },
  { param: 'p_digests', type: 'text[]', of: (c) => c.digest },
  { param: 'p_reasons', type: 'text[]', of: (c) => c.reason ?? null },
  { param: 'p_name_boxes', type: 'text[]', of: (c) => c.nameBox ?? null },
  { param: 'p_holder_keys', type: 'text[]', of: (c) => c.holderKey ?? null },
];

/** The function's answer: the new head (bigint: a string from node-postgres), or NULL. */
const AppendResult = z.object({ head: z.union([z.string(), z.number(), z.null()]) });

/**
 * Appends changes to an event's log and returns the new head, or undefined when the event is missing or
 * not in one of `requireStatus` (checked under the same lock, so e.g. a purchase can never commit tickets
 * after the event's cancellation committed).
 *
 * One statement: the event row is locked, numbered and the rows inserted in a single round trip, so the
 * lock is held only for this statement and the COMMIT that follows. Usable from any executor (a
 * transaction, or the database for a change that stands alone) and, through the SQL function, from raw
 * clients such as benchmarks.
 */
export async function appendTicketChanges(
  executor: Executor,
  input: {
    tenantId: string;
    eventId: string;
    changes: readonly TicketChange[];
    now: Date;
    requireStatus?: readonly EventStatus[];
  },
): Promise<number | undefined> {
  const statuses = input.requireStatus ?? ['draft', 'published', 'cancelled'];
  const columns: SQL[] = CHANGE_COLUMNS.map(
    ({ param, type, of }) => sql`${sql.raw(param)} => ${sql.param(input.changes.map(of))}::${sql.raw(type)}`,
  );
  const result = await executor.execute(sql`
    select append_ticket_changes(
      p_event => ${input.eventId}::uuid, p_tenant => ${input.tenantId}::text,
      p_event_statuses => ${sql.param(statuses)}::text[], p_now => ${input.now.toISOString()}::timestamptz,
      ${sql.join(columns, sql`, `)}) as head`);
  const [row] = rowsOf<unknown>(result).map((r) => AppendResult.parse(r));
  if (!row || row.head === null) return undefined;
  return Number(row.head);
}
