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
 *
 * The scan lane (CLOUD_SCAN_WORKERS > 0): that many more workers serve online validation only. The
 * primary then listens on the port itself and hands each connection to a worker of its lane by its first
 * request line (http/lane-router.ts); scan workers take no BullMQ jobs and run no sweeps, so nothing but
 * scans competes for their event loop. Without a lane the primary leaves the port to node:cluster.
 * Several cloud processes need PostgreSQL and Redis (cloud/config.ts refuses PGlite and a missing REDIS_URL).
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from './config';
import { openDatabase } from './db/client';
import { runMigrations } from './db/migrate';
import { serveClusterMetrics } from './http/cluster-metrics';
import { type Lane, type LaneRouter, startLaneRouter } from './http/lane-router';
import { Keyring } from './services/keyring';

/** The environment variable that tells a forked worker its number (1..CLOUD_WORKERS). */
export const WORKER_SLOT_VARIABLE = 'CLOUD_WORKER_SLOT';
/** … its lane ('general' or 'scan'), and '1' in WORKER_HANDED_VARIABLE when the primary's router feeds it. */
export const WORKER_LANE_VARIABLE = 'CLOUD_WORKER_LANE';
export const WORKER_HANDED_VARIABLE = 'CLOUD_WORKER_HANDED';
/** What a worker fed by the router sends the primary once it can take connections. */
export const WORKER_READY = 'cloud:worker-ready';
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

/** This worker's lane and whether the primary hands it connections (it does not listen itself). */
export function workerRole(): { lane: Lane; handed: boolean } {
  return {
    lane: process.env[WORKER_LANE_VARIABLE] === 'scan' ? 'scan' : 'general',
    handed: cluster.isWorker && process.env[WORKER_HANDED_VARIABLE] === '1',
  };
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
  lane: Lane;
  /** Started and taking connections (listening, or ready for handed ones). */
  ready: boolean;
  worker: Worker | undefined;
  startedAt: number;
  /** Deaths in a row without a stable run between them. */
  deaths: number;
  restartTimer: NodeJS.Timeout | undefined;
}

/** Worker slots 1..CLOUD_WORKERS of the general lane, then CLOUD_SCAN_WORKERS of the scan lane. */
function slotsFor(config: Config): Slot[] {
  return Array.from({ length: config.cloudWorkers + config.scanWorkers }, (_, index) => ({
    number: index + 1,
    lane: index < config.cloudWorkers ? 'general' : 'scan',
    ready: false,
    worker: undefined,
    startedAt: 0,
    deaths: 0,
    restartTimer: undefined,
  }));
}

/** The primary's listener for a scan lane: each lane's connections round robin over its ready workers. */
function routeToLanes(config: Config, slots: Slot[], logger: Logger): Promise<LaneRouter> {
  const turn: Record<Lane, number> = { general: 0, scan: 0 };
  return startLaneRouter({
    port: config.port,
    host: '0.0.0.0',
    logger,
    pick: (lane) => {
      const live = slots.filter((s) => s.lane === lane && s.ready && s.worker?.isConnected());
      if (live.length === 0) return undefined;
      turn[lane] = (turn[lane] + 1) % live.length;
      return live[turn[lane]]?.worker;
    },
  });
}

/**
 * Runs the primary: prepares the database, forks `config.cloudWorkers` (and `config.scanWorkers`) workers
 * and supervises them until a signal. `announce` is called once every worker takes connections. Resolves
 * with the exit code to end with.
 */
export async function runPrimary(
  config: Config,
  logger: Logger,
  announce: (url: string) => void,
): Promise<number> {
  await prepareDatabase(config);
  const slots = slotsFor(config);
  let router: LaneRouter | undefined;
  let started = false;
  let stopping = false;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    finish = resolve;
  });

  const fork = (slot: Slot) => {
    slot.restartTimer = undefined;
    slot.startedAt = Date.now();
    const worker = cluster.fork({
      [WORKER_SLOT_VARIABLE]: String(slot.number),
      [WORKER_LANE_VARIABLE]: slot.lane,
      [WORKER_HANDED_VARIABLE]: router ? '1' : '0',
    });
    slot.worker = worker;
    const ready = (port: number) => {
      logger.info(
        { worker: slot.number, pid: worker.process.pid, lane: slot.lane },
        'cloud worker listening',
      );
      slot.ready = true;
      if (!started && slots.every((s) => s.ready)) {
        started = true;
        announce(`http://127.0.0.1:${port}`);
      }
    };
    worker.on('listening', (address) => ready(address.port));
    worker.on('message', (message: unknown) => {
      if (router && (message as { type?: unknown } | null)?.type === WORKER_READY) ready(router.port);
    });
    worker.on('exit', (code, signal) => {
      slot.worker = undefined;
      slot.ready = false;
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
          lane: slot.lane,
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
    // No new connections; each worker finishes the ones it has.
    void router?.close();
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
  if (config.scanWorkers > 0) router = await routeToLanes(config, slots, logger);
  for (const slot of slots) fork(slot);
  await done;
  return exitCode;
}
