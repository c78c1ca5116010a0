/**
 * The one error handler (app.onError) and the 404 handler: every failure leaves as the SPEC envelope
 * `{"error": {code, message, requestId}}`. Unknown errors become a bare 500 with the cause logged, so no
 * stack trace, SQL or internal name ever reaches a client; a request that could not get a database
 * connection is a 503 with Retry-After (overload, worth retrying), logged the same way.
 */
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { sqlState } from '../db/transaction';
import { AppError, type ErrorCode } from '../errors';
import type { AppEnv } from './context';
import type { Metrics } from './metrics';

/** Maps the framework's own HTTP exceptions (malformed JSON, body limit, ...) to our codes. */
function fromHttpException(error: HTTPException): AppError {
  const byStatus: Partial<Record<number, ErrorCode>> = {
    400: 'MALFORMED_JSON',
    401: 'UNAUTHENTICATED',
    403: 'FORBIDDEN',
    404: 'NOT_FOUND',
    405: 'METHOD_NOT_ALLOWED',
    413: 'PAYLOAD_TOO_LARGE',
    415: 'UNSUPPORTED_MEDIA_TYPE',
    429: 'RATE_LIMITED',
  };
  const code = byStatus[error.status];
  if (!code) return new AppError('INTERNAL', 'internal error', { cause: error });
  const message = code === 'MALFORMED_JSON' ? 'the request body is not valid JSON' : error.message || code;
  return new AppError(code, message, { cause: error });
}

/** Writes the envelope for an AppError. */
export function errorResponse(c: Context<AppEnv>, error: AppError): Response {
  const headers: Record<string, string> = {};
  if (error.retryAfterSeconds !== undefined) headers['Retry-After'] = String(error.retryAfterSeconds);
  return c.json(
    { error: { code: error.code, message: error.message, requestId: c.get('requestId') ?? '' } },
    error.status,
    headers,
  );
}

/**
 * What of an unexpected error goes to the log. A failed query's error carries its SQL and bound
 * parameters (tokens, payment ids, names); the log keeps only the SQLSTATE and the database's message.
 */
function loggableCause(error: unknown): unknown {
  if (error && typeof error === 'object' && 'query' in error && 'params' in error) {
    const inner = 'cause' in error ? error.cause : undefined;
    const message =
      inner && typeof inner === 'object' && 'message' in inner && typeof inner.message === 'string'
        ? inner.message
        : 'query failed';
    return { name: 'DatabaseError', sqlState: sqlState(error), message };
  }
  return error;
}

/** What pg-pool throws when no connection frees up within its connectionTimeoutMillis (it has no code). */
const POOL_TIMEOUT_MESSAGE = 'timeout exceeded when trying to connect';
/** Seconds an overloaded cloud asks a client to wait before it tries again. */
const OVERLOADED_RETRY_AFTER_SECONDS = 2;

/**
 * True when the request failed for want of a database connection: the pool stayed exhausted for its
 * whole wait (a cloud saturated by a sale), or the database refused the connection (down, or still
 * starting). Drizzle wraps the driver's error, so the chain of causes is searched (a few levels).
 */
function lackedConnection(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const { message, code } = current as { message?: unknown; code?: unknown };
    if (message === POOL_TIMEOUT_MESSAGE || code === 'ECONNREFUSED' || code === '57P03') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export function createErrorHandler(metrics: Metrics): ErrorHandler<AppEnv> {
  return (error, c) => {
    let appError: AppError;
    if (error instanceof AppError) appError = error;
    else if (error instanceof HTTPException) appError = fromHttpException(error);
    else if (lackedConnection(error)) {
      // Overload or an outage, not a defect: a client that retries later (with the same Idempotency-Key for a
      // purchase) gets its answer, so say when.
      appError = new AppError(
        'SERVICE_UNAVAILABLE',
        'the service is temporarily unavailable; try again shortly',
        {
          cause: error,
          retryAfterSeconds: OVERLOADED_RETRY_AFTER_SECONDS,
        },
      );
    } else appError = new AppError('INTERNAL', 'internal error', { cause: error });
    metrics.errorsByCode.inc({ code: appError.code });
    if (appError.status >= 500) {
      c.get('logger')?.error(
        { err: loggableCause(appError.cause ?? appError), code: appError.code },
        'request failed',
      );
    }
    return errorResponse(c, appError);
  };
}

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  errorResponse(c, new AppError('NOT_FOUND', 'no such route'));
