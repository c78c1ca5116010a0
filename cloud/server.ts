/**
 * Runs the cloud: opens the database (PostgreSQL or PGlite), applies migrations, loads keys, connects
 * Redis when configured, builds the app, listens, and shuts down gracefully (stop accepting, finish
 * in-flight requests, stop the job workers and sweeps, close pools). Used by main.ts, the dev launcher and benches.
 */
import cluster from 'node:cluster';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type CloudApp, createApp } from './app';
import type { Config } from './config';
import { type DatabaseHandle, openDatabase } from './db/client';
import { runMigrations } from './db/migrate';
import { type HandedConnections, serveHandedConnections } from './http/handed-connections';
import { type KeepAlive, manageKeepAlive } from './http/keep-alive';
import { createMetrics } from './http/metrics';
import { type SweepIntervals, startSweeps } from './jobs/sweeps';
import { createLogger } from './logger';
import { Keyring } from './services/keyring';
import type { PaymentProvider } from './services/payments';

export interface RunningCloud {
  cloud: CloudApp;
  database: DatabaseHandle;
  logger: Logger;
  /** Base URL, e.g. http://127.0.0.1:3000 */
  url: string;
  port: number;
  /** Graceful shutdown; safe to call twice. */
  close(): Promise<void>;
}

export interface StartCloudOptions {
  logger?: Logger;
  payments?: PaymentProvider;
  /** Host to bind (default 0.0.0.0). */
  hostname?: string;
  /** PostgreSQL main pool size (default: the configuration's DATABASE_POOL_SIZE). */
  maxConnections?: number;
  /** Safety-net sweep intervals (cloud/jobs/sweeps.ts; defaults there). */
  sweepIntervals?: Partial<SweepIntervals>;
  /** Apply migrations first (default true; a cluster worker's primary has done it once for all). */
  migrate?: boolean;
  /** Run the safety-net sweeps in this process (default true; in a cluster, one worker runs them). */
  sweeps?: boolean;
  /**
   * Do not listen: serve the connections the cluster's primary hands over (its lane router,
   * cloud/http/lane-router.ts, with CLOUD_SCAN_WORKERS). `url` and `port` are then the configured port's.
   */
  handedConnections?: boolean;
  /** Take BullMQ jobs in this process (default true; the scan lane's workers leave them to the others). */
  jobWorkers?: boolean;
}

/** Bounds every rate-limit and readiness call to Redis. */
const REDIS_COMMAND_TIMEOUT_MS = 1_000;
/** What the last steps of a shutdown (workers, connections, pools) get of SHUTDOWN_GRACE_MS at most. */
const CLEANUP_RESERVE_MS = 3_000;
/** How much sooner than SHUTDOWN_GRACE_MS the shutdown steps must be done. */
const EXIT_MARGIN_MS = 250;

/** Resolves when `work` settles or `ms` have passed, whichever is first; true if it settled in time. */
async function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The graceful shutdown, all of it within `graceMs` (SHUTDOWN_GRACE_MS): stop accepting, let in-flight
 * requests finish (push streams are ended at once), then stop the sweeps, the job workers, Redis and the
 * pools. In-flight requests get the grace period less a reserve for the rest; every later step gets what
 * is left and is abandoned (connections closed by force) when it would overrun — e.g. with Redis
 * unreachable or silent, where BullMQ would otherwise wait for ever.
 */
