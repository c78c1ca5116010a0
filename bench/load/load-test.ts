/**
 * The load test of issue 8: the seeds' four k6 scenarios run at once against the real cloud (cloud/main.ts
 * as a child process, production settings with the test payment provider) on a fresh PostgreSQL database, with Redis when REDIS_URL is
 * set: purchases ramping to the peak of buyers, online QR validation by stewards, ticket listing at a
 * constant rate, and a health monitor. Validation and listing run for the whole run (the seeds run them
 * for the first 5 of 12 minutes only), so they also meet the purchase peak.
 *
 * Rate limits are raised to 1,000,000 a minute per class: the test measures the cloud's capacity, not its
 * limiter (which has its own tests). Nothing here judges the figures; report.ts holds the thresholds.
 */
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchDatabaseServer, startBenchCloud } from '../lib/cloud-process';
import { type CpuShares, sampleCpuShares } from './cpu-shares';
import { type DatabaseWaits, sampleDatabaseWaits } from './database-waits';
import { runHealth } from './health';
import { runListing } from './listing';
import { heapUsedMiB, processTree, residentMiB, sampleResident } from './memory';
import { runPurchases } from './purchases';
import type { ScenarioResult } from './scenario';
import { seedLoad } from './seed';
import { runValidation } from './validation';

export interface LoadOptions {
  quick: boolean;
  /** Length of the run: the purchase ramp and the other scenarios, seconds. */
  seconds: number;
  peakBuyers: number;
  stewards: number;
  listingPerSecond: number;
  healthEveryS: number;
  /** Pause between two iterations of a buyer or steward (k6 scripts' `sleep(1)`). */
  thinkMs: number;
  /**
   * A light run of every scenario before the baseline is read, so the baseline already holds what any
   * first requests leave (compiled code, pools, caches) and memory before and after compare like with like.
   */
  warmupS: number;
  /**
   * Pause before each memory reading (after the warm-up and after the load); then a full garbage
   * collection is asked for (SIGUSR2, gc-on-signal.mjs) and memory read a second later.
   */
  settleS: number;
  /**
   * Whose tickets the stewards scan: `same` (the seeds' run: the event the buyers are buying) or
   * `separate` (a second event at the same venue and gate) — the pair tells how much of a scan's time
   * is spent waiting on the sold event's rows (LOAD_SCAN_EVENT).
   */
  scanEvent: 'same' | 'separate';
  /** Ticket holders seeded, and tickets each (their QR codes are scanned, their lists read). */
  holders: number;
  ticketsEach: number;
  /**
   * Largest growth (after settling, against before the load) that still counts as no growth: of the
   * V8 heap in use (what leaked JavaScript objects grow) and of the resident memory (which also holds
   * heap V8 grew for the peak and keeps, and native buffers).
   */
  maxHeapGrowthMiB: number;
  maxRssGrowthMiB: number;
  /** Redis for the cloud (jobs, rate limits, pub/sub); undefined = the cloud's in-process equivalents. */
  redisUrl: string | undefined;
  /**
   * How the cloud under load is deployed: CLOUD_WORKERS general processes and CLOUD_SCAN_WORKERS processes
   * of the scan lane (cloud/http/lane-router.ts). By default one of each when Redis is there — the stewards'
   * scans then have a process of their own, as docs/DEPLOY.md recommends for a venue that scans online
   * during a sale — and one process without Redis (a lane needs it).
   */
  cloudWorkers: number;
  scanWorkers: number;
}

const DEFAULTS = {
  full: {
    seconds: 180,
    peakBuyers: 500,
    stewards: 100,
    listingPerSecond: 50,
    warmupS: 10,
    settleS: 10,
    holders: 50,
  },
  quick: {
    seconds: 20,
    peakBuyers: 100,
    stewards: 20,
    listingPerSecond: 10,
    warmupS: 3,
    settleS: 3,
    holders: 10,
  },
};

/** Reads one whole-number setting; a bad value throws naming the variable, before anything starts. */
function intSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`${name} must be a whole number from ${min} to ${max}, not "${raw}"`);
  return value;
}

/**
 * The load test's settings from the environment: LOAD_QUICK=1 (≈ 20 s, lighter), LOAD_DURATION_S,
 * LOAD_BUYERS, LOAD_STEWARDS, LOAD_LISTING_RPS, LOAD_HEALTH_EVERY_S, LOAD_THINK_MS, LOAD_WARMUP_S, LOAD_SETTLE_S,
 * LOAD_MAX_HEAP_GROWTH_MB, LOAD_MAX_RSS_GROWTH_MB, LOAD_SCAN_EVENT (same | separate), REDIS_URL, and the
 * cloud's CLOUD_WORKERS and CLOUD_SCAN_WORKERS.
 */
