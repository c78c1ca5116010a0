/**
 * Builds the cloud's Hono app from injected dependencies (database, configuration, clock, ids, payment
 * provider, logger, optional Redis). Tests call `app.request()` on exactly this app; server.ts adds only
 * the listening socket and shutdown.
 *
 * The API's route modules are listed once below (`USER_ROUTES`, `DEVICE_ROUTES`): a new resource is a
 * module in routes/ and one line there.
 */

import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import type { Config } from './config';
import type { DatabaseHandle } from './db/client';
import { authenticate, createAuthenticator } from './http/auth';
import { createClientAddress } from './http/client-address';
import type { AppEnv } from './http/context';
import { requireDevice } from './http/device-auth';
import { createErrorHandler } from './http/errors';
import { methodNotAllowedOr404 } from './http/method-not-allowed';
import { createMetrics, type Metrics } from './http/metrics';
import { type RouteDeps, registerSecuritySchemes, type SyncRouteDeps } from './http/openapi';
import { createRateLimiter, type RateLimiter, rateLimit } from './http/rate-limit';
import type { ReadinessChecks } from './http/readiness';
import { bodySizeLimit, jsonBodiesOnly } from './http/request-body';
import { requestContext } from './http/request-context';
import { createJobRunner, LateJobQueue } from './jobs/registry';
import type { JobRunner } from './jobs/runner';
import { admissionExportRoutes } from './routes/admissions-export';
import { mountApiDocs } from './routes/api-docs';
import { attendanceRoutes } from './routes/attendance';
import { boxOfficeRoutes } from './routes/box-office';
import { mountBoxOfficePage } from './routes/box-office-page';
import { deviceRoutes } from './routes/devices';
import { eventRoutes } from './routes/events';
import { mountHealthRoutes } from './routes/health';
import { holderKeyRoutes } from './routes/holder-keys';
import { mountMetricsRoute } from './routes/metrics';
import { occupancyRoutes } from './routes/occupancy';
import { mountOpsPage, operationsRoutes } from './routes/operations';
import { orderRoutes } from './routes/orders';
import { organiserOrderRoutes } from './routes/organiser-orders';
import { organiserTicketRoutes } from './routes/organiser-tickets';
import { mountPaymentWebhook, paymentWebhookPath } from './routes/payment-webhooks';
import { reportRoutes } from './routes/reports';
import { reservationRoutes } from './routes/reservations';
import { enrollmentRoutes } from './routes/sync-enrollment';
import { manifestRoutes } from './routes/sync-manifest';
import { streamRoutes } from './routes/sync-stream';
import { uploadRoutes } from './routes/sync-uploads';
import { ticketTypeRoutes } from './routes/ticket-types';
import { ticketRoutes } from './routes/tickets';
import { validationRoutes } from './routes/validation';
import { venueRoutes } from './routes/venues';
import { mountWalletPage } from './routes/wallet-page';
import { zoneRoutes } from './routes/zones';
import type { ServiceContext } from './services/context';
import { gateHealthSamples } from './services/gate-health';
import type { Keyring } from './services/keyring';
import { ManifestWatcher } from './services/manifest-watch';
import { liveOccupancySamples } from './services/occupancy';
import { type PaymentProvider, TestPaymentProvider } from './services/payments';
import { ScanContextCache } from './services/scan-context-cache';
import { SerialAllocator } from './services/serials';
import { StripePaymentProvider } from './services/stripe-payments';
import { allocateSerials } from './services/tickets';

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
  /** Defaults to the provider the configuration names (`PAYMENT_PROVIDER`; tests inject their own). */
  payments?: PaymentProvider;
  /** Shared rate-limit store and readiness check when REDIS_URL is set. */
  redis?: Redis;
  metrics?: Metrics;
  /** Run jobs in this process even when REDIS_URL is set (default: BullMQ when it is set). */
  inProcessJobs?: boolean;
  /** Take jobs from Redis in this process (default true; a scan-lane worker only queues them). */
  jobWorkers?: boolean;
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

/** The /api/v1 route modules users (bearer JWTs) call. */
const USER_ROUTES: ReadonlyArray<(deps: RouteDeps) => OpenAPIHono<AppEnv>> = [
  venueRoutes,
  zoneRoutes,
  eventRoutes,
  ticketTypeRoutes,
  reservationRoutes,
  orderRoutes,
  ticketRoutes,
  holderKeyRoutes,
  validationRoutes,
  boxOfficeRoutes,
  deviceRoutes,
  attendanceRoutes,
  reportRoutes,
  operationsRoutes,
  occupancyRoutes,
  organiserOrderRoutes,
  organiserTicketRoutes,
  admissionExportRoutes,
];

/** The /api/v1 route modules gate devices call with their own credentials, never with a user JWT. */
const DEVICE_ROUTES: ReadonlyArray<(deps: SyncRouteDeps) => OpenAPIHono<AppEnv>> = [
  enrollmentRoutes,
  manifestRoutes,
  uploadRoutes,
  streamRoutes,
];
const DEVICE_PATHS = /^\/api\/v1\/(devices\/(enroll|challenge|token)|sync\/)/;

/**
 * The payment provider the configuration names. The configuration never lets `test` through with
 * NODE_ENV=production; the check here keeps an injected test provider out of production as well.
 */
function paymentProviderOf(deps: AppDeps): PaymentProvider {
  const { config } = deps;
  const payments =
    deps.payments ??
    (config.payments.provider === 'stripe'
      ? new StripePaymentProvider({
          secretKey: config.payments.secretKey,
          webhookSecret: config.payments.webhookSecret,
          logger: deps.logger,
        })
      : new TestPaymentProvider());
  if (config.nodeEnv === 'production' && payments instanceof TestPaymentProvider) {
    throw new Error('the test payment provider takes no money and is refused with NODE_ENV=production');
  }
  return payments;
}

