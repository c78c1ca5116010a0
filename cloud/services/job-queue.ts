/**
 * What services may ask to run later, and with what data (SPEC section 8). Services only enqueue; the
 * handlers live in cloud/jobs/ and run either on BullMQ workers (REDIS_URL set) or in this process.
 * Job data carries ids only — never secrets, tokens or personal data — because it sits in Redis.
 */

/** Every job the cloud runs, with its payload. */
export interface JobPayloads {
  /** Expire one hold at its expiry time (a delayed job; the periodic sweep is the safety net). */
  'hold-expiry': { reservationId: string };
  /** Refund one order (after an event cancellation); idempotent. */
  refund: { tenantId: string; orderId: string; reason: string };
  /** Ask the external minting service to mint one ticket and record the outcome on the ticket. */
  'mint-ticket': { tenantId: string; ticketId: string };
  /** Compute and store one reconciliation report (its row already exists, status pending). */
  'reconcile-event': { tenantId: string; reportId: string };
  /** The nightly run of one venue: one pending report + reconcile-event job per event to reconcile. */
  'nightly-reconciliation': { tenantId: string; venueId: string };
  /** Check out everyone still inside an event at its exitAllAt (unix ms: the value it was scheduled for). */
  'exit-all': { tenantId: string; eventId: string; exitAllAt: number };
}

export type JobName = keyof JobPayloads;

export interface EnqueueOptions {
  /** Run no earlier than this many milliseconds from now. */
  delayMs?: number;
  /**
   * Deduplication key: while a job with this id is queued (or, on BullMQ, kept as completed), another
   * enqueue with the same id is dropped. Use the natural key (order id, reservation id, report id).
   */
  jobId?: string;
}

/** The door to the job runner that services see. */
export interface JobQueue {
  /**
   * Queues a job. Resolves once it is stored (BullMQ) or accepted (in-process); rejects if it could
   * not be queued — callers decide whether that fails the request or is left to a sweep.
   */
  enqueue<N extends JobName>(name: N, data: JobPayloads[N], options?: EnqueueOptions): Promise<void>;
  /** Queues many jobs of one kind in batches (one round trip per batch on BullMQ). */
  enqueueMany<N extends JobName>(
    name: N,
    jobs: readonly { data: JobPayloads[N]; options?: EnqueueOptions }[],
  ): Promise<void>;
  /**
   * Keeps a venue's nightly reconciliation scheduled at the configured local time in the venue's time
   * zone (a BullMQ job scheduler per venue, or a timer in this process). Idempotent.
   */
  scheduleNightlyReconciliation(venue: {
    tenantId: string;
    venueId: string;
    timezone: string;
  }): Promise<void>;
}

/** Every job name, for code that must enumerate them (metrics start each series at zero). */
export const JOB_NAMES = [
  'hold-expiry',
  'refund',
  'mint-ticket',
  'reconcile-event',
  'nightly-reconciliation',
  'exit-all',
] as const satisfies readonly JobName[];

// Fails to compile when a job is added to JobPayloads but not to JOB_NAMES.
const everyJobListed: Record<Exclude<JobName, (typeof JOB_NAMES)[number]>, never> = {};
void everyJobListed;
