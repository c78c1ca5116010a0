/**
 * Builds the cloud's Hono app from injected dependencies (database, configuration, clock, ids, payment
 * provider, logger, optional Redis). Tests call `app.request()` on exactly this app; server.ts adds only
 * the listening socket and shutdown.
 */

import { getConnInfo } from '@hono/node-server/conninfo';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import type { Config } from './config';
import type { DatabaseHandle } from './db/client';
import { AppError } from './errors';
import { authenticate, createAuthenticator, requireRole } from './http/auth';
import type { AppEnv } from './http/context';
import { requireDevice } from './http/device-auth';
import { createErrorHandler, notFound } from './http/errors';
import { createMetrics, type Metrics } from './http/metrics';
import type { RouteDeps } from './http/openapi';
import { createRateLimiter, rateLimit } from './http/rate-limit';
import type { ReadinessChecks } from './http/readiness';
import { createJobRunner, LateJobQueue } from './jobs/registry';
import type { JobRunner } from './jobs/runner';
import { mountApiDocs } from './routes/api-docs';
import { attendanceRoutes } from './routes/attendance';
import { deviceRoutes } from './routes/devices';
import { eventRoutes } from './routes/events';
import { mountHealthRoutes } from './routes/health';
import { mountMetricsRoute } from './routes/metrics';
import { mountOpsPage, operationsRoutes } from './routes/operations';
import { reportRoutes } from './routes/reports';
import { reservationRoutes } from './routes/reservations';
import { syncRoutes } from './routes/sync';
import { ticketRoutes } from './routes/tickets';
import { venueRoutes } from './routes/venues';
import type { ServiceContext } from './services/context';
import { gateHealthSamples } from './services/gate-health';
import type { Keyring } from './services/keyring';
import { ManifestWatcher } from './services/manifest-watch';
import { type PaymentProvider, TestPaymentProvider } from './services/payments';
import { SerialAllocator } from './services/serials';
import { allocateSerials } from './services/tickets';

export const MAX_BODY_BYTES = 1024 * 1024;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface AppDeps {
  config: Config;
  database: DatabaseHandle;
  /** Initialised keyring (Keyring.init called). */
  keyring: Keyring;
  logger: Logger;
  /** Unix ms; defaults to Date.now. */
  clock?: () => number;
  /** New ids; defaults to UUIDv7. */
  newId?: () => string;
  /** Defaults to the built-in test provider (SPEC section 4). */
  payments?: PaymentProvider;
  /** Shared rate-limit store and readiness check when REDIS_URL is set. */
  redis?: Redis;
  metrics?: Metrics;
  /** Run jobs in this process even when REDIS_URL is set (default: BullMQ when it is set). */
  inProcessJobs?: boolean;
}

export interface CloudApp {
  app: OpenAPIHono<AppEnv>;
  services: ServiceContext;
  /** Background jobs (BullMQ or in-process); close it on shutdown, drain it in tests. */
  jobs: JobRunner;
  metrics: Metrics;
  /** Polls change heads for the gates' push stream; close it on shutdown. */
  watcher: ManifestWatcher;
}

/** The client address for per-address limits; tests (app.request) have none. */
function clientAddress(c: Context<AppEnv>): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'local';
  }
}

