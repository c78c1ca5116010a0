/**
 * The in-process refund queue: refunds after an event cancellation run here, one at a time, with
 * retries, off the request path. The handler is `refundOrder`, which is idempotent, so the later BullMQ
 * version (jobs issue) can take over with the same handler and at-least-once delivery.
 */
import type { Logger } from 'pino';
import type { RefundQueue } from '../services/context';

export interface RefundJob {
  tenantId: string;
  orderId: string;
  reason: string;
}

const MAX_ATTEMPTS = 5;

/** A small FIFO worker. `drain()` resolves when every queued refund has finished (tests, shutdown). */
export class InProcessRefundQueue implements RefundQueue {
  readonly #queue: RefundJob[] = [];
  readonly #handler: (job: RefundJob) => Promise<{ ok: boolean; code?: string }>;
  readonly #logger: Logger;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(handler: (job: RefundJob) => Promise<{ ok: boolean; code?: string }>, logger: Logger) {
    this.#handler = handler;
    this.#logger = logger;
  }

  enqueueRefund(job: RefundJob): void {
    if (this.#stopped) {
      this.#logger.error({ orderId: job.orderId }, 'refund queue stopped: refund not queued');
      return;
    }
    this.#queue.push(job);
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
    });
  }

  /** Waits until the queue is empty. */
  async drain(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /** Stops accepting work and waits for queued refunds (graceful shutdown). */
  async close(): Promise<void> {
    this.#stopped = true;
    await this.drain();
  }

  async #run(): Promise<void> {
    for (let job = this.#queue.shift(); job; job = this.#queue.shift()) {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        try {
          const result = await this.#handler(job);
          // NOT_FOUND / ORDER_NOT_REFUNDABLE are permanent: retrying cannot help.
          if (result.ok || result.code !== 'PAYMENT_UNAVAILABLE') break;
        } catch (error) {
          this.#logger.error({ err: error, orderId: job.orderId, attempt }, 'refund failed');
        }
        if (attempt === MAX_ATTEMPTS) {
          this.#logger.error({ orderId: job.orderId }, 'refund gave up after retries');
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 100));
      }
    }
  }
}
