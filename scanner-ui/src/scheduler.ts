/**
 * The station's clock and timers on ONE timeline: the one `KeyboardEvent.timeStamp` is on
 * (`performance.now()` in a browser). The wedge judges a burst by its keys' timestamps; the timer that
 * ends a burst gone quiet must read the same clock, or a busy page flushes a burst its own keys say is
 * still running. Parts take a `Scheduler` instead of calling `setTimeout`, so tests drive them by hand
 * (`test-support/manual-scheduler.ts`).
 */

/** Cancels a scheduled task; calling it after the task ran, or twice, does nothing. */
export type CancelTask = () => void;

export interface Scheduler {
  /** Milliseconds on the key events' timeline. */
  now(): number;
  /** Runs `task` once, when `now()` has reached `at` (never earlier; a busy page runs it later). */
  runAt(at: number, task: () => void): CancelTask;
}

/** Runs `task` `delayMs` after now on `scheduler`'s timeline. */
export function runAfter(scheduler: Scheduler, delayMs: number, task: () => void): CancelTask {
  return scheduler.runAt(scheduler.now() + delayMs, task);
}

/**
 * The browser's scheduler: `performance.now()` and `setTimeout`. A timer may fire a fraction of a
 * millisecond before `performance.now()` reaches its time (the clocks are rounded differently), so a
 * task that comes early waits out the rest.
 */
export function browserScheduler(): Scheduler {
  const now = () => performance.now();
  return {
    now,
    runAt(at, task) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const fire = () => {
        const early = at - now();
        if (early > 0) timer = setTimeout(fire, Math.ceil(early));
        else {
          timer = undefined;
          task();
        }
      };
      timer = setTimeout(fire, Math.max(0, Math.ceil(at - now())));
      return () => {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
      };
    },
  };
}

/**
 * One pending task at a time (the verdict's clear, the next status poll, a burst's flush): arming it
 * again replaces the task waiting, so a part never has two timers racing for the same job.
 */
export class TaskSlot {
  private cancel: CancelTask | undefined;

  constructor(private readonly scheduler: Scheduler) {}

  /** True while a task waits. */
  get armed(): boolean {
    return this.cancel !== undefined;
  }

  /** Replaces any waiting task with `task`, to run at `at` on the scheduler's timeline. */
  armAt(at: number, task: () => void): void {
    this.disarm();
    const cancel = this.scheduler.runAt(at, () => {
      if (this.cancel === cancel) this.cancel = undefined;
      task();
    });
    this.cancel = cancel;
  }

  /** Replaces any waiting task with `task`, to run `delayMs` from now. */
  armAfter(delayMs: number, task: () => void): void {
    this.armAt(this.scheduler.now() + delayMs, task);
  }

  disarm(): void {
    this.cancel?.();
    this.cancel = undefined;
  }
}
