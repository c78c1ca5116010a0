/** `GET /metrics`: the Prometheus exposition of the app's registry (http/metrics.ts), for the ops role. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/context';
import type { Metrics } from '../http/metrics';

/** Mounts /metrics on the root app behind `opsOnly` (authentication + the ops role). */
export function mountMetricsRoute(
  app: OpenAPIHono<AppEnv>,
  metrics: Metrics,
  opsOnly: MiddlewareHandler<AppEnv>[],
): void {
  for (const middleware of opsOnly) app.use('/metrics', middleware);
  app.get('/metrics', async (c) => {
    const body = await metrics.registry.metrics();
    return c.body(body, 200, { 'Content-Type': metrics.registry.contentType });
  });
}