export function loadOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): LoadOptions {
  const quick = env.LOAD_QUICK === '1';
  const d = quick ? DEFAULTS.quick : DEFAULTS.full;
  const redisUrl = env.REDIS_URL || undefined;
  const scanWorkers = intSetting(env, 'CLOUD_SCAN_WORKERS', redisUrl ? 1 : 0, 0, 16);
  const cloudWorkers = intSetting(env, 'CLOUD_WORKERS', 1, 1, 64);
  if (!redisUrl && (scanWorkers > 0 || cloudWorkers > 1))
    throw new RangeError(
      'CLOUD_SCAN_WORKERS and CLOUD_WORKERS > 1 need REDIS_URL (the cloud refuses them without)',
    );
  return {
    quick,
    seconds: intSetting(env, 'LOAD_DURATION_S', d.seconds, 5, 3600),
    peakBuyers: intSetting(env, 'LOAD_BUYERS', d.peakBuyers, 1, 5000),
    stewards: intSetting(env, 'LOAD_STEWARDS', d.stewards, 1, 1000),
    listingPerSecond: intSetting(env, 'LOAD_LISTING_RPS', d.listingPerSecond, 1, 1000),
    healthEveryS: intSetting(env, 'LOAD_HEALTH_EVERY_S', 5, 1, 60),
    thinkMs: intSetting(env, 'LOAD_THINK_MS', 1000, 0, 60_000),
    warmupS: intSetting(env, 'LOAD_WARMUP_S', d.warmupS, 0, 300),
    settleS: intSetting(env, 'LOAD_SETTLE_S', d.settleS, 0, 300),
    scanEvent: scanEventSetting(env.LOAD_SCAN_EVENT),
    holders: d.holders,
    ticketsEach: quick ? 10 : 20,
    maxHeapGrowthMiB: intSetting(env, 'LOAD_MAX_HEAP_GROWTH_MB', 24, 1, 100_000),
    maxRssGrowthMiB: intSetting(env, 'LOAD_MAX_RSS_GROWTH_MB', 160, 1, 100_000),
    redisUrl,
    cloudWorkers,
    scanWorkers,
  };
}

function scanEventSetting(value: string | undefined): LoadOptions['scanEvent'] {
  if (value === undefined || value === '' || value === 'same') return 'same';
  if (value === 'separate') return 'separate';
  throw new RangeError(`LOAD_SCAN_EVENT must be same or separate, not ${JSON.stringify(value)}`);
}

export interface LoadRun {
  options: LoadOptions;
  startedAt: string;
  seconds: number;
  machine: { cpus: number; node: string };
  cloud: { postgres: true; redis: boolean; rateLimitPerMinute: number };
  scenarios: ScenarioResult[];
  /** Cores used by the cloud, PostgreSQL, Redis and the load generator during the load (undefined: no /proc). */
  cpu: CpuShares | undefined;
  /** What the cloud's database connections were busy with during the load (pg_stat_activity samples). */
  database: DatabaseWaits | undefined;
  /** The cloud's resident memory and V8 heap in use, before the load, at the peak and after settling. */
  memory: {
    beforeMiB: number;
    peakMiB: number;
    afterMiB: number;
    heapBeforeMiB: number;
    heapAfterMiB: number;
    settleS: number;
  };
}

const RATE_LIMIT = 1_000_000;
const GC_ON_SIGNAL = new URL('./gc-on-signal.mjs', import.meta.url).href;

/** Memory of the cloud after a full garbage collection (see gc-on-signal.mjs), or undefined. */
async function settledMemory(pid: number, base: string, opsToken: string, settleS: number) {
  await sleep(settleS * 1000);
  // Every process of the cloud: a cluster's workers hold its heap (their V8 heaps add up in /metrics).
  for (const member of processTree(pid)) {
    try {
      process.kill(member, 'SIGUSR2');
    } catch {
      // a worker that just exited
    }
  }
  await sleep(1000);
  const rss = residentMiB(pid);
  const heap = await heapUsedMiB(base, opsToken);
  return rss === undefined || heap === undefined ? undefined : { rss, heap };
}

