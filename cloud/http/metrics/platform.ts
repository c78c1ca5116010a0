/**
 * The platform gauges, read at scrape time from what the app attached: background jobs by state, the
 * database pool, and whether each dependency answers its readiness check.
 */
import type { Registry } from 'prom-client';
import type { PoolStats } from '../../db/client';
import { runReadinessChecks } from '../readiness';
import { collectedGauge, type Scrape } from './scrape';

/** Registers `job_queue_depth`, `db_pool_connections`, `db_scan_pool_connections` and `dependency_up`. */
export function registerPlatformGauges(registry: Registry, scrape: Scrape): void {
  collectedGauge(registry, {
    name: 'job_queue_depth',
    help: 'Background jobs by job and state (waiting, delayed, active, failed)',
    labelNames: ['job', 'state'] as const,
    async samples() {
      const source = scrape.sources.jobDepth;
      const rows = source ? await scrape.read('job_queue_depth', source) : undefined;
      return (rows ?? []).map((row) => ({ labels: { job: row.job, state: row.state }, value: row.count }));
    },
  });
  registerPoolGauge(registry, {
    name: 'db_pool_connections',
    help: 'Database pool connections by state (total, idle, waiting = requests queued for a connection)',
    stats: () => scrape.sources.poolStats?.(),
  });
  // Online validation's own pool (db/client.ts): steady `waiting` here means stewards wait for a
  // connection, whatever the main pool does.
  registerPoolGauge(registry, {
    name: 'db_scan_pool_connections',
    help: 'Online validation scan pool connections by state (total, idle, waiting = scans queued for one)',
    stats: () => scrape.sources.scanPoolStats?.(),
  });
  collectedGauge(registry, {
    name: 'dependency_up',
    help: 'Whether a dependency answered its readiness check at this scrape (1) or not (0)',
    labelNames: ['dependency'] as const,
    // A dependency one worker cannot reach is down for the requests that worker serves.
    aggregator: 'min',
    async samples() {
      const outcomes = await runReadinessChecks(scrape.sources.dependencies ?? {});
      return outcomes.map((outcome) => ({
        labels: { dependency: outcome.name },
        value: outcome.up ? 1 : 0,
      }));
    },
  });
}

/** A pool's connections by state (total, idle, waiting), summed over a cluster's processes. */
function registerPoolGauge(
  registry: Registry,
  pool: {
    name: string;
    help: string;
    stats: () => PoolStats | undefined;
  },
): void {
  collectedGauge(registry, {
    name: pool.name,
    help: pool.help,
    labelNames: ['state'] as const,
    // Each process has its own pools: a cluster's connections add up.
    aggregator: 'sum',
    samples() {
      const stats = pool.stats();
      if (!stats) return [];
      return (['total', 'idle', 'waiting'] as const).map((state) => ({
        labels: { state },
        value: stats[state],
      }));
    },
  });
}
