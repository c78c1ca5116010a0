/**
 * The periodic hold-expiry sweep (in-process until the jobs issue adds BullMQ's delayed jobs; it stays as
 * their safety net). Expired holds are also released lazily on reads and purchases, so a late sweep
 * never makes seats unavailable for long.
 */
import type { Logger } from 'pino';
import type { ServiceContext } from '../services/context';
import { releaseExpiredHolds } from '../services/reservations';

/** Starts sweeping every `intervalMs`; returns a function that stops it and waits for a running sweep. */
export function startHoldSweeper(
  ctx: Pick<ServiceContext, 'db' | 'business' | 'clock'>,
  logger: Logger,
  intervalMs = 5_000,
): () => Promise<void> {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = releaseExpiredHolds(ctx, { now: ctx.clock() })
      .then((count) => {
        if (count > 0) logger.info({ count }, 'expired holds released');
      })
      .catch((error: unknown) => logger.error({ err: error }, 'hold sweep failed'))
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
