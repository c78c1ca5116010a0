/**
 * The shape of one background job: its handler and its retry policy. A definition knows nothing about
 * where it runs — bullmq-runner.ts and in-process-runner.ts both execute the same definitions, so a job
 * behaves alike with and without Redis (SPEC section 8: "the same handlers in-process otherwise").
 */
import type { JobName, JobPayloads } from '../services/job-queue';

/** Thrown by a handler when retrying cannot help (bad data, a 4xx answer): the job fails at once. */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
  readonly code = 'JOB_PERMANENT_FAILURE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** What a handler learns about the attempt it runs in. */
export interface JobAttempt {
  /** 1 for the first run. */
  attempt: number;
  /** The job's total allowed attempts (the last attempt has attempt === attempts). */
  attempts: number;
  /** The queue's job id (deduplication key when one was given). */
  jobId: string;
}

export interface JobDefinition<N extends JobName = JobName> {
  name: N;
  /** Total attempts including the first (1 = never retried). */
  attempts: number;
  /** Delay before attempt `attempt + 1` after attempt `attempt` failed. */
  backoffMs(attempt: number): number;
  /** How many jobs of this kind one process runs at once. */
  concurrency: number;
  /** Does the work. Must be idempotent: a job can be delivered more than once. */
  run(data: JobPayloads[N], attempt: JobAttempt): Promise<void>;
  /** Called once when the job gives up (permanent error or attempts used up), e.g. to record it. */
  onGaveUp?(data: JobPayloads[N], error: unknown): Promise<void>;
}

/** One definition per job name (a runner refuses to queue a job it has no definition for). */
export type JobDefinitions = { [N in JobName]?: JobDefinition<N> };

/** Exponential backoff: base, 2 × base, 4 × base, … capped at `maxMs`. */
export function exponentialBackoff(baseMs: number, maxMs = 15 * 60_000): (attempt: number) => number {
  return (attempt) => Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}
