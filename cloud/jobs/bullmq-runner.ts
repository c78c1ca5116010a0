/**
 * Runs job definitions on BullMQ (REDIS_URL set): one queue and one worker per job name, so a slow
 * reconciliation never holds up hold expiry. Jobs survive a cloud restart and are shared by every cloud
 * process against the same Redis. Retries use each definition's own schedule (a custom backoff
 * strategy); permanent failures become UnrecoverableError. Workers use `maxRetriesPerRequest: null`
 * (BullMQ's requirement for blocking connections).
 *
 * Producers are bounded: BullMQ's `Queue.add` waits for a connection for ever, so every producer call
 * here fails after `ENQUEUE_TIMEOUT_MS` at most — at once while Redis is known to be unreachable — and a
 * request never hangs on a queue: every job kind has a sweep or re-plan that catches what was not
 * queued (cloud/jobs/sweeps.ts). The producer connection has a command timeout too, so a Redis that
 * accepts connections but never answers is treated as down (ioredis reconnects) instead of waited for.
 * `close` is bounded the same way: past its budget the workers and connections are closed by force.
 */
import { type JobsOptions, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { BusinessEvents } from '../services/context';
import type { EnqueueOptions, JobName, JobPayloads } from '../services/job-queue';
import { runAttempt } from './attempt';
import type { JobDefinition, JobDefinitions } from './definition';
import { dailyCronPattern } from './local-time';
import type { JobRunner, NightlyVenue } from './runner';

const BULK_BATCH = 500;
/** The longest any producer call (enqueue, schedule, counts) waits for Redis before it fails. */
export const ENQUEUE_TIMEOUT_MS = 1_500;
/** How long `close` waits for running jobs and a clean QUIT when no budget is given. */
const DEFAULT_CLOSE_MS = 10_000;

/** A producer call that failed because Redis was unreachable or too slow; the sweeps catch up later. */
export class JobQueueUnavailableError extends Error {
  override readonly name = 'JobQueueUnavailableError';
}

/** Resolves `work` or rejects after `ms` (the work itself is left to settle on its own). */
async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  work.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new JobQueueUnavailableError(`${what}: redis did not answer within ${ms} ms`)),
          Math.max(0, ms),
        );
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
const KEEP_COMPLETED = { age: 24 * 3600, count: 10_000 };
const KEEP_FAILED = { age: 7 * 24 * 3600 };

export interface BullMqRunnerOptions {
  definitions: JobDefinitions;
  redisUrl: string;
  /** Redis key prefix; each test run gets its own. */
  prefix: string;
  logger: Logger;
  business: Pick<BusinessEvents, 'job'>;
  reconciliationLocalTime: string;
  /** Start workers in this process (default true; false = producer only). */
  workers?: boolean;
  /** Bound of every producer call (default ENQUEUE_TIMEOUT_MS). */
  enqueueTimeoutMs?: number;
}

