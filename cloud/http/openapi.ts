/**
 * Shared pieces of the route definitions: the router factory (with the validation hook that turns zod
 * failures into 400 VALIDATION_FAILED), who may call an operation (`bearerAccess`), the answers it gives
 * (`okResponses`, `createdResponses`, `noContentResponses` with the error envelope), id parameters and
 * list shapes. A route module states only what differs between its operations.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { AppError, type Result, toAppError } from '../errors';
import type { Actor, Role } from '../services/actor';
import type { ServiceContext } from '../services/context';
import type { ManifestWatcher } from '../services/manifest-watch';
import { requireRole } from './auth';
import type { AppEnv } from './context';
import type { RateLimiter } from './rate-limit';

/** What every route module receives. */
export interface RouteDeps {
  services: ServiceContext;
  /** Per-class rate-limit middleware, keyed by the authenticated user. */
  limits: { read: MiddlewareHandler<AppEnv>; purchase: MiddlewareHandler<AppEnv> };
  limiter: RateLimiter;
}

/** What the gate-device (sync) route modules receive. */
export interface SyncRouteDeps extends RouteDeps {
  /** Authenticates a device access token and puts the device on the context (http/device-auth.ts). */
  requireDevice: MiddlewareHandler<AppEnv>;
  /** Counts an unauthenticated device call against the `auth` class of its address. */
  authLimit: MiddlewareHandler<AppEnv>;
  watcher: ManifestWatcher;
}

/** The two ways to authenticate, as the OpenAPI document names them in each operation's `security`. */
export function registerSecuritySchemes(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'deviceAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'Device access token from POST /api/v1/devices/token (never a user JWT)',
  });
}

/** A zod issue list as one safe message: paths and zod's own wording, never the offending input. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`)
    .join('; ');
}

/** A router whose request validation failures become the 400 envelope. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw new AppError('VALIDATION_FAILED', describeIssues(result.error));
    },
  });
}

/** The value of a successful service result, or the AppError its failure maps to. */
export function unwrap<T extends object>(result: Result<T>): T {
  if (!result.ok) throw toAppError(result);
  return result;
}

export function actorOf(c: { get(key: 'actor'): Actor }): Actor {
  return c.get('actor');
}

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'SOLD_OUT' }),
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
    429: 'Rate limited',
  };
  const out: Record<number, { description: string; content: typeof errorContent }> = {};
  for (const status of [400, 401, 403, 429, ...statuses]) {
    out[status] = { description: descriptions[status] ?? 'Error', content: errorContent };
  }
  return out;
}

export const Uuid = z.uuid();

// C0/C1 control characters (NUL above all: PostgreSQL text cannot hold it) have no place in a name.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** Human text (names, reasons): trimmed, bounded, no control characters. */
export function text(max: number) {
  return z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((value) => !CONTROL_CHARACTERS.test(value), 'must not contain control characters');
}

/** `:id`-style path parameter schema. */
export function idParams<K extends string>(...names: K[]) {
  const shape = {} as Record<K, typeof Uuid>;
  for (const name of names) shape[name] = Uuid;
  return z.object(shape);
}

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().max(200).optional(),
});

/** `{items, nextCursor}` list schema of an item schema. */
export function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() }).openapi(name);
}

/** JSON request body (required, so a missing or non-JSON body fails validation). */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { 'application/json': { schema } } } as const;
}

/** JSON response of a schema. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } } as const;
}

export const security = [{ bearerAuth: [] }];

/**
 * What the operations of one group share: their OpenAPI tags, the bearer (user JWT) security, and the
 * middleware that admits only `roles` and then counts the call against a rate-limit class.
 */
export function bearerAccess(tags: string[], roles: Role[], limit: MiddlewareHandler<AppEnv>) {
  return { tags, security, middleware: [requireRole(...roles), limit] };
}

/**
 * What the operations a gate device calls with its access token share: the `sync` tag, the device
 * security scheme (never a user JWT), device authentication and then any further middleware.
 */
export function deviceAccess(requireDevice: MiddlewareHandler<AppEnv>, ...more: MiddlewareHandler<AppEnv>[]) {
  return { tags: ['sync'], security: [{ deviceAuth: [] }], middleware: [requireDevice, ...more] };
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

export { z };
