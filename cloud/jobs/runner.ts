/**
 * The job runner contract shared by the BullMQ and in-process runners, and the choice between them:
 * BullMQ when REDIS_URL is set (durable, shared by every cloud process), in-process otherwise.
 */
import type { JobQueue } from '../services/job-queue';

/** A venue whose nightly reconciliation is scheduled in its own time zone. */
export interface NightlyVenue {
  tenantId: string;
  venueId: string;
  timezone: string;
}

export interface JobRunner extends JobQueue {
  readonly kind: 'bullmq' | 'in-process';
  /** Jobs per name and state, for the job_queue_depth metric. */
  depth(): Promise<{ job: string; state: string; count: number }[]>;
  /** Resolves when no job is ready or running (delayed ones excluded). Tests and shutdown. */
  drain(timeoutMs?: number): Promise<void>;
  /**
   * Stops taking work, lets running jobs finish, releases connections and timers. Safe twice. With
   * `timeoutMs`, whatever has not finished by then is closed by force (BullMQ; in-process jobs are just
   * no longer waited for).
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
}
