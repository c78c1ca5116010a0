/**
 * Scrape-time sources and the one way a gauge reads them. The app attaches its sources once it has built
 * its database, checks and services (`attach`, later calls replace what they name); every gauge whose
 * value lives elsewhere is a `collectedGauge` that turns those sources into samples at scrape time.
 *
 * Reads are bounded: each gets `SOURCE_TIMEOUT_MS`; one that fails or is slow leaves its gauge empty for
 * that scrape and counts `metrics_source_errors_total{source}`, so /metrics always answers.
 */
import { type Aggregator, Counter, Gauge, type LabelValues, type Registry } from 'prom-client';
import type { PoolStats } from '../../db/client';
import type { GateHealthSample } from '../../services/gate-health';
import type { ZoneOccupancySample } from '../../services/occupancy';
import { CHECK_TIMEOUT_MS, type ReadinessChecks, within } from '../readiness';

/** How long one scrape waits for one source (a dependency check, the queue, the devices query). */
export const SOURCE_TIMEOUT_MS = CHECK_TIMEOUT_MS;

/** Jobs by state, as the job runner counts them. */
export type JobDepthSource = () => Promise<{ job: string; state: string; count: number }[]>;

/** What the app attaches once it has built its job runner, database, checks and services. */
export interface MetricsSources {
  /** The job runner's queue counts, for `job_queue_depth`. */
  jobDepth?: JobDepthSource | undefined;
  /** Connections of the database pool. */
  poolStats?: (() => PoolStats) | undefined;
  /** Connections of online validation's scan pool. */
  scanPoolStats?: (() => PoolStats) | undefined;
  /** The readiness checks (/health/ready): each throws when its dependency is not usable. */
  dependencies?: ReadinessChecks | undefined;
  /** Every gate's latest health report (one bounded query). */
  gateReports?: (() => Promise<GateHealthSample[]>) | undefined;
  /** Occupancy per zone of the live events (bounded: services/occupancy.ts liveOccupancySamples). */
  zoneOccupancy?: (() => Promise<ZoneOccupancySample[]>) | undefined;
}

/** What the gauge families get: the attached sources (read at each scrape) and the bounded reader. */
export interface Scrape {
  readonly sources: Readonly<MetricsSources>;
  /** Runs one source under the timeout; undefined (and counted under `source`) when it fails. */
  read<T>(source: string, work: () => Promise<T>): Promise<T | undefined>;
}

/** The sources of one registry, with `metrics_source_errors_total` registered on it. */
export function createScrape(registry: Registry): Scrape & { attach(sources: MetricsSources): void } {
  const sources: MetricsSources = {};
  const sourceErrors = new Counter({
    name: 'metrics_source_errors_total',
    help: 'Scrape-time sources that failed or timed out (their gauges were left empty for that scrape)',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  return {
    sources,
    attach(attached) {
      Object.assign(sources, attached);
    },
    async read(source, work) {
      try {
        return await within(work(), SOURCE_TIMEOUT_MS);
      } catch {
        sourceErrors.inc({ source });
        return undefined;
      }
    },
  };
}

/**
 * Values read from PostgreSQL or Redis at scrape time are the same whichever worker of a cluster reads
 * them: the aggregated /metrics takes one worker's (summing would count them once per worker).
 */
const SHARED_STATE: Aggregator = 'first';

/** One value of a gauge and its labels. */
export interface Sample<L extends string> {
  labels: LabelValues<L>;
  value: number;
}

/**
 * A gauge read at scrape time: `samples` is asked at each scrape, and the gauge then holds exactly those
 * (a series that is no longer sampled disappears, e.g. a revoked device).
 */
export function collectedGauge<L extends string>(
  registry: Registry,
  spec: {
    name: string;
    help: string;
    labelNames: readonly L[];
    samples: () => Promise<Iterable<Sample<L>>> | Iterable<Sample<L>>;
    /** How a cluster's workers' values combine (cluster-metrics.ts); default `first`: see SHARED_STATE. */
    aggregator?: Aggregator;
  },
): Gauge<L> {
  return new Gauge({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames,
    registers: [registry],
    aggregator: spec.aggregator ?? SHARED_STATE,
    async collect() {
      const samples = await spec.samples();
      this.reset();
      for (const sample of samples) this.set(sample.labels, sample.value);
    },
  });
}

/**
 * A counter whose values live elsewhere and are read at scrape time (a gate's counts since its agent
 * started, as it reported them). Typed `counter`, so `rate()` applies and a gate restart, which starts
 * its counts again from zero, reads as the counter reset it is.
 */
export function collectedCounter<L extends string>(
  registry: Registry,
  spec: {
    name: `${string}_total`;
    help: string;
    labelNames: readonly L[];
    samples: () => Promise<Iterable<Sample<L>>> | Iterable<Sample<L>>;
  },
): Counter<L> {
  return new Counter({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames,
    registers: [registry],
    aggregator: SHARED_STATE,
    async collect() {
      const samples = await spec.samples();
      this.reset();
      for (const sample of samples) this.inc(sample.labels, Math.max(0, sample.value));
    },
  });
}
