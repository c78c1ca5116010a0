/**
 * Prometheus metrics of one cloud app (prom-client), in one registry per app instance so tests that
 * build several apps do not collide on metric names. Three families, one module each:
 *  - HTTP (metrics/http.ts): requests, latency and errors by code;
 *  - business (metrics/business.ts): holds, purchases, refunds, scans ingested, jobs, minting,
 *    reconciliation;
 *  - read at scrape time from the sources the app attaches (metrics/scrape.ts): the platform gauges
 *    (metrics/platform.ts: job queue, database pool, dependencies) and the gate fleet's latest health
 *    reports (metrics/gate-fleet.ts) and the live events' occupancy per zone (metrics/occupancy.ts).
 * A new family is a module with a `register…(registry, scrape)` function and one line below.
 */
import type { MiddlewareHandler } from 'hono';
import type { Counter } from 'prom-client';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { BusinessEvents } from '../services/context';
import { clusterExposition, type Exposition } from './cluster-metrics';
import type { AppEnv } from './context';
import { createBusinessMetrics } from './metrics/business';
import { registerGateFleetGauges } from './metrics/gate-fleet';
import { createHttpMetrics } from './metrics/http';
import { registerOccupancyGauges } from './metrics/occupancy';
import { registerPlatformGauges } from './metrics/platform';
import { createScrape, type MetricsSources } from './metrics/scrape';

export { type JobDepthSource, type MetricsSources, SOURCE_TIMEOUT_MS } from './metrics/scrape';

export interface Metrics {
  registry: Registry;
  business: BusinessEvents;
  errorsByCode: Counter<'code'>;
  middleware: MiddlewareHandler<AppEnv>;
  /** Attaches scrape-time sources (createApp calls this; later calls replace what they name). */
  attach(sources: MetricsSources): void;
  /** What `/metrics` answers: this registry, or in a cluster worker every worker's, aggregated. */
  exposition(): Promise<Exposition>;
}

/**
 * Creates the registry and its instruments; `defaultMetrics` adds prom-client's process metrics;
 * `clusterWorker`: this process is one of CLOUD_WORKERS, and /metrics answers for all of them
 * (./cluster-metrics.ts).
 */
export function createMetrics(options: { defaultMetrics?: boolean; clusterWorker?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const http = createHttpMetrics(registry);
  const business = createBusinessMetrics(registry);
  const scrape = createScrape(registry);
  registerPlatformGauges(registry, scrape);
  registerGateFleetGauges(registry, scrape);
  registerOccupancyGauges(registry, scrape);
  const own = async (): Promise<Exposition> => ({
    body: await registry.metrics(),
    contentType: registry.contentType,
  });
  return {
    registry,
    business,
    errorsByCode: http.errorsByCode,
    middleware: http.middleware,
    attach: scrape.attach,
    exposition: options.clusterWorker ? clusterExposition(registry) : own,
  };
}
