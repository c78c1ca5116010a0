/**
 * The one error handler: a failed query is logged by its SQLSTATE and the database's message, never with
 * its SQL or bound parameters (tokens, payment ids, names); the client gets a bare 500 envelope — or a 503
 * with Retry-After when the request could not get a database connection.
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { capturingLogger } from '../test-support/log-capture';
import type { AppEnv } from './context';
import { createErrorHandler } from './errors';
import { createMetrics } from './metrics';

function appThrowing(error: unknown) {
  const { logger, lines } = capturingLogger();
  const app = new Hono<AppEnv>();
  app.use('*', async (c, next) => {
    c.set('requestId', 'req-1');
    c.set('logger', logger);
    await next();
  });
  app.get('/boom', () => {
    throw error;
  });
  app.onError(createErrorHandler(createMetrics()));
  return { app, lines };
}

describe('createErrorHandler', () => {
  it('logs a failed query by SQLSTATE and message, without its SQL or parameters', async () => {
    const failed = Object.assign(new Error('Failed query: insert into orders … params: tok_visa_secret'), {
      query: 'insert into orders (payment_id) values ($1)',
      params: ['tok_visa_secret'],
      cause: Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }),
    });
    const { app, lines } = appThrowing(failed);
    const response = await app.request('/boom');
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error: { code: 'INTERNAL', message: 'internal error', requestId: 'req-1' },
    });
    const logged = lines.join('');
    expect(logged).toContain('"sqlState":"23505"');
    expect(logged).toContain('duplicate key value violates unique constraint');
    expect(logged).not.toMatch(/tok_visa_secret|insert into orders/);
  });

  it('answers 503 with Retry-After when no database connection came free or it was refused', async () => {
    // What drizzle throws around pg-pool's wait running out, and a refused connection.
    const poolTimeout = Object.assign(new Error('Failed query: select … params: secret-param'), {
      query: 'select 1',
      params: ['secret-param'],
      cause: new Error('timeout exceeded when trying to connect'),
    });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    for (const error of [poolTimeout, refused]) {
      const { app, lines } = appThrowing(error);
      const response = await app.request('/boom');
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('2');
      expect(await response.json()).toEqual({
        error: {
          code: 'SERVICE_UNAVAILABLE',
          message: 'the service is temporarily unavailable; try again shortly',
          requestId: 'req-1',
        },
      });
      expect(lines.join('')).toContain('"code":"SERVICE_UNAVAILABLE"');
      expect(lines.join('')).not.toContain('secret-param');
    }
    // Any other failure stays a bare 500.
    const { app } = appThrowing(new Error('timeout exceeded when trying to connect, or so'));
    expect((await app.request('/boom')).status).toBe(500);
  });

  it('says "query failed" when the database gave no message', async () => {
    const { app, lines } = appThrowing(
      Object.assign(new Error('Failed query'), { query: 'select 1', params: [] }),
    );
    expect((await app.request('/boom')).status).toBe(500);
    expect(lines.join('')).toContain('"message":"query failed"');
  });
});
