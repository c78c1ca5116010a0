/**
 * Runs job definitions inside this process — the runner when REDIS_URL is not set (npm start, tests,
 * a single small installation). Same definitions, same retry policy as BullMQ; what it cannot give is
 * durability: a job queued here is lost if the process dies, which is why every job also has a sweep
 * (hold expiry, refunds of cancelled events, pending mints) or is re-planned (nightly reconciliation).
 */
import type { Logger } from 'pino';
import type { BusinessEvents } from '../services/context';
import type { EnqueueOptions, JobName, JobPayloads } from '../services/job-queue';
import { runAttempt } from './attempt';
import type { JobDefinition, JobDefinitions } from './definition';
import { DelayQueue } from './delay-queue';
import { nextLocalTime } from './local-time';
import type { JobRunner, NightlyVenue } from './runner';

interface QueuedJob {
  name: JobName;
  id: string;
  data: unknown;
  attempt: number;
}

export interface InProcessRunnerOptions {
  definitions: JobDefinitions;
  logger: Logger;
  business: Pick<BusinessEvents, 'job'>;
  /** Venue-local HH:MM of the nightly reconciliation. */
  reconciliationLocalTime: string;
  /** Wall clock for scheduling the nightly run (defaults to Date.now). */
  now?: () => number;
}

/** An in-memory queue per job name with per-name concurrency, delays, retries and deduplication. */
export class InProcessJobRunner implements JobRunner {
  readonly kind = 'in-process';
  readonly #options: InProcessRunnerOptions;
  readonly #ready = new Map<JobName, QueuedJob[]>();
  readonly #active = new Map<JobName, number>();
  /** Ids queued, delayed or running: an enqueue with one of them is dropped. */
  readonly #known = new Set<string>();
  /**
   * Delayed jobs and retries, earliest first, behind one timer: a hold makes a delayed job, and a timer
   * per hold kept ~600 bytes alive per hold for its whole TTL (seen in a heap snapshot under load).
   */
  readonly #delayed = new DelayQueue<QueuedJob>();
  #delayTimer: NodeJS.Timeout | undefined;
  /** The due time the delay timer is armed for. */
  #armedFor: number | undefined;
  readonly #nightly = new Map<string, { timer: NodeJS.Timeout; dueAt: number }>();
  readonly #running = new Set<Promise<void>>();
  #failed = 0;
  #sequence = 0;
  #stopped = false;

  constructor(options: InProcessRunnerOptions) {
    this.#options = options;
  }

