/**
 * What an operation answers, as the OpenAPI document states it: the success response (JSON of a schema,
 * or no content) and the SPEC error envelope `{"error": {code, message, requestId}}` for the statuses
 * it may give besides the ones every authenticated operation can (400, 401, 403, 429, 503).
 */
import { z } from '@hono/zod-openapi';
import { ERROR_STATUS, type ErrorCode } from '../errors';

const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z
        .enum(ERROR_CODES)
        .openapi({ example: 'SOLD_OUT', description: 'Stable; the HTTP status follows from it' }),
      message: z.string(),
      requestId: z.string(),
    }),
  })
  .openapi('Error');

const errorContent = { 'application/json': { schema: ErrorSchema } };

/** The error responses every authenticated operation may give. */
export function errorResponses(...statuses: number[]) {
  const descriptions: Record<number, string> = {
    400: 'Validation failed or malformed JSON',
    401: 'Missing or invalid bearer token',
    402: 'Payment declined',
    403: 'Role not allowed',
    404: 'Not found (also for other tenants’ ids)',
    409: 'Conflict with the current state',
    410: 'Gone (expired)',
    413: 'Body over 1 MiB',
    422: 'Idempotency key reused',
    429: 'Rate limited (Retry-After says when to try again)',
    502: 'The payment provider failed; nothing was charged or changed (`PAYMENT_UNAVAILABLE`)',
    503: 'No database connection came free in time, or the database refused it (`SERVICE_UNAVAILABLE`; Retry-After says when to try again)',
  };
  const out: Record<number, { description: string; content: typeof errorContent }> = {};
  for (const status of [400, 401, 403, 429, 503, ...statuses]) {
    out[status] = { description: descriptions[status] ?? 'Error', content: errorContent };
  }
  return out;
}

/** JSON response of a schema. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } } as const;
}

/** 200 with a JSON body, and the error envelopes of the common statuses plus `errors`. */
export function okResponses<T extends z.ZodType>(schema: T, description: string, ...errors: number[]) {
  return { 200: jsonResponse(schema, description), ...errorResponses(...errors) };
}

/** 201 with the created resource as JSON, and the error envelopes of the common statuses plus `errors`. */
export function createdResponses<T extends z.ZodType>(schema: T, description: string, ...errors: number[]) {
  return { 201: jsonResponse(schema, description), ...errorResponses(...errors) };
}

/** 204 without a body, and the error envelopes of the common statuses plus `errors`. */
export function noContentResponses(description: string, ...errors: number[]) {
  return { 204: { description }, ...errorResponses(...errors) };
}
