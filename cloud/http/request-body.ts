/**
 * What a request body to the API may be: at most 1 MiB (413 PAYLOAD_TOO_LARGE), and JSON whenever a
 * write carries one (415 UNSUPPORTED_MEDIA_TYPE), refused before any validator reads it.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../errors';
import type { AppEnv } from './context';

export const MAX_BODY_BYTES = 1024 * 1024;

const tooLarge = () => new AppError('PAYLOAD_TOO_LARGE', 'the request body is larger than 1 MiB');

/** Refuses bodies over `MAX_BODY_BYTES`. */
export function bodySizeLimit(): MiddlewareHandler<AppEnv> {
  const streamingLimit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw tooLarge();
    },
  });
  return async (c, next) => {
    // With a Content-Length the check is one comparison (the body parser will not read past it); only a
    // chunked body needs the counting stream.
    const declared = c.req.header('content-length');
    if (declared === undefined) return streamingLimit(c, next);
    if (!/^\d+$/.test(declared)) throw new AppError('VALIDATION_FAILED', 'Content-Length: not a number');
    if (Number(declared) > MAX_BODY_BYTES) throw tooLarge();
    await next();
  };
}

/** Refuses a write (POST, PATCH, PUT) whose body is not `application/json`. */
export function jsonBodiesOnly(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const method = c.req.method;
    const hasBody = c.req.header('content-length') !== undefined && c.req.header('content-length') !== '0';
    if (
      (method === 'POST' || method === 'PATCH' || method === 'PUT') &&
      (hasBody || c.req.header('transfer-encoding'))
    ) {
      const type = c.req.header('content-type') ?? '';
      if (!/^application\/json\s*(;|$)/i.test(type)) {
        throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'request bodies must be application/json');
      }
    }
    await next();
  };
}