/** Creates the app and the service context behind it. */
export function createApp(deps: AppDeps): CloudApp {
  const { config, logger } = deps;
  const metrics = deps.metrics ?? createMetrics();
  const payments = deps.payments ?? new TestPaymentProvider();
  const jobQueue = new LateJobQueue();
  const services: ServiceContext = {
    db: deps.database.db,
    clock: deps.clock ?? Date.now,
    newId: deps.newId ?? (() => uuidv7()),
    keyring: deps.keyring,
    serials: new SerialAllocator((eventId, size) => allocateSerials(services, eventId, size)),
    payments,
    reservationTtlSeconds: config.reservationTtlSeconds,
    business: metrics.business,
    jobs: jobQueue,
    mintingEnabled: config.minting !== undefined,
  };
  const jobs = createJobRunner({
    config,
    services,
    logger,
    ...(deps.inProcessJobs ? { inProcess: true } : {}),
  });

  const limiter = createRateLimiter(config.rateLimits, deps.redis);
  const authenticator = createAuthenticator(config);
  const requireUser = authenticate(authenticator, (c) => limiter('auth', clientAddress(c)));

  const app = new OpenAPIHono<AppEnv>();
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

  app.use('*', async (c, next) => {
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
  });
  app.use('*', metrics.middleware);
  app.use('*', secureHeaders());
  app.use(
    '*',
    cors({
      origin: config.corsOrigins === '*' ? '*' : config.corsOrigins,
      allowMethods: ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
      allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
      exposeHeaders: ['X-Request-Id', 'Retry-After', 'Idempotent-Replayed'],
      maxAge: 600,
    }),
  );
  const streamingLimit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new AppError('PAYLOAD_TOO_LARGE', 'the request body is larger than 1 MiB');
    },
  });
  app.use('/api/*', async (c, next) => {
    // With a Content-Length the check is one comparison (the body parser will not read past it); only a
    // chunked body needs the counting stream.
    const declared = c.req.header('content-length');
    if (declared === undefined) return streamingLimit(c, next);
    if (!/^\d+$/.test(declared)) throw new AppError('VALIDATION_FAILED', 'Content-Length: not a number');
    if (Number(declared) > MAX_BODY_BYTES) {
      throw new AppError('PAYLOAD_TOO_LARGE', 'the request body is larger than 1 MiB');
    }
    await next();
  });
  app.use('/api/*', async (c, next) => {
    // A write with a body must be JSON: anything else is refused before it reaches a validator.
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
  });
  // Gate devices prove themselves with their own credentials (routes/sync.ts), never with a user JWT.
  const devicePaths = /^\/api\/v1\/(devices\/(enroll|challenge|token)|sync\/)/;
  app.use('/api/v1/*', (c, next) => (devicePaths.test(c.req.path) ? next() : requireUser(c, next)));
  app.use('/api/v1/*', async (c, next) => {
    await next();
    // A successful write is reported only once it is durable (db/client.ts explains the async commits).
    if (c.req.method !== 'GET' && c.res.status < 300) await deps.database.flush();
  });

  const routeDeps: RouteDeps = {
    services,
    limiter,
    limits: { read: rateLimit(limiter, 'read'), purchase: rateLimit(limiter, 'purchase') },
  };
  app.route('/api/v1', venueRoutes(routeDeps));
  app.route('/api/v1', eventRoutes(routeDeps));
  app.route('/api/v1', reservationRoutes(routeDeps));
  app.route('/api/v1', ticketRoutes(routeDeps));
  app.route('/api/v1', deviceRoutes(routeDeps));
  app.route('/api/v1', attendanceRoutes(routeDeps));
  app.route('/api/v1', reportRoutes(routeDeps));
  app.route('/api/v1', operationsRoutes(routeDeps));
  const watcher = new ManifestWatcher(services.db);
  app.route(
    '/api/v1',
    syncRoutes({
      ...routeDeps,
      watcher,
      requireDevice: requireDevice(services, limiter, (c) => limiter('auth', clientAddress(c))),
      authLimit: async (c, next) => {
        await limiter('auth', clientAddress(c));
        await next();
      },
    }),
  );

  const readinessChecks: ReadinessChecks = { database: () => deps.database.ping() };
  const redis = deps.redis;
  if (redis) {
    readinessChecks['redis'] = async () => {
      await redis.ping();
    };
  }
  mountHealthRoutes(app, readinessChecks);
  mountMetricsRoute(app, metrics, [requireUser, requireRole('ops')]);
  mountApiDocs(app);
  mountOpsPage(app);
  metrics.attach({
    jobDepth: () => jobs.depth(),
    poolStats: () => deps.database.poolStats(),
    dependencies: readinessChecks,
    gateReports: () => gateHealthSamples(services),
  });

  app.onError(createErrorHandler(metrics));
  app.notFound(notFound);
  return { app, services, jobs, metrics, watcher };
}
