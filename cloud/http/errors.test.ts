/**
 * The one error handler: a failed query is logged by its SQLSTATE and the database's message, never with
 * its SQL or bound parameters (tokens, payment ids, names); the client gets a bare 500 envelope.
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

  it('says "query failed" when the database gave no message', async () => {
    const { app, lines } = appThrowing(
      Object.assign(new Error('Failed query'), { query: 'select 1', params: [] }),
    );
    expect((await app.request('/boom')).status).toBe(500);
    expect(lines.join('')).toContain('"message":"query failed"');
  });
});
