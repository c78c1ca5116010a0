/**
 * Health endpoints outside /api/v1, for load balancers and Kubernetes probes: `/health` and
 * `/health/live` answer while the process serves requests; `/health/ready` runs the readiness checks
 * (database, Redis) and answers 503 naming the dependency that is down. Public (no credentials), and in
 * the OpenAPI document like every other operation.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../http/context';
import { type ReadinessChecks, runReadinessChecks } from '../http/readiness';

const Alive = z.object({ status: z.literal('ok') }).openapi('Alive');

const Readiness = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    checks: z
      .record(z.string(), z.enum(['ok', 'down']))
      .openapi({ example: { database: 'ok', redis: 'ok' }, description: 'Each dependency checked' }),
  })
  .openapi('Readiness');

const publicOperation = { tags: ['operations'], security: [] };

const aliveRoute = (path: string, summary: string) =>
  createRoute({
    method: 'get',
    path,
    summary,
    ...publicOperation,
    responses: {
      200: { description: 'The process serves requests', content: { 'application/json': { schema: Alive } } },
    },
  });

/** Mounts the health routes on the root app. */
export function mountHealthRoutes(app: OpenAPIHono<AppEnv>, readinessChecks: ReadinessChecks): void {
  app.openapi(aliveRoute('/health', 'Liveness (same as /health/live)'), (c) => c.json({ status: 'ok' }, 200));
  app.openapi(aliveRoute('/health/live', 'Liveness: the process serves requests'), (c) =>
    c.json({ status: 'ok' }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/health/ready',
      summary: 'Readiness: PostgreSQL, and Redis when configured, answer',
      ...publicOperation,
      responses: {
        200: {
          description: 'Every dependency answers',
          content: { 'application/json': { schema: Readiness } },
        },
        503: {
          description: 'A dependency is down (named in `checks`)',
          content: { 'application/json': { schema: Readiness } },
        },
      },
    }),
    async (c) => {
      const checks: Record<string, 'ok' | 'down'> = {};
      for (const outcome of await runReadinessChecks(readinessChecks)) {
        checks[outcome.name] = outcome.up ? 'ok' : 'down';
        if (!outcome.up) {
          c.get('logger').warn({ err: outcome.error, check: outcome.name }, 'readiness check failed');
        }
      }
      const ready = Object.values(checks).every((state) => state === 'ok');
      return ready
        ? c.json({ status: 'ok' as const, checks }, 200)
        : c.json({ status: 'unavailable' as const, checks }, 503);
    },
  );
}
