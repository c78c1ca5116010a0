/**
 * The safety nets that run in every cloud process on timers: they find work whose job was never queued
 * or was lost (a crash between commit and enqueue, Redis down, an in-process runner that died) and do it
 * or queue it again. All are idempotent and safe to run from several processes at once.
 *
 * - holds: expire every hold whose time is up (FOR UPDATE SKIP LOCKED), every 5 s;
 * - refunds: queue a refund for every paid order of a cancelled event, every 60 s;
 * - reconciliations: queue again every reconciliation run still pending (requested in the last hour),
 *   every 60 s — a run whose job could not be queued stays pending until this succeeds;
 * - nightly schedules: make sure every venue has its nightly reconciliation scheduled, every hour;
 * - mints (MINTING_SERVICE_URL set): re-queue tickets pending for over 10 minutes, every 5 minutes;
 * - automatic check-outs: queue the exit-all job of every published event whose exitAllAt comes within
 *   the next EXIT_ALL_AHEAD_MS or passed within EXIT_ALL_CATCH_UP_MS (missed: the cloud was down), every
 *   60 s and at start; the job id names the event and the value, so a queued one is not queued twice.
 *
 * While Redis is unreachable every enqueue fails within its bound (jobs/bullmq-runner.ts), so a sweep
 * fails fast too and the next tick tries again; the work is done once Redis answers.
 */
import { and, eq, gt, lte } from 'drizzle-orm';
import type { Logger } from 'pino';
import { reconciliationReports } from '../db/reconciliation-schema';
import { events, orders, venues } from '../db/schema';
import type { ServiceContext } from '../services/context';
import { sweepPendingMints } from '../services/minting/tickets';
import { IN_FLIGHT_LIMIT_MS } from '../services/reconciliation/request';
import { releaseExpiredHolds } from '../services/reservations';
import { exitAllJobId } from './exit-all';
import type { JobRunner } from './runner';

const REFUND_SWEEP_BATCH = 1_000;
const RECONCILIATION_SWEEP_BATCH = 1_000;
const VENUE_PAGE = 1_000;

export interface SweepIntervals {
  holdsMs: number;
  refundsMs: number;
  reconciliationsMs: number;
  schedulesMs: number;
  mintsMs: number;
  exitAllMs: number;
}

export const DEFAULT_SWEEP_INTERVALS: SweepIntervals = {
  holdsMs: 5_000,
  refundsMs: 60_000,
  reconciliationsMs: 60_000,
  schedulesMs: 3_600_000,
  mintsMs: 300_000,
  exitAllMs: 60_000,
};

const EXIT_ALL_SWEEP_BATCH = 1_000;
/** Check-outs due within this long are queued (delayed) by the sweep; well over its interval. */
export const EXIT_ALL_AHEAD_MS = 15 * 60_000;
/**
 * A check-out missed by less than this is still run (late: its exits are dated exitAllAt all the same).
 * Under BullMQ's 24 h keeping of completed jobs, so a job that ran is not queued again by its id.
 */
export const EXIT_ALL_CATCH_UP_MS = 12 * 3600_000;

/** A pending mint older than this has probably lost its job (its own retries back off to 15 min). */
const MINT_STALE_MS = 10 * 60_000;

/** Expires due holds; returns how many. */
export function sweepHolds(ctx: Pick<ServiceContext, 'db' | 'business' | 'clock'>): Promise<number> {
  return releaseExpiredHolds(ctx, { now: ctx.clock() });
}

/** Queues refunds for paid orders of cancelled events (deduplicated by order id); returns how many. */
export async function sweepRefunds(ctx: Pick<ServiceContext, 'db' | 'jobs'>): Promise<number> {
  const paid = await ctx.db
    .select({ id: orders.id, tenantId: orders.tenantId })
    .from(orders)
    .innerJoin(events, eq(events.id, orders.eventId))
    .where(and(eq(events.status, 'cancelled'), eq(orders.status, 'paid')))
    .limit(REFUND_SWEEP_BATCH);
  await ctx.jobs.enqueueMany(
    'refund',
    paid.map((order) => ({
      data: { tenantId: order.tenantId, orderId: order.id, reason: 'event_cancelled' },
      options: { jobId: order.id },
    })),
  );
  return paid.length;
}

/**
 * Queues again every pending reconciliation run requested within IN_FLIGHT_LIMIT_MS (job id = run id, so
 * a run still queued is not queued twice; a run that is running or finished is not pending); returns
 * how many.
 */
