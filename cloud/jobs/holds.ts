/**
 * Hold expiry: the delayed job each hold gets at its expiry time. The periodic sweep (sweeps.ts) is the
 * safety net for holds whose job was never queued or was lost with an in-process runner; both go through
 * conditional updates, so seats return exactly once whichever comes first.
 */
import type { ServiceContext } from '../services/context';
import { expireHold } from '../services/reservations';
import { type JobDefinition, PermanentJobError } from './definition';

/** A job that fired before the hold's expiry (clock differences) retries after this long. */
const EARLY_RETRY_MS = 1_000;

export function createHoldJobs(ctx: Pick<ServiceContext, 'db' | 'business' | 'clock'>): {
  'hold-expiry': JobDefinition<'hold-expiry'>;
} {
  return {
    'hold-expiry': {
      name: 'hold-expiry',
      attempts: 10,
      backoffMs: () => EARLY_RETRY_MS,
      concurrency: 8,
      async run({ reservationId }) {
        if (typeof reservationId !== 'string')
          throw new PermanentJobError('hold-expiry without a reservation id');
        const outcome = await expireHold(ctx, reservationId, ctx.clock());
        if (outcome === 'not-due') throw new Error(`hold ${reservationId} is not due yet`);
      },
    },
  };
}
