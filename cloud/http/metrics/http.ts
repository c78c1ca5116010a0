/**
 * The HTTP metrics: requests and their latency by method, route pattern and status, and error responses
 * by error code (counted by the one error handler, http/errors.ts).
 */
import type { Context, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { AppEnv } from '../context';

export interface HttpMetrics {
  /** Counts and times every request; mount it before the routes. */
  middleware: MiddlewareHandler<AppEnv>;
  errorsByCode: Counter<'code'>;
}

/** Registers `http_requests_total`, `http_request_duration_seconds` and `http_errors_total`. */
export function createHttpMetrics(registry: Registry): HttpMetrics {
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const errorsByCode = new Counter({
    name: 'http_errors_total',
    help: 'Error responses by error code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const middleware: MiddlewareHandler<AppEnv> = async (c, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      // The route pattern, not the path: ids in paths would explode the label cardinality.
      const labels = { method: c.req.method, route: routePattern(c), status: String(c.res.status) };
      requests.inc(labels);
      duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
  return { middleware, errorsByCode };
}

/** The matched route's pattern; `unmatched` for the catch-all (a 404) or when Hono cannot tell. */
function routePattern(c: Context<AppEnv>): string {
  try {
    const path = routePath(c, -1);
    return path === '/*' || path === '*' ? 'unmatched' : path;
  } catch {
    return 'unmatched';
  }
}
