/**
 * The automatic check-out job (issue 18): one delayed job per event and exitAllAt value (job id
 * `exit-all-<event>-<ms>`, so the same value is never queued twice and a changed value is a new job; the
 * job of the old value finds it stale and does nothing). Queued by `scheduleExitAll` when an event's
 * exitAllAt is set or changed, and by the periodic sweep (sweeps.ts `sweepExitAll`) for every event whose
 * exitAllAt is near or was missed (the cloud down at the time, an in-process runner that restarted).
 * The work itself is services/exit-all.ts, idempotent: a second run finds nobody to check out.
 */
import type { ServiceContext } from '../services/context';
import { runExitAll } from '../services/exit-all';
import type { JobQueue } from '../services/job-queue';
import { exponentialBackoff, type JobDefinition, PermanentJobError } from './definition';

/** The dedup key of an event's check-out at one exitAllAt value (no ':' — BullMQ refuses it in ids). */
export function exitAllJobId(eventId: string, exitAllAt: number): string {
  return `exit-all-${eventId}-${exitAllAt}`;
}

/** Queues the check-out of an event at `exitAllAt` (delayed until then); a no-op when already queued. */
export function scheduleExitAll(
  ctx: Pick<ServiceContext, 'clock'> & { jobs: JobQueue },
  event: { tenantId: string; eventId: string; exitAllAt: number },
): Promise<void> {
  return ctx.jobs.enqueue('exit-all', event, {
    jobId: exitAllJobId(event.eventId, event.exitAllAt),
    delayMs: Math.max(0, event.exitAllAt - ctx.clock()),
  });
}

export function createExitAllJobs(ctx: Pick<ServiceContext, 'db' | 'clock' | 'changesCommitted'>): {
  'exit-all': JobDefinition<'exit-all'>;
} {
  return {
    'exit-all': {
      name: 'exit-all',
      attempts: 10,
      backoffMs: exponentialBackoff(5_000),
      concurrency: 2,
      async run(data) {
        if (typeof data.eventId !== 'string' || typeof data.exitAllAt !== 'number')
          throw new PermanentJobError('exit-all without an event id and time');
        const outcome = await runExitAll(
          // Late binding: the app sets changesCommitted after the jobs are built.
          { db: ctx.db, clock: ctx.clock, changesCommitted: () => ctx.changesCommitted?.() },
          data,
        );
        // A job that fired before its time by the cloud's clock (clocks differ) tries again shortly.
        if (outcome.status === 'not-due') throw new Error(`exit-all of ${data.eventId} is not due yet`);
      },
    },
  };
}
