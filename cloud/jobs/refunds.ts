/**
 * Refunds after an event cancellation, one job per paid order (jobId = order id, so a second
 * cancellation request or the sweep cannot queue a duplicate while one is pending). `refundOrder` is
 * idempotent — the order row lock and the provider's idempotency key make a re-delivered job harmless.
 */
import type { ServiceContext } from '../services/context';
import { refundOrder } from '../services/orders';
import { exponentialBackoff, type JobDefinition, PermanentJobError } from './definition';

export function createRefundJobs(ctx: ServiceContext): { refund: JobDefinition<'refund'> } {
  return {
    refund: {
      name: 'refund',
      attempts: 8,
      // 2 s, 4 s, … up to 4 min: a payment provider outage of several minutes is ridden out.
      backoffMs: exponentialBackoff(2_000, 4 * 60_000),
      concurrency: 4,
      async run(job) {
        const result = await refundOrder(ctx, job);
        if (result.ok) return;
        // Only a provider outage is worth retrying; a missing order cannot become refundable.
        if (result.code === 'PAYMENT_UNAVAILABLE')
          throw new Error(`refund of ${job.orderId}: ${result.message}`);
        throw new PermanentJobError(`refund of ${job.orderId}: ${result.code}`);
      },
    },
  };
}
