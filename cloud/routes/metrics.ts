/**
 * `GET /metrics`: the Prometheus exposition of the app's registry (http/metrics.ts), for the ops role,
 * in the OpenAPI document like every other operation (its roles from the same `bearerAccess` list).
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../errors';
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
      // In a cluster the primary aggregates every worker's registry; if it cannot, the scrape fails
      // visibly (503) instead of answering one worker's partial counters.
      const exposition = await metrics.exposition().catch((error: Error) => {
        throw new AppError('SERVICE_UNAVAILABLE', error.message);
      });
      const { body, contentType } = exposition;
      return c.body(body, 200, { 'Content-Type': contentType }) as never;
    },
  );
}
