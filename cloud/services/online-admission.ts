/**
 * The write of an accepted online scan decided from a plain read (issue 19): one call of the database
 * function `record_online_admission` (migration 0014) in its own implicit transaction.
 *
 * Why one statement: the admission record is numbered in the event's change sequence under the event
 * row's lock — the row every purchase of the event also numbers its tickets under. Driven as BEGIN …
 * COMMIT from here, that lock stayed held while the record's totals and the COMMIT waited their turn on
 * a busy event loop, and every scan and purchase of the event queued behind those round trips. Inside
 * the database the lock lasts for the function and its commit, nothing more (as with purchase_hold).
 *
 * What makes it safe without a transaction around the decision: the function locks the ticket and checks
 * that its generation, status and digest and the number of its admission records are what the decision
 * read (records are only appended, so the same count is the same history). If anything moved — a
 * racing steward's accept, an undo, a revocation, the event's cancellation — it answers `stale`, writes
 * nothing, and the caller decides again.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../db/client';
import { parseRows } from '../db/rows';
import type { ScanDirection } from '../db/schema';

/** An accepted online scan and what its decision read. */
export interface OnlineAdmission {
  tenantId: string;
  eventId: string;
  /** The ticket as the decision read it. */
  ticket: { id: string; serial: number; generation: number; status: string; digest: string | null };
  /** How many admission records of the ticket the decision folded. */
  historyCount: number;
  scanId: string;
  gate: { id: string; name: string | null };
  staffUserId: string;
  direction: ScanDirection;
  reason: string;
  scannedAt: Date;
  /** The record's corrected time (after the ticket's latest record). */
  atMs: number;
  /** The move made, at a venue with zones; none elsewhere (records keep their old bytes). */
  move?: { from: string; to: string } | undefined;
}

const Outcome = z.object({ outcome: z.enum(['ok', 'stale']) });

/** Records the scan, its admission record and the event's totals; `stale` when the read no longer holds. */
export async function recordOnlineAdmission(
  executor: Executor,
  admission: OnlineAdmission,
): Promise<'ok' | 'stale'> {
  const { ticket, gate, move } = admission;
  const result = await executor.execute(sql`
    select record_online_admission(
      ${admission.tenantId}::text, ${admission.eventId}::uuid, ${ticket.id}::uuid, ${ticket.serial}::bigint,
      ${ticket.generation}::int, ${ticket.status}::text, ${ticket.digest}::text, ${admission.historyCount}::bigint,
      ${admission.scanId}::uuid, ${gate.id}::uuid, ${gate.name}::text, ${admission.staffUserId}::text,
      ${admission.direction}::text, ${admission.reason}::text, ${admission.scannedAt.toISOString()}::timestamptz,
      ${admission.atMs}::bigint, ${move?.from ?? null}::text, ${move?.to ?? null}::text) as outcome`);
  const [row] = parseRows(Outcome, result);
  if (!row) throw new Error('record_online_admission answered no row');
  return row.outcome;
}
