/**
 * The report's `tickets` section: the event's tickets as they stand — issued, valid, revoked (and why),
 * and how many QRs transfers replaced.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../../db/client';
import { parseRows, sqlCount } from '../../db/rows';
import type { ReconciliationReport } from './report';
import type { ReportScope } from './scope';

const TotalsRow = z.object({ issued: sqlCount, valid: sqlCount, revoked: sqlCount, transfers: sqlCount });
const ReasonRow = z.object({ reason: z.string().nullable(), count: sqlCount });

/** Ticket counts of the event, and its revoked tickets by reason (most frequent first). */
export async function ticketFigures(
  tx: Executor,
  { eventId, tenantId }: ReportScope,
): Promise<ReconciliationReport['tickets']> {
  const [totals] = parseRows(
    TotalsRow,
    await tx.execute(sql`
      select count(*)::int as issued,
             count(*) filter (where status = 'valid')::int as valid,
             count(*) filter (where status = 'revoked')::int as revoked,
             (select count(*) from ticket_changes
               where event_id = ${eventId}::uuid and op = 'transfer')::int as transfers
        from tickets where event_id = ${eventId}::uuid and tenant_id = ${tenantId}`),
  );
  const revokedByReason = parseRows(
    ReasonRow,
    await tx.execute(sql`
      select revoked_reason as reason, count(*)::int as count from tickets
       where event_id = ${eventId}::uuid and tenant_id = ${tenantId} and status = 'revoked'
       group by revoked_reason order by count(*) desc, revoked_reason nulls last`),
  );
  return {
    issued: totals?.issued ?? 0,
    valid: totals?.valid ?? 0,
    revoked: totals?.revoked ?? 0,
    revokedByReason,
    transfers: totals?.transfers ?? 0,
  };
}
