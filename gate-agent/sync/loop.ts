/**
 * The repeating tasks of the sync engine (pull, upload, health report): each with its own timer and its
 * own exponential backoff with full jitter, so a failing direction never delays another. `trigger` runs
 * a task now; concurrent triggers share one extra run instead of piling up.
 */
import { DeviceRevokedError } from './cloud-client';

const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 60_000;
/** Exponential backoff with full jitter (AWS architecture blog): spreads the retries of many gates. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 16));
  return Math.floor(random() * ceiling);
}

/** A repeating task with its own timer and backoff; `trigger` runs it now (coalescing concurrent calls). */
export class Loop {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<boolean> | undefined;
  #next: Promise<boolean> | undefined;
  #attempt = 0;
  #stopped = false;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  get failures(): number {
    return this.#attempt;
  }

  start(): void {
    this.#schedule(0);
  }

  /**
   * Runs the task now, or — when a run is under way — once more right after it (callers asking at the
   * same time share that one extra run). Resolves true when the run it waited for succeeded.
   */
  trigger(): Promise<boolean> {
    if (this.#running) {
      this.#next ??= this.#running.then(() => {
        this.#next = undefined;
        return this.#stopped ? false : this.trigger();
      });
      return this.#next;
    }
    clearTimeout(this.#timer);
    this.#running = this.#run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #run(): Promise<boolean> {
    try {
      await this.task();
      this.#attempt = 0;
      this.#schedule(this.intervalMs);
      return true;
    } catch (error) {
      this.onFailure(error);
      if (error instanceof DeviceRevokedError) {
        this.stop();
        return false;
      }
      this.#attempt++;
      this.#schedule(Math.min(this.intervalMs, backoffDelay(this.#attempt)));
      return false;
    }
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.trigger(), delayMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running?.catch(() => undefined);
  }
}