/** The same scenarios, lightly, before the baseline is read; their figures are not reported. */
async function warmUp(
  base: string,
  seed: Awaited<ReturnType<typeof seedLoad>>,
  buyerTokens: string[],
  options: LoadOptions,
): Promise<void> {
  const light = { seconds: options.warmupS, thinkMs: options.thinkMs, base };
  await Promise.all([
    runPurchases({
      ...light,
      eventId: seed.eventId,
      ticketTypeId: seed.ticketTypeId,
      buyerTokens,
      peakBuyers: Math.min(10, options.peakBuyers),
    }),
    runValidation({
      ...light,
      gateId: seed.gateId,
      stewardToken: seed.stewardToken,
      qrCodes: seed.qrCodes,
      stewards: Math.min(5, options.stewards),
    }),
    runListing({
      ...light,
      holderTokens: seed.holderTokens,
      perSecond: Math.min(5, options.listingPerSecond),
    }),
  ]);
}

/** Starts the cloud, seeds it, runs the four scenarios at once, reads memory, stops the cloud. */
export async function runLoadTest(options: LoadOptions): Promise<LoadRun> {
  if (!benchDatabaseServer()) throw new Error('the load test needs DATABASE_URL or TEST_DATABASE_URL');
  const startedAt = new Date().toISOString();
  const rate = String(RATE_LIMIT);
  const cloud = await startBenchCloud('load', {
    RATE_LIMIT_PURCHASE_PER_MINUTE: rate,
    RATE_LIMIT_READ_PER_MINUTE: rate,
    RATE_LIMIT_SYNC_PER_MINUTE: rate,
    RATE_LIMIT_AUTH_PER_MINUTE: rate,
    REDIS_URL: options.redisUrl ?? '',
    CLOUD_WORKERS: String(options.cloudWorkers),
    CLOUD_SCAN_WORKERS: String(options.scanWorkers),
    // The seed gives each holder `ticketsEach` tickets in one hold (setup, not a buyer under test).
    HOLD_LIMIT_PER_CUSTOMER: String(Math.max(10, options.ticketsEach)),
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${GC_ON_SIGNAL}`.trim(),
  });
  try {
    const seed = await seedLoad(cloud, {
      holders: options.holders,
      ticketsEach: options.ticketsEach,
      scanEvent: options.scanEvent,
    });
    const buyerTokens = await Promise.all(
      Array.from({ length: options.peakBuyers }, (_, i) =>
        cloud.token('customer', seed.tenant, `buyer-${i}`),
      ),
    );
    if (options.warmupS > 0) await warmUp(cloud.url, seed, buyerTokens, options);
    const opsToken = await cloud.token('ops', 'platform', 'load-monitor');
    const before = await settledMemory(cloud.pid, cloud.url, opsToken, options.settleS);
    if (!before) throw new Error(`cannot read the memory of the cloud (pid ${cloud.pid}, /metrics)`);
    const sampler = sampleResident(cloud.pid);
    const cpuSampler = sampleCpuShares(cloud.pid);
    const databaseSampler = sampleDatabaseWaits(cloud.databaseUrl);
    const started = performance.now();
    const timed = async (run: Promise<ScenarioResult>) => {
      const result = await run;
      result.seconds = (performance.now() - started) / 1000;
      return result;
    };
    const scenarios = await Promise.all([
      timed(
        runPurchases({
          base: cloud.url,
          eventId: seed.eventId,
          ticketTypeId: seed.ticketTypeId,
          buyerTokens,
          peakBuyers: options.peakBuyers,
          seconds: options.seconds,
          thinkMs: options.thinkMs,
        }),
      ),
      timed(
        runValidation({
          base: cloud.url,
          gateId: seed.gateId,
          stewardToken: seed.stewardToken,
          qrCodes: seed.qrCodes,
          stewards: options.stewards,
          seconds: options.seconds,
          thinkMs: options.thinkMs,
        }),
      ),
      timed(
        runListing({
          base: cloud.url,
          holderTokens: seed.holderTokens,
          perSecond: options.listingPerSecond,
          seconds: options.seconds,
        }),
      ),
      timed(runHealth({ base: cloud.url, everyS: options.healthEveryS, seconds: options.seconds })),
    ]);
    const peakMiB = sampler.stop();
    const cpu = cpuSampler.stop();
    const database = await databaseSampler.stop();
    const after = await settledMemory(cloud.pid, cloud.url, opsToken, options.settleS);
    if (!after) throw new Error('cannot read the memory of the cloud after the load');
    return {
      options,
      startedAt,
      seconds: (performance.now() - started) / 1000,
      machine: { cpus: cpus().length, node: process.version },
      cloud: { postgres: true, redis: Boolean(options.redisUrl), rateLimitPerMinute: RATE_LIMIT },
      scenarios,
      cpu,
      database,
      memory: {
        beforeMiB: before.rss,
        peakMiB,
        afterMiB: after.rss,
        heapBeforeMiB: before.heap,
        heapAfterMiB: after.heap,
        settleS: options.settleS,
      },
    };
  } finally {
    await cloud.stop();
  }
}
