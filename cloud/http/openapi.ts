/**
 * Shared plumbing of the route modules: what they receive (`RouteDeps`), the router factory (with the
 * validation hook that turns zod failures into 400 VALIDATION_FAILED), who may call an operation
 * (`bearerAccess`, `deviceAccess`), JSON request bodies, and turning a service result into an answer
 * (`unwrap`). What operations answer is in answers.ts, the schema pieces in schemas.ts (re-exported
 * here); a route module states only what differs between its operations.
 */
import { OpenAPIHono, type z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
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
  /**
   * Counts a failed authentication (enrollment, challenge, token exchange) against the `auth` class of
   * the client address; throws RATE_LIMITED when that address is out.
   */
  failedAuthentication: (c: Context<AppEnv>) => Promise<void>;
  watcher: ManifestWatcher;
  /** The push stream's heartbeat interval (config `SYNC_STREAM_HEARTBEAT_MS`). */
  streamHeartbeatMs: number;
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

/**
 * JSON request body (required, so a missing or non-JSON body fails validation) with the example the
 * reference shows and "try it" starts from; typed by the schema, and linted against it (redocly.yaml).
 */
export function jsonBody<T extends z.ZodType>(schema: T, example: z.input<T>) {
  return { required: true, content: { 'application/json': { schema, example } } } as const;
}

export const security = [{ bearerAuth: [] }];

/**
 * What the operations of one group share: their OpenAPI tags, the bearer (user JWT) security, and the
 * middleware that admits only `roles` and then counts the call against a rate-limit class. The same
 * `roles` go into the document (`x-roles`, and "Roles: …" in the description: http/openapi-document.ts),
 * so what the reference says and what the check admits are one list.
 */
export function bearerAccess(tags: string[], roles: Role[], ...more: MiddlewareHandler<AppEnv>[]) {
  return { tags, security, 'x-roles': roles, middleware: [requireRole(...roles), ...more] };
}

/**
 * What the operations a gate device calls with its access token share: the `sync` tag, the device
 * security scheme (never a user JWT), device authentication and then any further middleware.
 */
export function deviceAccess(requireDevice: MiddlewareHandler<AppEnv>, ...more: MiddlewareHandler<AppEnv>[]) {
  return { tags: ['sync'], security: [{ deviceAuth: [] }], middleware: [requireDevice, ...more] };
}

export {
  createdResponses,
  ErrorSchema,
  errorResponses,
  jsonResponse,
  noContentResponses,
  okResponses,
} from './answers';
export { idParams, PageQuery, pageOf, text, Uuid, z } from './schemas';