  async enqueue<N extends JobName>(
    name: N,
    data: JobPayloads[N],
    options: EnqueueOptions = {},
  ): Promise<void> {
    this.#definition(name);
    if (this.#stopped) throw new Error(`job runner stopped: ${name} not queued`);
    const id = options.jobId ?? `${name}-${++this.#sequence}`;
    const key = `${name}/${id}`;
    if (this.#known.has(key)) return;
    this.#known.add(key);
    const job: QueuedJob = { name, id, data, attempt: 1 };
    if (options.delayMs && options.delayMs > 0) this.#later(options.delayMs, job);
    else this.#push(job);
  }

  async enqueueMany<N extends JobName>(
    name: N,
    jobs: readonly { data: JobPayloads[N]; options?: EnqueueOptions }[],
  ): Promise<void> {
    for (const job of jobs) await this.enqueue(name, job.data, job.options);
  }

  async scheduleNightlyReconciliation(venue: NightlyVenue): Promise<void> {
    if (this.#stopped) return;
    const previous = this.#nightly.get(venue.venueId);
    if (previous) clearTimeout(previous.timer);
    const now = (this.#options.now ?? Date.now)();
    const at = nextLocalTime(now, this.#options.reconciliationLocalTime, venue.timezone);
    // setTimeout overflows past 2^31 - 1 ms (~24.8 days); a day is far below that.
    const timer = setTimeout(() => {
      this.#nightly.delete(venue.venueId);
      this.enqueue('nightly-reconciliation', { tenantId: venue.tenantId, venueId: venue.venueId })
        .catch((error: unknown) =>
          this.#options.logger.error({ err: error }, 'nightly reconciliation not queued'),
        )
        .finally(() => void this.scheduleNightlyReconciliation(venue));
    }, at - now);
    timer.unref();
    this.#nightly.set(venue.venueId, { timer, dueAt: at });
  }

  /** When each venue's next nightly run is due (unix ms), for tests and the operations view. */
  nightlySchedule(): Map<string, number> {
    return new Map([...this.#nightly].map(([venueId, { dueAt }]) => [venueId, dueAt]));
  }

  async depth(): Promise<{ job: string; state: string; count: number }[]> {
    const rows: { job: string; state: string; count: number }[] = [];
    for (const name of Object.keys(this.#options.definitions) as JobName[]) {
      rows.push({ job: name, state: 'waiting', count: this.#ready.get(name)?.length ?? 0 });
      rows.push({ job: name, state: 'active', count: this.#active.get(name) ?? 0 });
    }
    rows.push({ job: 'all', state: 'delayed', count: this.#delayed.size });
    rows.push({ job: 'all', state: 'failed', count: this.#failed });
    return rows;
  }

  /** Resolves when nothing is ready or running (delayed jobs not yet due are not waited for). */
  async drain(): Promise<void> {
    for (let rounds = 0; rounds < 10_000; rounds++) {
      if (this.#running.size === 0 && [...this.#ready.values()].every((queue) => queue.length === 0)) return;
      await Promise.race(this.#running);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Stops timers and new work, then waits for running jobs (SIGTERM). Safe to call twice. */
  async close(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#delayTimer);
    this.#delayed.clear();
    for (const { timer } of this.#nightly.values()) clearTimeout(timer);
    this.#nightly.clear();
    await this.drain();
  }

  #definition<N extends JobName>(name: N): JobDefinition<N> {
    const definition = this.#options.definitions[name];
    if (!definition) throw new Error(`no handler registered for job ${name}`);
    return definition as JobDefinition<N>;
  }

  #later(ms: number, job: QueuedJob): void {
    const dueAt = Date.now() + ms;
    this.#delayed.push(dueAt, job);
    // Re-arm only for a new earliest job: each distinct timeout leaves Node a timer list until it
    // would have fired.
    if (this.#armedFor === undefined || dueAt < this.#armedFor) this.#armDelayTimer();
  }

  /** One timer, for the earliest delayed job; it moves due jobs to their ready queues and re-arms. */
  #armDelayTimer(): void {
    clearTimeout(this.#delayTimer);
    this.#delayTimer = undefined;
    this.#armedFor = undefined;
    const next = this.#delayed.peekDue();
    if (next === undefined || this.#stopped) return;
    this.#armedFor = next;
    // setTimeout caps at 2^31 - 1 ms; a longer wait just wakes up early and re-arms.
    const wait = Math.min(Math.max(0, next - Date.now()), 2 ** 31 - 1);
    this.#delayTimer = setTimeout(() => {
      for (let job = this.#delayed.popDue(Date.now()); job; job = this.#delayed.popDue(Date.now()))
        this.#push(job);
      this.#armDelayTimer();
    }, wait);
    this.#delayTimer.unref();
  }

  #push(job: QueuedJob): void {
    const queue = this.#ready.get(job.name) ?? [];
    queue.push(job);
    this.#ready.set(job.name, queue);
    this.#pump(job.name);
  }

  #pump(name: JobName): void {
    const definition = this.#definition(name);
    const queue = this.#ready.get(name) ?? [];
    for (;;) {
      const active = this.#active.get(name) ?? 0;
      if (active >= definition.concurrency) return;
      const job = queue.shift();
      if (!job) return;
      this.#active.set(name, active + 1);
      const run = this.#run(definition, job).finally(() => {
        this.#running.delete(run);
        this.#active.set(name, (this.#active.get(name) ?? 1) - 1);
        this.#pump(name);
      });
      this.#running.add(run);
    }
  }

  async #run(definition: JobDefinition, job: QueuedJob): Promise<void> {
    const outcome = await runAttempt(
      definition,
      job.data as never,
      { attempt: job.attempt, attempts: definition.attempts, jobId: job.id },
      { logger: this.#options.logger, business: this.#options.business },
    );
    const key = `${job.name}/${job.id}`;
    if (outcome.kind === 'retry' && !this.#stopped) {
      this.#later(definition.backoffMs(job.attempt), { ...job, attempt: job.attempt + 1 });
      return;
    }
    if (outcome.kind !== 'completed') this.#failed++;
    this.#known.delete(key);
  }
}
