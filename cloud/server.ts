/**
 * Runs the cloud: opens the database (PostgreSQL or PGlite), applies migrations, loads keys, connects
 * Redis when configured, builds the app, listens, and shuts down gracefully (stop accepting, finish
 * in-flight requests, stop the job workers and sweeps, close pools). Used by main.ts, the dev launcher and benches.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type CloudApp, createApp } from './app';
import type { Config } from './config';
import { type DatabaseHandle, openDatabase } from './db/client';
import { runMigrations } from './db/migrate';
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
  /** PostgreSQL pool size (default 20). */
  maxConnections?: number;
  /** Safety-net sweep intervals (cloud/jobs/sweeps.ts; defaults there). */
  sweepIntervals?: Partial<SweepIntervals>;
}

/** Starts a cloud process from parsed configuration. */
export async function startCloud(config: Config, options: StartCloudOptions = {}): Promise<RunningCloud> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    pgliteDir: config.dataDir,
    maxConnections: options.maxConnections ?? 20,
  });
  await runMigrations(database);
  const keyring = new Keyring(database.db, config.keyEncryptionKey);
  await keyring.init(new Date());

  let redis: Redis | undefined;
  if (config.redisUrl) {
    // No offline queue: while Redis is down, rate-limit calls fail fast and the insurance limiter
    // answers, instead of requests queueing behind a dead connection.
    redis = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
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
    metrics: createMetrics({ defaultMetrics: true }),
    ...(options.payments ? { payments: options.payments } : {}),
    ...(redis ? { redis } : {}),
  });
  const stopSweeps = startSweeps(
    cloud.services,
    cloud.jobs,
    logger.child({ component: 'sweeps' }),
    options.sweepIntervals,
  );

  const server = serve({
    fetch: cloud.app.fetch,
    port: config.port,
    hostname: options.hostname ?? '0.0.0.0',
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  logger.info(
    { url, database: database.kind, redis: Boolean(redis), jobs: cloud.jobs.kind },
    'cloud listening',
  );

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      logger.info('shutting down: no new connections, finishing in-flight requests');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Gates' push streams never end on their own: end them now so they do not hold the shutdown for
      // the whole grace period (found by the fault simulation).
      cloud.watcher.shutdown();
      if ('closeIdleConnections' in server) server.closeIdleConnections();
      const grace = setTimeout(() => {
        logger.warn('grace period over: closing remaining connections');
        if ('closeAllConnections' in server) server.closeAllConnections();
      }, config.shutdownGraceMs);
      await closed;
      clearTimeout(grace);
      await stopSweeps();
      // Workers finish the job in hand and stop; queued BullMQ jobs wait in Redis for the next process.
      await cloud.jobs.close();
      if (redis) await redis.quit().catch(() => redis?.disconnect());
      await database.close();
      logger.info('shut down');
    })();
    return closing;
  };
  return { cloud, database, logger, url, port, close };
}
