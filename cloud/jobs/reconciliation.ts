/**
 * Reconciliation jobs (SPEC section 8). `reconcile-event` computes and stores one run's report;
 * `nightly-reconciliation` (scheduled per venue at the configured venue-local time) plans that night's
 * runs of the venue's recent events and queues one `reconcile-event` per run. Both are idempotent: a done
 * report is never recomputed, a night's run key is inserted once, and job ids are the report ids.
 */
import type { ServiceContext } from '../services/context';
import { planNightlyReconciliation, runReconciliation } from '../services/reconciliation';
import { exponentialBackoff, type JobDefinition, PermanentJobError } from './definition';

export function createReconciliationJobs(ctx: ServiceContext): {
  'reconcile-event': JobDefinition<'reconcile-event'>;
  'nightly-reconciliation': JobDefinition<'nightly-reconciliation'>;
} {
  return {
    'reconcile-event': {
      name: 'reconcile-event',
      attempts: 4,
      // 30 s, 60 s, 120 s: a database restart or failover is ridden out; a bug fails after ~4 minutes.
      backoffMs: exponentialBackoff(30_000, 10 * 60_000),
      // One at a time per process: a report of a large event reads every scan of it.
      concurrency: 1,
      async run({ reportId }) {
        if (typeof reportId !== 'string') throw new PermanentJobError('reconcile-event without a report id');
        const result = await runReconciliation(ctx, reportId);
        // A run that does not exist (its event was deleted, or a bad id) cannot appear by retrying.
        if (!result.ok) throw new PermanentJobError(`reconcile-event ${reportId}: ${result.code}`);
      },
    },
    'nightly-reconciliation': {
      name: 'nightly-reconciliation',
      attempts: 5,
      backoffMs: exponentialBackoff(60_000, 30 * 60_000),
      concurrency: 1,
      async run({ tenantId, venueId }) {
        if (typeof tenantId !== 'string' || typeof venueId !== 'string')
          throw new PermanentJobError('nightly-reconciliation without a tenant and venue');
        const plan = await planNightlyReconciliation(ctx, { tenantId, venueId }, ctx.clock());
        if (!plan.ok) throw new PermanentJobError(`nightly-reconciliation of venue ${venueId}: ${plan.code}`);
        if (plan.reportIds.length === 0) return;
        await ctx.jobs.enqueueMany(
          'reconcile-event',
          plan.reportIds.map((reportId) => ({ data: { tenantId, reportId }, options: { jobId: reportId } })),
        );
      },
    },
  };
}
