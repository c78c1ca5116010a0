/**
 * The request's identity and its log line: every request gets a request id (the caller's
 * `X-Request-Id` when it is a sane token, else a new UUIDv7), echoed in the answer and carried by the
 * request's child logger; one `request` log line per request with method, path, status and duration.
 */
import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import type { AppEnv } from './context';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Middleware setting `requestId` and `logger` on the context; mount it first. */
export function requestContext(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : uuidv7();
    c.set('requestId', requestId);
    c.set('logger', logger.child({ requestId }));
    c.header('x-request-id', requestId);
    const started = performance.now();
    try {
      await next();
    } finally {
      c.res.headers.set('x-request-id', requestId);
      c.get('logger').info(
        {
          method: c.req.method,
          path: c.req.path,
          status: c.res.status,
          ms: Math.round(performance.now() - started),
        },
        'request',
      );
    }
  };
}
