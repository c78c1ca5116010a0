/**
 * `/health/ready`: 200 while every readiness check answers, 503 naming the dependency that failed or
 * hung (each check is bounded), with the failure logged and never shown to the caller.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../http/context';
import { CHECK_TIMEOUT_MS, type ReadinessChecks } from '../http/readiness';
import { capturingLogger } from '../test-support/log-capture';
import { mountHealthRoutes } from './health';

function healthApp(checks: ReadinessChecks) {
  const { logger, lines } = capturingLogger();
  const app = new OpenAPIHono<AppEnv>();
  app.use('*', async (c, next) => {
    c.set('logger', logger);
    await next();
  });
  mountHealthRoutes(app, checks);
  return { app, lines };
}

describe('/health/ready', () => {
  it('is 200 with every check ok', async () => {
    const { app } = healthApp({ database: async () => {}, redis: async () => {} });
    const response = await app.request('/health/ready');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', checks: { database: 'ok', redis: 'ok' } });
  });

  it('is 503 naming a failed and a hanging dependency, within the check timeout', async () => {
    const { app, lines } = healthApp({
      database: async () => {},
      redis: async () => {
        throw new Error('connect ECONNREFUSED 10.0.0.7:6379');
      },
      search: () => new Promise(() => {}),
    });
    const started = performance.now();
    const response = await app.request('/health/ready');
    expect(performance.now() - started).toBeLessThan(CHECK_TIMEOUT_MS + 1_000);
    expect(response.status).toBe(503);
    const body = await response.json();
    expect(body).toEqual({
      status: 'unavailable',
      checks: { database: 'ok', redis: 'down', search: 'down' },
    });
    expect(JSON.stringify(body)).not.toContain('ECONNREFUSED');
    expect(lines.join('')).toContain('ECONNREFUSED');
  });

  it('/health and /health/live answer without running the checks', async () => {
    let ran = 0;
    const { app } = healthApp({
      database: async () => {
        ran++;
      },
    });
    expect((await app.request('/health')).status).toBe(200);
    expect((await app.request('/health/live')).status).toBe(200);
    expect(ran).toBe(0);
  });
});