async function shutdown(parts: {
  server: Server;
  keepAlive: KeepAlive;
  handed: HandedConnections | undefined;
  cloud: CloudApp;
  stopSweeps: () => Promise<void>;
  redis: Redis | undefined;
  database: DatabaseHandle;
  logger: Logger;
  graceMs: number;
}): Promise<void> {
  const { server, cloud, redis, database, logger, graceMs } = parts;
  // A little short of the grace period, so the process (main.ts) has exited when it ends.
  const budgetMs = Math.max(1, graceMs - EXIT_MARGIN_MS);
  const deadline = Date.now() + budgetMs;
  const left = () => deadline - Date.now();
  logger.info('shutting down: no new connections, finishing in-flight requests');
  const closed = parts.handed
    ? parts.handed.close()
    : new Promise<void>((resolve) => server.close(() => resolve()));
  // Gates' push streams never end on their own: end them now so they do not hold the shutdown for
  // the whole grace period (found by the fault simulation).
  cloud.watcher.shutdown();
  // Connections close as soon as their last answer is out, not a keep-alive timeout later.
  const stopSweep = parts.keepAlive.drain();
  const requestsMs = budgetMs - Math.min(CLEANUP_RESERVE_MS, Math.floor(budgetMs / 2));
  if (!(await settledWithin(closed, requestsMs))) {
    logger.warn('grace period over: closing remaining connections');
    server.closeAllConnections();
  }
  stopSweep();
  if (!(await settledWithin(parts.stopSweeps(), left() / 3))) logger.warn('shutdown: sweeps abandoned');
  // Workers finish the job in hand and stop; queued BullMQ jobs wait in Redis for the next process.
  await settledWithin(cloud.jobs.close({ timeoutMs: left() / 2 }), left() / 2);
  if (redis) {
    await settledWithin(redis.quit(), Math.min(500, left() / 2));
    redis.disconnect(); // a no-op after a clean QUIT; stops the reconnect loop when Redis is unreachable
  }
  if (!(await settledWithin(database.close(), left()))) logger.warn('shutdown: database pool abandoned');
  logger.info({ overranMs: Math.max(0, -left()) }, 'shut down');
}

/** Starts a cloud process from parsed configuration. */
export async function startCloud(config: Config, options: StartCloudOptions = {}): Promise<RunningCloud> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    pgliteDir: config.dataDir,
    maxConnections: options.maxConnections ?? config.databasePoolSize,
  });
  if (options.migrate ?? true) await runMigrations(database);
  const keyring = new Keyring(database.db, config.keyEncryptionKey);
  await keyring.init(new Date());

  let redis: Redis | undefined;
  if (config.redisUrl) {
    // No offline queue: while Redis is down, rate-limit calls fail fast and the insurance limiter
    // answers, instead of requests queueing behind a dead connection. The command timeout does the same
    // for a Redis that accepts connections but does not answer (and makes ioredis reconnect).
    redis = new Redis(config.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    });
    let lastWarning = 0;
    redis.on('error', (error) => {
      if (Date.now() - lastWarning > 30_000) {
        lastWarning = Date.now();
        logger.warn({ err: error }, 'redis unavailable; rate limits fall back to this process');
      }
    });
  }

  const cloud = createApp({
    config,
    database,
    keyring,
    logger,
    metrics: createMetrics({ defaultMetrics: true, clusterWorker: cluster.isWorker }),
    ...(options.payments ? { payments: options.payments } : {}),
    ...(redis ? { redis } : {}),
    ...(options.jobWorkers === false ? { jobWorkers: false } : {}),
  });
  const stopSweeps =
    (options.sweeps ?? true)
      ? startSweeps(cloud.services, cloud.jobs, logger.child({ component: 'sweeps' }), options.sweepIntervals)
      : async () => {};

  const server = createAdaptorServer({ fetch: cloud.app.fetch }) as Server;
  const keepAlive = manageKeepAlive(server);
  let handed: HandedConnections | undefined;
  let port = config.port;
  if (options.handedConnections) {
    handed = serveHandedConnections(server);
  } else {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', () => resolve());
      server.once('error', reject);
      server.listen(config.port, options.hostname ?? '0.0.0.0');
    });
    port = (server.address() as AddressInfo).port;
  }
  const url = `http://127.0.0.1:${port}`;
  logger.info(
    {
      url,
      database: database.kind,
      redis: Boolean(redis),
      jobs: cloud.jobs.kind,
      ...(handed ? { connections: 'handed by the primary' } : {}),
    },
    'cloud listening',
  );

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= shutdown({
      server,
      keepAlive,
      handed,
      cloud,
      stopSweeps,
      redis,
      database,
      logger,
      graceMs: config.shutdownGraceMs,
    });
    return closing;
  };
  return { cloud, database, logger, url, port, close };
}
