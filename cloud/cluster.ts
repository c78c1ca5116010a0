/**
 * Several cloud processes on one machine (CLOUD_WORKERS > 1): the primary process prepares the database
 * once, forks the workers, which share the listening port (node:cluster hands each connection to one of
 * them), restarts a worker that dies, and on SIGTERM/SIGINT shuts every worker down gracefully.
 *
 * What runs once and what runs in every process:
 * - once per start, in the primary, before any worker: the migrations, and opening the signing key with
 *   KEY_ENCRYPTION_KEY (so a wrong key stops the start with one message instead of N crash loops);
 * - in every worker: the HTTP API, the push streams (each process polls the change heads in PostgreSQL,
 *   so a gate hears of a change made through any process) and the BullMQ workers (Redis hands each job
 *   to one of them);
 * - in worker 1 only: the safety-net sweeps (cloud/jobs/sweeps.ts). They are safe from several processes
 *   at once; one process running them spares PostgreSQL N copies of the same queries. A restarted worker
 *   keeps its number, so the sweeps come back with it.
 * - in the primary: `/metrics` of all workers, aggregated (http/cluster-metrics.ts), so a scrape that lands
 *   on any worker reads the whole cloud.
 * Several processes need PostgreSQL and Redis (cloud/config.ts refuses PGlite and a missing REDIS_URL).
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from './config';
import { openDatabase } from './db/client';
import { runMigrations } from './db/migrate';
import { serveClusterMetrics } from './http/cluster-metrics';
import { Keyring } from './services/keyring';

/** The environment variable that tells a forked worker its number (1..CLOUD_WORKERS). */
export const WORKER_SLOT_VARIABLE = 'CLOUD_WORKER_SLOT';
/** First restart delay of a dead worker; doubled per consecutive death, up to RESTART_DELAY_MAX_MS. */
export const RESTART_DELAY_MIN_MS = 500;
export const RESTART_DELAY_MAX_MS = 30_000;
/** A worker that ran this long before it died counts as healthy: its restart starts over at the minimum. */
const STABLE_AFTER_MS = 60_000;
/** Beyond SHUTDOWN_GRACE_MS, how long the primary waits for workers before it kills them. */
const EXIT_WAIT_MARGIN_MS = 2_000;

/** This process's worker number in a cluster, or undefined when it is not a cluster worker. */
export function workerSlot(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const slot = Number(process.env[WORKER_SLOT_VARIABLE]);
  return Number.isInteger(slot) && slot > 0 ? slot : undefined;
}

/** The delay before restarting a worker that died `deaths` times in a row (1 = first death). */
export function restartDelayMs(deaths: number): number {
  return Math.min(RESTART_DELAY_MAX_MS, RESTART_DELAY_MIN_MS * 2 ** Math.max(0, deaths - 1));
}

/** Migrations and the signing key, once for every worker. */
async function prepareDatabase(config: Config): Promise<void> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, maxConnections: 2 });
  try {
    await runMigrations(database);
    await new Keyring(database.db, config.keyEncryptionKey).init(new Date());
  } finally {
    await database.close();
  }
}

interface Slot {
  number: number;
  worker: Worker | undefined;
  startedAt: number;
  /** Deaths in a row without a stable run between them. */
  deaths: number;
  restartTimer: NodeJS.Timeout | undefined;
}

/**
 * Runs the primary: prepares the database, forks `config.cloudWorkers` workers and supervises them until
 * a signal. `announce` is called once every worker listens. Resolves with the exit code to end with.
 */
export async function runPrimary(
  config: Config,
  logger: Logger,
  announce: (url: string) => void,
): Promise<number> {
  await prepareDatabase(config);
  const slots: Slot[] = Array.from({ length: config.cloudWorkers }, (_, index) => ({
    number: index + 1,
    worker: undefined,
    startedAt: 0,
    deaths: 0,
    restartTimer: undefined,
  }));
  const listening = new Set<number>();
  let started = false;
  let stopping = false;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    finish = resolve;
  });

  const fork = (slot: Slot) => {
    slot.restartTimer = undefined;
    slot.startedAt = Date.now();
    const worker = cluster.fork({ [WORKER_SLOT_VARIABLE]: String(slot.number) });
    slot.worker = worker;
    worker.on('listening', (address) => {
      logger.info({ worker: slot.number, pid: worker.process.pid }, 'cloud worker listening');
      listening.add(slot.number);
      if (!started && listening.size === slots.length) {
        started = true;
        announce(`http://127.0.0.1:${address.port}`);
      }
    });
    worker.on('exit', (code, signal) => {
      slot.worker = undefined;
      listening.delete(slot.number);
      if (stopping) {
        if (code !== 0 && code !== null) exitCode ||= 1;
        if (slots.every((s) => !s.worker)) finish(0);
        return;
      }
      if (!started) {
        // A worker that cannot start the first time has a problem a restart will not fix (the port,
        // the configuration): stop, as a single process would.
        logger.error({ worker: slot.number, code, signal }, 'a cloud worker failed to start: stopping');
        void stop('startup failure', 1);
        return;
      }
      slot.deaths = Date.now() - slot.startedAt >= STABLE_AFTER_MS ? 1 : slot.deaths + 1;
      const delayMs = restartDelayMs(slot.deaths);
      logger.error(
        {
          worker: slot.number,
          pid: worker.process.pid,
          code,
          signal,
          restartInMs: delayMs,
          deaths: slot.deaths,
        },
        'cloud worker died: restarting it',
      );
      slot.restartTimer = setTimeout(() => fork(slot), delayMs);
    });
  };

  let exitCode = 0;
  const stop = async (reason: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    logger.info({ reason }, 'stopping the cloud workers');
    for (const slot of slots) clearTimeout(slot.restartTimer);
    const alive = slots.filter((slot) => slot.worker);
    if (alive.length === 0) {
      finish(0);
      return;
    }
    // Each worker shuts down gracefully within SHUTDOWN_GRACE_MS (server.ts); one that overruns is killed.
    for (const slot of alive) slot.worker?.process.kill('SIGTERM');
    const killer = setTimeout(() => {
      for (const slot of slots) {
        if (!slot.worker) continue;
        logger.error({ worker: slot.number }, 'cloud worker overran SHUTDOWN_GRACE_MS: killing it');
        slot.worker.process.kill('SIGKILL');
      }
    }, config.shutdownGraceMs + EXIT_WAIT_MARGIN_MS);
    killer.unref();
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  serveClusterMetrics();
  for (const slot of slots) fork(slot);
  await done;
  return exitCode;
}
