/**
 * `npm run cloud`: parses the environment, starts the cloud API, and stops it cleanly on SIGTERM/SIGINT.
 * With CLOUD_WORKERS > 1 this process becomes the primary of a cluster (cloud/cluster.ts) and each of its
 * workers runs this file again as one cloud process on the shared port.
 */
import cluster from 'node:cluster';
import { runPrimary, WORKER_READY, workerRole, workerSlot } from './cluster';
import { type Config, ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { startCloud } from './server';

function announce(url: string, processes: number): void {
  const count = processes > 1 ? `  (${processes} processes)` : '';
  process.stdout.write(`cloud API: ${url}/api/v1  docs: ${url}/docs  OpenAPI: ${url}/openapi.json${count}\n`);
}

/** One cloud process until a signal (or, for a cluster worker, until its primary is gone). */
async function serve(config: Config, slot: number | undefined): Promise<void> {
  const role = workerRole();
  const logger =
    slot === undefined ? undefined : createLogger(config.logLevel).child({ worker: slot, lane: role.lane });
  const running = await startCloud(config, {
    ...(logger ? { logger } : {}),
    // The primary migrated once for all workers; worker 1 runs the sweeps for all, scan workers take no
    // jobs, and behind the lane router the primary hands connections over (cloud/cluster.ts).
    ...(slot === undefined
      ? {}
      : {
          migrate: false,
          sweeps: slot === 1,
          jobWorkers: role.lane !== 'scan',
          handedConnections: role.handed,
        }),
  });
  if (slot === undefined) announce(running.url, 1);
  if (role.handed) process.send?.({ type: WORKER_READY });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    running.logger.info({ signal }, 'signal received');
    // close() finishes within SHUTDOWN_GRACE_MS by itself; this only guards against a step that ignores
    // its bound, so the process never outlives the grace period.
    setTimeout(() => {
      running.logger.error('shutdown overran SHUTDOWN_GRACE_MS: exiting now');
      process.exit(1);
    }, config.shutdownGraceMs).unref();
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        running.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // A worker whose primary died (kill -9) no longer receives connections: it stops rather than linger.
  if (cluster.isWorker) process.on('disconnect', () => stop('primary gone'));
}

async function main(): Promise<void> {
  let config: Config;
  try {
    // Workers read the development secrets the primary already generated, without announcing them again.
    config = loadConfig(process.env, cluster.isWorker ? { announce: () => {} } : {});
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  if (cluster.isPrimary && (config.cloudWorkers > 1 || config.scanWorkers > 0)) {
    const logger = createLogger(config.logLevel).child({ component: 'cluster' });
    const processes = config.cloudWorkers + config.scanWorkers;
    const code = await runPrimary(config, logger, (url) => announce(url, processes));
    process.exit(code);
  }
  await serve(config, workerSlot());
}

main().catch((error: unknown) => {
  process.stderr.write(`cloud failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
