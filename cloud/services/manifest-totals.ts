/**
 * What a gate's whole copy of an event must add up to (the last page's summary): its ticket rows' count
 * and checksum, computed over the tickets, and its admission records' count and checksum, which the
 * event row keeps (./admissions.ts updates them with every append).
 */
import { eq, sql } from 'drizzle-orm';
import {
  type AdmissionTotals,
  EMPTY_MANIFEST_CHECKSUM,
  MANIFEST_CHECKSUM_SQL,
} from '../../shared/sync-protocol';
import type { Executor } from '../db/client';
import { type events, tickets } from '../db/schema';
import { checksumOfXor } from './admissions';

/**
 * Row count and XOR checksum of an event's ticket rows as the gates must hold them (the SQL comes from
 * shared/sync-protocol's manifest row contract, the same hash the gates keep row by row).
 */
export async function manifestTotals(
  executor: Executor,
  eventId: string,
): Promise<{ rowCount: number; checksum: string }> {
  const [sum] = await executor
    .select({
      rowCount: sql`count(*)::int`.mapWith(Number),
      checksum: sql<string | null>`${sql.raw(MANIFEST_CHECKSUM_SQL)}`,
    })
    .from(tickets)
    .where(eq(tickets.eventId, eventId));
  return { rowCount: sum?.rowCount ?? 0, checksum: sum?.checksum ?? EMPTY_MANIFEST_CHECKSUM };
}

/** The admission totals an event row keeps (read in the page's snapshot: they match its head). */
export function admissionTotalsOf(event: typeof events.$inferSelect): AdmissionTotals {
  return { count: event.admissionCount, checksum: checksumOfXor(event.admissionXor) };
}
