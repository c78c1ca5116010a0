/**
 * The one error handler (app.onError) and the 404 handler: every failure leaves as the SPEC envelope
 * `{"error": {code, message, requestId}}`. Unknown errors become a bare 500 with the cause logged, so no
 * stack trace, SQL or internal name ever reaches a client.
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

export function createErrorHandler(metrics: Metrics): ErrorHandler<AppEnv> {
  return (error, c) => {
    let appError: AppError;
    if (error instanceof AppError) appError = error;
    else if (error instanceof HTTPException) appError = fromHttpException(error);
    else appError = new AppError('INTERNAL', 'internal error', { cause: error });
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