export async function sweepReconciliations(
  ctx: Pick<ServiceContext, 'db' | 'jobs' | 'clock'>,
): Promise<number> {
  const pending = await ctx.db
    .select({ id: reconciliationReports.id, tenantId: reconciliationReports.tenantId })
    .from(reconciliationReports)
    .where(
      and(
        eq(reconciliationReports.status, 'pending'),
        gt(reconciliationReports.requestedAt, new Date(ctx.clock() - IN_FLIGHT_LIMIT_MS)),
      ),
    )
    .limit(RECONCILIATION_SWEEP_BATCH);
  await ctx.jobs.enqueueMany(
    'reconcile-event',
    pending.map((run) => ({
      data: { tenantId: run.tenantId, reportId: run.id },
      options: { jobId: run.id },
    })),
  );
  return pending.length;
}

/**
 * Queues the check-out of every published event whose exitAllAt is within EXIT_ALL_AHEAD_MS from now or
 * passed less than EXIT_ALL_CATCH_UP_MS ago (delayed until it is due); returns how many were offered.
 */
export async function sweepExitAll(ctx: Pick<ServiceContext, 'db' | 'jobs' | 'clock'>): Promise<number> {
  const now = ctx.clock();
  const due = await ctx.db
    .select({ id: events.id, tenantId: events.tenantId, exitAllAt: events.exitAllAt })
    .from(events)
    .where(
      and(
        eq(events.status, 'published'),
        gt(events.exitAllAt, new Date(now - EXIT_ALL_CATCH_UP_MS)),
        lte(events.exitAllAt, new Date(now + EXIT_ALL_AHEAD_MS)),
      ),
    )
    .limit(EXIT_ALL_SWEEP_BATCH);
  await ctx.jobs.enqueueMany(
    'exit-all',
    due.flatMap((event) => {
      const exitAllAt = event.exitAllAt?.getTime();
      if (exitAllAt === undefined) return [];
      return [
        {
          data: { tenantId: event.tenantId, eventId: event.id, exitAllAt },
          options: { jobId: exitAllJobId(event.id, exitAllAt), delayMs: Math.max(0, exitAllAt - now) },
        },
      ];
    }),
  );
  return due.length;
}

/** (Re)schedules the nightly reconciliation of every venue; returns how many venues. */
export async function syncNightlySchedules(
  ctx: Pick<ServiceContext, 'db'>,
  runner: JobRunner,
): Promise<number> {
  let count = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await ctx.db
      .select({ id: venues.id, tenantId: venues.tenantId, timezone: venues.timezone })
      .from(venues)
      .where(gt(venues.id, after))
      .orderBy(venues.id)
      .limit(VENUE_PAGE);
    for (const venue of page) {
      await runner.scheduleNightlyReconciliation({
        tenantId: venue.tenantId,
        venueId: venue.id,
        timezone: venue.timezone,
      });
    }
    count += page.length;
    if (page.length < VENUE_PAGE) break;
    after = page.at(-1)!.id;
  }
  return count;
}

/**
 * Starts the sweeps on timers (each skips a tick while its previous run is still going); returns a
 * function that stops them and waits for running sweeps. The schedule sync also runs once at start.
 */
export function startSweeps(
  ctx: ServiceContext,
  runner: JobRunner,
  logger: Logger,
  intervals: Partial<SweepIntervals> = {},
): () => Promise<void> {
  const every = { ...DEFAULT_SWEEP_INTERVALS, ...intervals };
  const running = new Set<Promise<unknown>>();
  const timers: NodeJS.Timeout[] = [];
  const periodic = (name: string, ms: number, work: () => Promise<number>, now = false) => {
    let current: Promise<unknown> | undefined;
    const tick = () => {
      if (current) return;
      current = work()
        .then((count) => {
          if (count > 0) logger.info({ sweep: name, count }, 'sweep did work');
        })
        .catch((error: unknown) => logger.error({ sweep: name, err: error }, 'sweep failed'))
        .finally(() => {
          if (current) running.delete(current);
          current = undefined;
        });
      running.add(current);
    };
    const timer = setInterval(tick, ms);
    timer.unref();
    timers.push(timer);
    if (now) tick();
  };
  periodic('holds', every.holdsMs, () => sweepHolds(ctx));
  periodic('refunds', every.refundsMs, () => sweepRefunds(ctx));
  periodic('reconciliations', every.reconciliationsMs, () => sweepReconciliations(ctx));
  periodic('nightly-schedules', every.schedulesMs, () => syncNightlySchedules(ctx, runner), true);
  periodic('exit-all', every.exitAllMs, () => sweepExitAll(ctx), true);
  if (ctx.mintingEnabled) {
    periodic('mints', every.mintsMs, () => sweepPendingMints(ctx, { olderThanMs: MINT_STALE_MS }));
  }
  return async () => {
    for (const timer of timers) clearInterval(timer);
    await Promise.allSettled([...running]);
  };
}
