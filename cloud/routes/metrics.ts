/**
 * `GET /metrics`: the Prometheus exposition of the app's registry (http/metrics.ts), for the ops role,
 * in the OpenAPI document like every other operation (its roles from the same `bearerAccess` list).
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { errorResponses } from '../http/answers';
import type { AppEnv } from '../http/context';
import type { Metrics } from '../http/metrics';
import { bearerAccess } from '../http/openapi';

/** Mounts /metrics on the root app behind `authenticate` and the ops role. */
export function mountMetricsRoute(
  app: OpenAPIHono<AppEnv>,
  metrics: Metrics,
  authenticate: MiddlewareHandler<AppEnv>,
): void {
  const { middleware, ...access } = bearerAccess(['operations'], ['ops']);
  app.openapi(
    createRoute({
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics (text exposition format 0.0.4)',
      ...access,
      middleware: [authenticate, ...middleware],
      responses: {
        200: {
          description: 'The metrics',
          content: {
            'text/plain': {
              schema: z.string().openapi({ example: '# TYPE http_requests_total counter\n' }),
            },
          },
        },
        ...errorResponses(),
      },
    }),
    async (c) => {
      const body = await metrics.registry.metrics();
      return c.body(body, 200, { 'Content-Type': metrics.registry.contentType }) as never;
    },
  );
}
