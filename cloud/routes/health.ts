/**
 * Health endpoints outside /api/v1, for load balancers and Kubernetes probes: `/health` and
 * `/health/live` answer while the process serves requests; `/health/ready` runs the readiness checks
 * (database, Redis) and answers 503 naming the dependency that is down.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../http/context';
import { type ReadinessChecks, runReadinessChecks } from '../http/readiness';

/** Mounts the health routes on the root app. */
export function mountHealthRoutes(app: OpenAPIHono<AppEnv>, readinessChecks: ReadinessChecks): void {
  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.get('/health/live', (c) => c.json({ status: 'ok' }));
  app.get('/health/ready', async (c) => {
    const checks: Record<string, 'ok' | 'down'> = {};
    for (const outcome of await runReadinessChecks(readinessChecks)) {
      checks[outcome.name] = outcome.up ? 'ok' : 'down';
      if (!outcome.up) {
        c.get('logger').warn({ err: outcome.error, check: outcome.name }, 'readiness check failed');
      }
    }
    const ready = Object.values(checks).every((state) => state === 'ok');
    return c.json({ status: ready ? 'ok' : 'unavailable', checks }, ready ? 200 : 503);
  });
}
