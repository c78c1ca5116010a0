/**
 * A `Scheduler` a test moves by hand: `now()` stands still until `advanceTo`/`advanceBy`, which run the
 * tasks that have come due, in time order. Lets the station's timed parts (wedge flush, verdict clear,
 * status polling) be tested without a wall clock, so a busy machine cannot change their outcome.
 */
import type { CancelTask, Scheduler } from '../src/scheduler';

interface Pending {
  at: number;
  order: number;
  task: () => void;
}

export class ManualScheduler implements Scheduler {
  private time: number;
  private order = 0;
  private pending: Pending[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  runAt(at: number, task: () => void): CancelTask {
    const entry: Pending = { at, order: this.order++, task };
    this.pending.push(entry);
    return () => {
      this.pending = this.pending.filter((other) => other !== entry);
    };
  }

  /** Times of the tasks still waiting, earliest first. */
  get waiting(): number[] {
    return this.pending.map((entry) => entry.at).sort((a, b) => a - b);
  }

  /** Moves the clock to `time`, running every task due by then (tasks they schedule included). */
  advanceTo(time: number): void {
    // Bounded: a task that keeps re-arming itself at the same moment would otherwise never let go.
    for (let ran = 0; ran < 10_000; ran++) {
      const next = this.pending
        .filter((entry) => entry.at <= time)
        .sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (!next) {
        this.time = Math.max(this.time, time);
        return;
      }
      this.pending = this.pending.filter((entry) => entry !== next);
      this.time = Math.max(this.time, next.at);
      next.task();
    }
    throw new Error('ManualScheduler: more than 10,000 tasks came due at once');
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.time + ms);
  }
}