export class BullMqJobRunner implements JobRunner {
  readonly kind = 'bullmq';
  readonly #options: BullMqRunnerOptions;
  readonly #producer: Redis;
  readonly #consumer: Redis | undefined;
  readonly #queues = new Map<JobName, Queue>();
  readonly #workers: Worker[] = [];
  readonly #timeoutMs: number;
  /** True from a producer connection error or close until it is ready again: fail at once meanwhile. */
  #unreachable = false;
  #ready: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: BullMqRunnerOptions) {
    this.#options = options;
    const { logger } = options;
    let lastWarning = 0;
    const warn = (error: unknown) => {
      if (Date.now() - lastWarning < 30_000) return;
      lastWarning = Date.now();
      logger.warn({ err: error }, 'job queue: redis unavailable');
    };
    this.#timeoutMs = options.enqueueTimeoutMs ?? ENQUEUE_TIMEOUT_MS;
    this.#producer = new Redis(options.redisUrl, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      // Also bounds the connection handshake and ready check: a silent server makes ioredis reconnect.
      commandTimeout: this.#timeoutMs,
    });
    this.#producer.on('error', (error) => {
      this.#unreachable = true;
      warn(error);
    });
    this.#producer.on('close', () => {
      this.#unreachable = true;
    });
    this.#producer.on('ready', () => {
      this.#unreachable = false;
    });
    const names = Object.keys(options.definitions) as JobName[];
    for (const name of names) {
      const queue = new Queue(name, { connection: this.#producer, prefix: options.prefix });
      queue.on('error', warn);
      this.#queues.set(name, queue);
    }
    if (options.workers === false) return;
    this.#consumer = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    this.#consumer.on('error', warn);
    for (const name of names) {
      const definition = options.definitions[name] as JobDefinition | undefined;
      if (!definition) continue;
      const worker = new Worker(
        name,
        async (job) => {
          const outcome = await runAttempt(
            definition,
            job.data as never,
            {
              attempt: job.attemptsMade + 1,
              attempts: job.opts.attempts ?? definition.attempts,
              jobId: job.id ?? '',
            },
            { logger, business: options.business },
          );
          if (outcome.kind === 'completed') return;
          const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
          // Already recorded (onGaveUp ran): tell BullMQ not to try again.
          if (outcome.kind === 'gave-up') throw new UnrecoverableError(message);
          throw outcome.error instanceof Error ? outcome.error : new Error(message);
        },
        {
          connection: this.#consumer,
          prefix: options.prefix,
          concurrency: definition.concurrency,
          settings: { backoffStrategy: (attemptsMade: number) => definition.backoffMs(attemptsMade) },
        },
      );
      worker.on('error', warn);
      this.#workers.push(worker);
    }
  }

  async enqueue<N extends JobName>(
    name: N,
    data: JobPayloads[N],
    options: EnqueueOptions = {},
  ): Promise<void> {
    const queue = this.#queue(name);
    await this.#bounded(`enqueue ${name}`, () => queue.add(name, data, this.#jobOptions(name, options)));
  }

  async enqueueMany<N extends JobName>(
    name: N,
    jobs: readonly { data: JobPayloads[N]; options?: EnqueueOptions }[],
  ): Promise<void> {
    const queue = this.#queue(name);
    for (let start = 0; start < jobs.length; start += BULK_BATCH) {
      const batch = jobs.slice(start, start + BULK_BATCH).map((job) => ({
        name,
        data: job.data,
        opts: this.#jobOptions(name, job.options ?? {}),
      }));
      await this.#bounded(`enqueue ${name}`, () => queue.addBulk(batch));
    }
  }

  async scheduleNightlyReconciliation(venue: NightlyVenue): Promise<void> {
    const name = 'nightly-reconciliation';
    // One scheduler per venue; upsert replaces its pattern or zone if they changed, and several cloud
    // processes upserting the same id at start leave exactly one.
    const queue = this.#queue(name);
    await this.#bounded(`schedule ${name}`, () =>
      queue.upsertJobScheduler(
        `venue-${venue.venueId}`,
        { pattern: dailyCronPattern(this.#options.reconciliationLocalTime), tz: venue.timezone },
        {
          name,
          data: { tenantId: venue.tenantId, venueId: venue.venueId },
          opts: this.#retryOptions(name),
        },
      ),
    );
  }

  /** The venue schedulers as BullMQ stores them (tests, operations). */
  async nightlySchedulers(): Promise<
    { id: string; pattern?: string | null; tz?: string | null; next?: number }[]
  > {
    const queue = this.#queue('nightly-reconciliation');
    const schedulers = await this.#bounded('list schedulers', () => queue.getJobSchedulers(0, -1, true));
    return schedulers.map((s) => ({
      id: s.key,
      pattern: s.pattern ?? null,
      tz: s.tz ?? null,
      ...(s.next ? { next: s.next } : {}),
    }));
  }

  async depth(): Promise<{ job: string; state: string; count: number }[]> {
    const rows: { job: string; state: string; count: number }[] = [];
    for (const [name, queue] of this.#queues) {
      const counts = await this.#bounded('count jobs', () =>
        queue.getJobCounts('waiting', 'delayed', 'active', 'failed'),
      );
      for (const [state, count] of Object.entries(counts)) rows.push({ job: name, state, count });
    }
    return rows;
  }

  async drain(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let busy = 0;
      for (const queue of this.#queues.values()) {
        const counts = await this.#bounded('count jobs', () =>
          queue.getJobCounts('waiting', 'active', 'prioritized', 'waiting-children'),
        );
        busy += Object.values(counts).reduce((sum, count) => sum + count, 0);
      }
      if (busy === 0) return;
      if (Date.now() > deadline)
        throw new Error(`job queues still busy after ${timeoutMs} ms (${busy} jobs)`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /**
   * Workers finish the job in hand and stop, queues and connections close cleanly — within `timeoutMs`.
   * Past it (a long job, Redis unreachable or silent) everything is closed by force: an interrupted job
   * is picked up again by BullMQ's stalled-job check in another process (jobs are idempotent).
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#closing ??= (async () => {
      const connections = [this.#consumer, this.#producer].filter((c): c is Redis => c !== undefined);
      const graceful = (async () => {
        // Workers first: each finishes its running job, then stops fetching.
        await Promise.allSettled(this.#workers.map((worker) => worker.close()));
        await Promise.allSettled([...this.#queues.values()].map((queue) => queue.close()));
        for (const connection of connections) await connection.quit().catch(() => connection.disconnect());
      })();
      try {
        await within(graceful, options.timeoutMs ?? DEFAULT_CLOSE_MS, 'close');
      } catch {
        this.#options.logger.warn('job queue: closing by force (running jobs will be retried elsewhere)');
        for (const worker of this.#workers) worker.close(true).catch(() => {});
        for (const connection of connections) connection.disconnect();
      }
    })();
    return this.#closing;
  }

  /**
   * Runs one producer call within the bound: waits for the connection only while it may still come up
   * (never past the bound), fails at once while Redis is known to be unreachable.
   */
  async #bounded<T>(what: string, call: () => Promise<T>): Promise<T> {
    const started = Date.now();
    if (this.#closing) throw new JobQueueUnavailableError(`${what}: the job queue is closing`);
    if (this.#producer.status !== 'ready') {
      if (this.#unreachable) throw new JobQueueUnavailableError(`${what}: redis is unreachable`);
      await within(this.#whenReady(), this.#timeoutMs, what);
    }
    return within(call(), this.#timeoutMs - (Date.now() - started), what);
  }

  /** Resolves when the producer connection is ready (one listener however many callers wait). */
  #whenReady(): Promise<void> {
    this.#ready ??= new Promise<void>((resolve) => {
      this.#producer.once('ready', () => {
        this.#ready = undefined;
        resolve();
      });
    });
    return this.#ready;
  }

  #queue(name: JobName): Queue {
    const queue = this.#queues.get(name);
    if (!queue) throw new Error(`no handler registered for job ${name}`);
    return queue;
  }

  #retryOptions(
    name: JobName,
  ): Pick<JobsOptions, 'attempts' | 'backoff' | 'removeOnComplete' | 'removeOnFail'> {
    const definition = this.#options.definitions[name];
    return {
      attempts: definition?.attempts ?? 1,
      backoff: { type: 'definition' },
      removeOnComplete: KEEP_COMPLETED,
      removeOnFail: KEEP_FAILED,
    };
  }

  #jobOptions(name: JobName, options: EnqueueOptions): JobsOptions {
    return {
      ...this.#retryOptions(name),
      ...(options.jobId ? { jobId: options.jobId } : {}),
      ...(options.delayMs && options.delayMs > 0 ? { delay: Math.round(options.delayMs) } : {}),
    };
  }
}
