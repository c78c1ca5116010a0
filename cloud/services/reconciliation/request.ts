/**
 * Reconciliations as the API asks for them: request a run of an event now (POST
 * /events/:id/reconciliation), and read the latest done report with any newer run. The tenant's admin
 * and ops only; another tenant's event is NOT_FOUND.
 */
import { and, desc, eq, gt, inArray } from 'drizzle-orm';
import { reconciliationReports } from '../../db/reconciliation-schema';
import { fail, type Result } from '../../errors';
import type { Actor } from '../actor';
import type { ServiceContext } from '../context';
import type { ReconciliationReport, ReconciliationRunView } from './report';
import { mayReconcile, runView, storedReport, visibleEvent } from './runs';

/**
 * How long a pending or running manual run is answered instead of starting a new one; also how long the
 * sweep keeps queueing a pending run again (cloud/jobs/sweeps.ts).
 */
export const IN_FLIGHT_LIMIT_MS = 3_600_000;

/**
 * Asks for a reconciliation of an event now: stores a pending run (run key `manual-<id>`) and queues a
 * `reconcile-event` job for it. A run of this event that is still pending or running is answered instead
 * of a second one (and queued again, which the job id makes harmless): pressing the button twice does
 * not compute the report twice. Never fails for want of a queue: an unqueued run is left to the sweep.
 */
export async function requestReconciliation(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
): Promise<Result<{ run: ReconciliationRunView; created: boolean }>> {
  if (!mayReconcile(actor)) return fail('FORBIDDEN', 'your role may not run reconciliations');
  const event = await visibleEvent(ctx, actor, eventId);
  if (!event) return fail('NOT_FOUND', 'event not found');

  const [inFlight] = await ctx.db
    .select()
    .from(reconciliationReports)
    .where(
      and(
        eq(reconciliationReports.eventId, event.id),
        eq(reconciliationReports.tenantId, event.tenantId),
        inArray(reconciliationReports.status, ['pending', 'running']),
        // A run stuck for longer than this (its job lost with a crashed process) is not waited for.
        gt(reconciliationReports.requestedAt, new Date(ctx.clock() - IN_FLIGHT_LIMIT_MS)),
      ),
    )
    .orderBy(desc(reconciliationReports.requestedAt), desc(reconciliationReports.id))
    .limit(1);
  let row = inFlight;
  const created = !row;
  if (!row) {
    const id = ctx.newId();
    [row] = await ctx.db
      .insert(reconciliationReports)
      .values({
        id,
        tenantId: event.tenantId,
        eventId: event.id,
        trigger: 'manual',
        runKey: `manual-${id}`,
        status: 'pending',
        requestedBy: actor.userId,
        requestedAt: new Date(ctx.clock()),
      })
      .returning();
  }
  if (!row) throw new Error('requestReconciliation: insert returned no row');
  // A job that could not be queued (Redis unreachable: the enqueue fails within its bound) leaves the
  // run pending; the reconciliation sweep (cloud/jobs/sweeps.ts) queues it again until it runs.
  await ctx.jobs
    .enqueue('reconcile-event', { tenantId: row.tenantId, reportId: row.id }, { jobId: row.id })
    .catch(() => {});
  return { ok: true, run: runView(row), created };
}

/** The latest done report of an event, and the newest run if one is newer than it (pending, running, failed). */
export async function latestReport(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
): Promise<
  Result<{
    report: ReconciliationReport | null;
    run: ReconciliationRunView | null;
    newerRun: ReconciliationRunView | null;
  }>
> {
  if (!mayReconcile(actor)) return fail('FORBIDDEN', 'your role may not read reconciliations');
  const event = await visibleEvent(ctx, actor, eventId);
  if (!event) return fail('NOT_FOUND', 'event not found');
  const scope = and(
    eq(reconciliationReports.eventId, event.id),
    eq(reconciliationReports.tenantId, event.tenantId),
  );
  const [done] = await ctx.db
    .select()
    .from(reconciliationReports)
    .where(and(scope, eq(reconciliationReports.status, 'done')))
    .orderBy(desc(reconciliationReports.finishedAt), desc(reconciliationReports.id))
    .limit(1);
  const [newest] = await ctx.db
    .select()
    .from(reconciliationReports)
    .where(scope)
    .orderBy(desc(reconciliationReports.requestedAt), desc(reconciliationReports.id))
    .limit(1);
  // The newest run by request time; when it is not the done one, it was asked for after it.
  const newerRun = newest && newest.id !== done?.id ? runView(newest) : null;
  return {
    ok: true,
    report: done ? storedReport(done) : null,
    run: done ? runView(done) : null,
    newerRun,
  };
}
