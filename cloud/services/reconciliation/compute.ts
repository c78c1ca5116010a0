/**
 * A report put together: the section queries (one module each) run in order inside the caller's
 * transaction — one repeatable-read snapshot, so every section sees the same scans — and the summary
 * is counted from what they found.
 */
import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client';
import { admissionFigures } from './admissions';
import { devicesOfReport } from './devices';
import { doubleAdmissions } from './double-admissions';
import { impossibleMoves } from './impossible-moves';
import { rejectionFigures } from './rejections';
import { RECONCILIATION_REPORT_VERSION, type ReconciliationReport } from './report';
import { revokedAdmissions } from './revoked-admissions';
import type { ReportRow } from './runs';
import { reportEvent } from './scope';
import { ticketFigures } from './tickets';
import { undoneAdmissions } from './undone-admissions';

/** Computes the report of a run (call inside a repeatable-read transaction). */
export async function computeReport(
  tx: Executor,
  input: { run: ReportRow; generatedAt: string },
): Promise<ReconciliationReport> {
  const { run } = input;
  // The window functions sort every accepted scan of the event: give this one transaction room to do it
  // in memory rather than in temporary files (a background job, one at a time per process).
  await tx.execute(sql`set local work_mem = '64MB'`);
  const event = await reportEvent(tx, run);
  if (!event) throw new Error('reconciliation: the run’s event is gone');
  const scope = { eventId: run.eventId, tenantId: run.tenantId, venueId: event.venueId };

  const tickets = await ticketFigures(tx, scope);
  const admissions = await admissionFigures(tx, scope);
  const doubles = await doubleAdmissions(tx, scope);
  const revoked = await revokedAdmissions(tx, scope);
  const { rejections, invalidTokenAttempts } = await rejectionFigures(tx, scope);
  const devices = await devicesOfReport(tx, scope);
  const undone = await undoneAdmissions(tx, scope);
  const impossible = await impossibleMoves(tx, scope, input.generatedAt);

  return {
    version: RECONCILIATION_REPORT_VERSION,
    generatedAt: input.generatedAt,
    run: {
      id: run.id,
      trigger: run.trigger,
      runKey: run.runKey,
      requestedBy: run.requestedBy,
      requestedAt: run.requestedAt.toISOString(),
      startedAt: (run.startedAt ?? new Date(input.generatedAt)).toISOString(),
    },
    event,
    summary: {
      doubleAdmissions: doubles.total,
      revokedAdmissions: revoked.total,
      invalidTokenAttempts: invalidTokenAttempts.total,
      sequenceGaps: devices.reduce((total, d) => total + d.gaps.length, 0),
      missingScans: devices.reduce((total, d) => total + d.missingScans, 0),
      skewedDevices: devices.filter((d) => d.clockSkewed).length,
      quarantinedScans: devices.reduce((total, d) => total + d.quarantined, 0),
    },
    tickets,
    admissions,
    doubleAdmissions: doubles.findings,
    doubleAdmissionsTruncated: doubles.total > doubles.findings.length,
    revokedAdmissions: revoked.findings,
    revokedAdmissionsTruncated: revoked.total > revoked.findings.length,
    invalidTokenAttempts,
    rejections,
    devices,
    undoneAdmissions: undone,
    impossibleMoves: impossible,
  };
}