/** The dependencies every service function receives, with the metrics' business counters. */
function createServiceContext(deps: AppDeps, metrics: Metrics): ServiceContext {
  const services: ServiceContext = {
    db: deps.database.db,
    scanDb: deps.database.scanDb,
    scanContexts: new ScanContextCache(),
    clock: deps.clock ?? Date.now,
    newId: deps.newId ?? (() => uuidv7()),
    keyring: deps.keyring,
    serials: new SerialAllocator((eventId, size) => allocateSerials(services, eventId, size)),
    payments: paymentProviderOf(deps),
    reservationTtlSeconds: deps.config.reservationTtlSeconds,
    holdLimitPerCustomer: deps.config.holdLimitPerCustomer,
    business: metrics.business,
    jobs: new LateJobQueue(),
    mintingEnabled: deps.config.minting !== undefined,
  };
  return services;
}

/** Middleware every request passes, in order: identity and log, metrics, headers, body rules, auth. */
function useRequestPipeline(
  app: OpenAPIHono<AppEnv>,
  deps: AppDeps,
  metrics: Metrics,
  requireUser: MiddlewareHandler<AppEnv>,
  webhookPath: string | undefined,
): void {
  app.use('*', requestContext(deps.logger));
  app.use('*', metrics.middleware);
  app.use('*', secureHeaders());
  app.use(
    '*',
    cors({
      origin: deps.config.corsOrigins === '*' ? '*' : deps.config.corsOrigins,
      allowMethods: ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
      allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
      exposeHeaders: ['X-Request-Id', 'Retry-After', 'Idempotent-Replayed'],
      maxAge: 600,
    }),
  );
  app.use('/api/*', bodySizeLimit());
  app.use('/api/*', jsonBodiesOnly());
  // Gate devices prove themselves with their own credentials (routes/sync-*.ts), payment providers with
  // their webhook signature (routes/payment-webhooks.ts); never with a user JWT.
  app.use('/api/v1/*', (c, next) =>
    DEVICE_PATHS.test(c.req.path) || c.req.path === webhookPath ? next() : requireUser(c, next),
  );
  app.use('/api/v1/*', async (c, next) => {
    await next();
    // A successful write is reported only once it is durable (db/client.ts explains the async commits).
    if (c.req.method !== 'GET' && c.res.status < 300) await deps.database.flush();
  });
}

/** Mounts every /api/v1 route module. */
function mountApi(app: OpenAPIHono<AppEnv>, routeDeps: RouteDeps, syncDeps: SyncRouteDeps): void {
  for (const routes of USER_ROUTES) app.route('/api/v1', routes(routeDeps));
  for (const routes of DEVICE_ROUTES) app.route('/api/v1', routes(syncDeps));
}

/** The readiness checks: the database, and Redis when there is one. */
function readinessChecksOf(deps: AppDeps): ReadinessChecks {
  const checks: ReadinessChecks = { database: () => deps.database.ping() };
  const redis = deps.redis;
  if (redis) {
    checks['redis'] = async () => {
      await redis.ping();
    };
  }
  return checks;
}

/** Creates the app and the service context behind it. */
export function createApp(deps: AppDeps): CloudApp {
  const { config, logger } = deps;
  const metrics = deps.metrics ?? createMetrics();
  const services = createServiceContext(deps, metrics);
  const jobs = createJobRunner({
    config,
    services,
    logger,
    ...(deps.inProcessJobs ? { inProcess: true } : {}),
    ...(deps.jobWorkers === false ? { workers: false } : {}),
  });

  const limiter: RateLimiter = createRateLimiter(config.rateLimits, deps.redis);
  const clientAddress = createClientAddress(config.trustedProxies);
  // Failed authentications only: a request that authenticates is never refused by its address's count.
  const failedAuthentication = (c: Context<AppEnv>) => limiter('auth', clientAddress(c));
  const requireUser = authenticate(createAuthenticator(config), failedAuthentication);

  const app = new OpenAPIHono<AppEnv>();
  registerSecuritySchemes(app);
  useRequestPipeline(app, deps, metrics, requireUser, paymentWebhookPath(services));
  const routeDeps: RouteDeps = {
    services,
    limiter,
    limits: { read: rateLimit(limiter, 'read'), purchase: rateLimit(limiter, 'purchase') },
  };
  const watcher = new ManifestWatcher(services.db);
  services.changesCommitted = () => watcher.nudge();
  mountApi(app, routeDeps, {
    ...routeDeps,
    watcher,
    streamHeartbeatMs: config.streamHeartbeatMs,
    requireDevice: requireDevice(services, limiter, failedAuthentication),
    failedAuthentication,
  });
  mountPaymentWebhook(app, services);
  const readinessChecks = readinessChecksOf(deps);
  mountHealthRoutes(app, readinessChecks);
  mountMetricsRoute(app, metrics, requireUser);
  mountApiDocs(app);
  mountOpsPage(app);
  mountBoxOfficePage(app);
  mountWalletPage(app, services.clock);
  metrics.attach({
    jobDepth: () => jobs.depth(),
    poolStats: () => deps.database.poolStats(),
    scanPoolStats: () => deps.database.scanPoolStats(),
    dependencies: readinessChecks,
    gateReports: () => gateHealthSamples(services),
    zoneOccupancy: () => liveOccupancySamples(services.db, services.clock()),
  });

  app.onError(createErrorHandler(metrics));
  app.notFound(methodNotAllowedOr404(app));
  return { app, services, jobs, metrics, watcher };
}
