/**
 * Running a reconciliation (the `reconcile-event` job): computes a run's report in one repeatable-read
 * snapshot and stores it. Idempotent, so a job delivered twice, or two workers on one run, change
 * nothing.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { reconciliationReports } from '../../db/reconciliation-schema';
import { fail, type Result } from '../../errors';
import type { ServiceContext } from '../context';
import { computeReport } from './compute';
import type { ReconciliationReport, ReconciliationRunView } from './report';
import { runView, storedReport } from './runs';

/**
 * Computes and stores the report of a run. Idempotent: a done run is left exactly as it is; a pending,
 * running (a worker died mid-run) or failed run is computed again. The same data gives the same report
 * (every list has a total order); only `generatedAt` and the run metadata differ between runs.
 * Returns NOT_FOUND for a run that does not exist (the job gives up at once on it).
 */
export async function runReconciliation(
  ctx: ServiceContext,
  reportId: string,
): Promise<Result<{ run: ReconciliationRunView; report: ReconciliationReport }>> {
  const [row] = await ctx.db
    .select()
    .from(reconciliationReports)
    .where(eq(reconciliationReports.id, reportId));
  if (!row) return fail('NOT_FOUND', 'reconciliation run not found');
  if (row.status === 'done') return { ok: true, run: runView(row), report: storedReport(row) };
  const startedAt = new Date(ctx.clock());
  const [started] = await ctx.db
    .update(reconciliationReports)
    .set({ status: 'running', startedAt, error: null })
    .where(
      and(
        eq(reconciliationReports.id, row.id),
        inArray(reconciliationReports.status, ['pending', 'running', 'failed']),
      ),
    )
    .returning();
  if (!started) return runReconciliation(ctx, reportId); // done meanwhile by another worker

  let report: ReconciliationReport;
  try {
    report = await ctx.db.transaction(
      (tx) => computeReport(tx, { run: started, generatedAt: new Date(ctx.clock()).toISOString() }),
      { isolationLevel: 'repeatable read' },
    );
  } catch (error) {
    await ctx.db
      .update(reconciliationReports)
      .set({ status: 'failed', error: 'the report could not be computed', finishedAt: new Date(ctx.clock()) })
      .where(and(eq(reconciliationReports.id, row.id), eq(reconciliationReports.status, 'running')));
    ctx.business.reconciliation('failed');
    throw error;
  }
  const [stored] = await ctx.db
    .update(reconciliationReports)
    .set({ status: 'done', report, finishedAt: new Date(ctx.clock()), error: null })
    .where(and(eq(reconciliationReports.id, row.id), eq(reconciliationReports.status, 'running')))
    .returning();
  if (!stored) return runReconciliation(ctx, reportId); // another worker finished first: keep its report
  ctx.business.reconciliation('done', {
    doubleAdmissions: report.summary.doubleAdmissions,
    revokedAdmissions: report.summary.revokedAdmissions,
    sequenceGaps: report.summary.sequenceGaps,
  });
  return { ok: true, run: runView(stored), report };
}
