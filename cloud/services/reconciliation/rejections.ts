/**
 * The report's rejected scans: every rejection by reason and by gate (gate uploads and online
 * validations), and of them the invalid-token attempts — codes that are not a ticket of this event.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { AdmissionReason } from '../../../shared/admission/reasons';
import type { Executor } from '../../db/client';
import { parseRows, sqlCount } from '../../db/rows';
import type { GateCount, GateReasonCount, ReasonCount, ReconciliationReport } from './report';
import { eventScans, onlineRejected, type ReportScope } from './scope';

/** Rejection reasons that mean "this code is not a ticket of this event" (not a rule about a ticket). */
const INVALID_TOKEN_REASONS: readonly string[] = ['INVALID', 'WRONG_EVENT'] satisfies AdmissionReason[];

/** One count of the query: by reason (and detail), or by gate and reason. */
const RejectionRow = z.discriminatedUnion('by', [
  z.object({ by: z.literal('reason'), reason: z.string(), detail: z.string().nullable(), count: sqlCount }),
  z.object({
    by: z.literal('gate'),
    reason: z.string(),
    gate_id: z.string().nullable(),
    gate_name: z.string().nullable(),
    count: sqlCount,
  }),
]);

const sumCounts = (rows: Array<{ count: number }>) => rows.reduce((total, r) => total + r.count, 0);

/** Invalid-token attempts per gate, most first (then by gate name and id). */
function invalidByGate(byGateReason: GateReasonCount[]): GateCount[] {
  const byGate = new Map<string, GateCount>();
  for (const row of byGateReason) {
    if (!INVALID_TOKEN_REASONS.includes(row.reason)) continue;
    const entry = byGate.get(row.gateId) ?? { gateId: row.gateId, gateName: row.gateName, count: 0 };
    entry.count += row.count;
    byGate.set(row.gateId, entry);
  }
  return [...byGate.values()].sort(
    (a, b) =>
      b.count - a.count ||
      (a.gateName ?? '').localeCompare(b.gateName ?? '') ||
      a.gateId.localeCompare(b.gateId),
  );
}

/** The `rejections` and `invalidTokenAttempts` sections of the event's report. */
export async function rejectionFigures(
  tx: Executor,
  scope: ReportScope,
): Promise<Pick<ReconciliationReport, 'rejections' | 'invalidTokenAttempts'>> {
  const rows = parseRows(
    RejectionRow,
    await tx.execute(sql`
      with ${eventScans(scope)}, ${onlineRejected(scope)},
      rejected as (
        select es.gate_id, es.reason, es.detail from event_scans es where es.accepted = 0
        union all
        select o.gate_id, o.reason, null from online_rejected o
      )
      select 'reason' as by, r.reason, r.detail, null as gate_id, null as gate_name, count(*)::int as count
        from rejected r group by r.reason, r.detail
      union all
      select 'gate', r.reason, null, r.gate_id::text, g.name, count(*)::int
        from rejected r left join gates g on g.id = r.gate_id group by r.reason, r.gate_id, g.name
      order by 1, 6 desc, 2, 3 nulls first, 5 nulls last, 4 nulls last`),
  );
  const byReason: ReasonCount[] = rows.flatMap((r) =>
    r.by === 'reason' ? [{ reason: r.reason, detail: r.detail, count: r.count }] : [],
  );
  const byGate: GateReasonCount[] = rows.flatMap((r) =>
    r.by === 'gate'
      ? [{ gateId: r.gate_id ?? '', gateName: r.gate_name, reason: r.reason, count: r.count }]
      : [],
  );
  const invalidByReason = byReason.filter((r) => INVALID_TOKEN_REASONS.includes(r.reason));
  return {
    invalidTokenAttempts: {
      total: sumCounts(invalidByReason),
      byReason: invalidByReason,
      byGate: invalidByGate(byGate),
    },
    rejections: { total: sumCounts(byReason), byReason, byGate },
  };
}
