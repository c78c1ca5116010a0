/**
 * The load test of issue 8: the seeds' four k6 scenarios run at once against the real cloud (cloud/main.ts
 * as a child process, NODE_ENV=production) on a fresh PostgreSQL database, with Redis when REDIS_URL is
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
import { runHealth } from './health';
import { runListing } from './listing';
import { residentMiB, sampleResident } from './memory';
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
  /** Pause after the load before memory is read again, for the cloud's garbage collector. */
  settleS: number;
  /** Ticket holders seeded, and tickets each (their QR codes are scanned, their lists read). */
  holders: number;
  ticketsEach: number;
  /** Largest RSS growth (after settling, against before the load) that still counts as no growth. */
  maxRssGrowthMiB: number;
  /** Redis for the cloud (jobs, rate limits, pub/sub); undefined = the cloud's in-process equivalents. */
  redisUrl: string | undefined;
}

const DEFAULTS = {
  full: { seconds: 180, peakBuyers: 500, stewards: 100, listingPerSecond: 50, settleS: 10, holders: 50 },
  quick: { seconds: 20, peakBuyers: 100, stewards: 20, listingPerSecond: 10, settleS: 3, holders: 10 },
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
 * LOAD_BUYERS, LOAD_STEWARDS, LOAD_LISTING_RPS, LOAD_HEALTH_EVERY_S, LOAD_THINK_MS, LOAD_SETTLE_S,
 * LOAD_MAX_RSS_GROWTH_MB, REDIS_URL.
 */
export function loadOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): LoadOptions {
  const quick = env.LOAD_QUICK === '1';
  const d = quick ? DEFAULTS.quick : DEFAULTS.full;
  return {
    quick,
    seconds: intSetting(env, 'LOAD_DURATION_S', d.seconds, 5, 3600),
    peakBuyers: intSetting(env, 'LOAD_BUYERS', d.peakBuyers, 1, 5000),
    stewards: intSetting(env, 'LOAD_STEWARDS', d.stewards, 1, 1000),
    listingPerSecond: intSetting(env, 'LOAD_LISTING_RPS', d.listingPerSecond, 1, 1000),
    healthEveryS: intSetting(env, 'LOAD_HEALTH_EVERY_S', 5, 1, 60),
    thinkMs: intSetting(env, 'LOAD_THINK_MS', 1000, 0, 60_000),
    settleS: intSetting(env, 'LOAD_SETTLE_S', d.settleS, 0, 300),
    holders: d.holders,
    ticketsEach: quick ? 10 : 20,
    maxRssGrowthMiB: intSetting(env, 'LOAD_MAX_RSS_GROWTH_MB', 128, 1, 100_000),
    redisUrl: env.REDIS_URL || undefined,
  };
}

export interface LoadRun {
  options: LoadOptions;
  startedAt: string;
  seconds: number;
  machine: { cpus: number; node: string };
  cloud: { postgres: true; redis: boolean; rateLimitPerMinute: number };
  scenarios: ScenarioResult[];
  memory: { beforeMiB: number; peakMiB: number; afterMiB: number; settleS: number };
}

const RATE_LIMIT = 1_000_000;

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
  });
  try {
    const seed = await seedLoad(cloud, { holders: options.holders, ticketsEach: options.ticketsEach });
    const buyerTokens = await Promise.all(
      Array.from({ length: options.peakBuyers }, (_, i) =>
        cloud.token('customer', seed.tenant, `buyer-${i}`),
      ),
    );
    // Seeding ran the purchase path once per holder; give the process a moment before the baseline.
    await sleep(2000);
    const beforeMiB = residentMiB(cloud.pid);
    if (beforeMiB === undefined) throw new Error(`cannot read the memory of the cloud (pid ${cloud.pid})`);
    const sampler = sampleResident(cloud.pid);
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
    await sleep(options.settleS * 1000);
    const afterMiB = residentMiB(cloud.pid);
    if (afterMiB === undefined) throw new Error('the cloud process is gone after the load');
    return {
      options,
      startedAt,
      seconds: (performance.now() - started) / 1000,
      machine: { cpus: cpus().length, node: process.version },
      cloud: { postgres: true, redis: Boolean(options.redisUrl), rateLimitPerMinute: RATE_LIMIT },
      scenarios,
      memory: { beforeMiB, peakMiB, afterMiB, settleS: options.settleS },
    };
  } finally {
    await cloud.stop();
  }
}
