/**
 * `/metrics` for a cluster (CLOUD_WORKERS > 1, cloud/cluster.ts): node:cluster hands each scrape to one
 * worker, and a worker alone knows only its own requests, jobs and pool — a scrape would read a third of
 * the counters, and a different third each time (Prometheus would see counter resets). So a worker asks the
 * primary, which collects every worker's registry with prom-client's AggregatorRegistry and answers with
 * one exposition: counters and histograms summed, gauges by their `aggregator` (those read from
 * PostgreSQL or Redis take the first worker's value, the pool's connections are summed).
 *
 * A worker whose primary does not answer within CLUSTER_METRICS_TIMEOUT_MS gets an error (the scrape
 * fails visibly) rather than its own partial figures.
 */
import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const REQUEST = 'cloud:metrics-request';
const RESPONSE = 'cloud:metrics-response';
/** How long a worker waits for the primary's aggregation (which waits up to 5 s for every worker). */
export const CLUSTER_METRICS_TIMEOUT_MS = 8_000;

export interface Exposition {
  body: string;
  contentType: string;
}

interface MetricsMessage {
  type: string;
  id: number;
  body?: string;
  contentType?: string;
  error?: string;
}

function isMetricsMessage(message: unknown, type: string): message is MetricsMessage {
  return typeof message === 'object' && message !== null && (message as MetricsMessage).type === type;
}

/** In the primary: answers every worker's request with all workers' metrics, aggregated. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: unknown) => {
    if (!isMetricsMessage(message, REQUEST)) return;
    const reply = (answer: Omit<MetricsMessage, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: RESPONSE, id: message.id, ...answer });
    };
    aggregator.clusterMetrics().then(
      (body) => reply({ body, contentType: aggregator.contentType }),
      (error: Error) => reply({ error: error.message }),
    );
  });
}

/**
 * In a worker: offers `registry` to the primary's aggregation and returns the reader of the aggregated
 * exposition. Call once per process.
 */
export function clusterExposition(registry: Registry): () => Promise<Exposition> {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one installs prom-client's worker-side listener that answers the primary's collection
  // (it is installed by the constructor only, in the primary and in workers alike).
  new AggregatorRegistry();
  let nextId = 0;
  const pending = new Map<number, (message: MetricsMessage) => void>();
  process.on('message', (message: unknown) => {
    if (!isMetricsMessage(message, RESPONSE)) return;
    pending.get(message.id)?.(message);
  });
  return () =>
    new Promise<Exposition>((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error('the cluster primary did not answer with the metrics in time'));
      }, CLUSTER_METRICS_TIMEOUT_MS);
      pending.set(id, (message) => {
        clearTimeout(timer);
        pending.delete(id);
        if (message.error !== undefined || message.body === undefined) {
          reject(new Error(`aggregating the workers' metrics failed: ${message.error ?? 'no body'}`));
        } else resolve({ body: message.body, contentType: message.contentType ?? registry.contentType });
      });
      if (!process.send) {
        clearTimeout(timer);
        pending.delete(id);
        reject(new Error('not a cluster worker'));
        return;
      }
      process.send({ type: REQUEST, id });
    });
}
