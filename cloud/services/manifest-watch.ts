/**
 * Tells connected gates when to pull (SPEC section 6: a sale or revocation reaches an online gate within
 * 2 s). One watcher per cloud process polls the change heads of the events its connected gates watch,
 * every 500 ms, with ONE query for all of them, and notifies the subscribers whose event moved.
 *
 * Polling PostgreSQL (rather than an in-memory event bus) is what makes this correct with several cloud
 * processes behind a load balancer: a purchase committed by any process is seen by every process, with
 * or without Redis, and a gate reconnecting to another process loses nothing (it pulls on connect).
 */
import { inArray } from 'drizzle-orm';
import type { Database } from '../db/client';
import { events } from '../db/schema';

export type HeadListener = (eventId: string, head: number) => void;

export class ManifestWatcher {
  readonly #db: Database;
  readonly #intervalMs: number;
  readonly #listeners = new Map<string, Set<HeadListener>>();
  readonly #heads = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #polling = false;
  #shuttingDown = false;
  readonly #shutdownListeners = new Set<() => void>();

  constructor(db: Database, intervalMs = 500) {
    this.#db = db;
    this.#intervalMs = intervalMs;
  }

  /** Subscribes to head changes of some events; returns the unsubscribe function. */
  watch(eventIds: readonly string[], listener: HeadListener): () => void {
    for (const id of eventIds) {
      let set = this.#listeners.get(id);
      if (!set) {
        set = new Set();
        this.#listeners.set(id, set);
      }
      set.add(listener);
    }
    if (!this.#timer) {
      this.#timer = setInterval(() => void this.#poll(), this.#intervalMs);
      this.#timer.unref();
    }
    return () => {
      for (const id of eventIds) {
        const set = this.#listeners.get(id);
        set?.delete(listener);
        if (set && set.size === 0) {
          this.#listeners.delete(id);
          this.#heads.delete(id);
        }
      }
      if (this.#listeners.size === 0) this.close();
    };
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#listeners.size === 0) return;
    this.#polling = true;
    try {
      const rows = await this.#db
        .select({ id: events.id, head: events.changeSeq })
        .from(events)
        .where(inArray(events.id, [...this.#listeners.keys()]));
      for (const { id, head } of rows) {
        const known = this.#heads.get(id);
        this.#heads.set(id, head);
        if (known === undefined || known === head) continue;
        for (const listener of this.#listeners.get(id) ?? []) listener(id, head);
      }
    } catch {
      // A failed poll is retried on the next tick; gates also pull on their own timer.
    } finally {
      this.#polling = false;
    }
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** True once the process is shutting down: open streams end and new ones close at once. */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /**
   * Ends every open push stream (graceful shutdown): the HTTP server waits for open connections, and a
   * gate's stream would otherwise hold every restart or rolling deploy for the whole grace period. The
   * gates reconnect — to another replica, or to this one once it is back — and pull on connect.
   */
  shutdown(): void {
    this.#shuttingDown = true;
    for (const listener of this.#shutdownListeners) listener();
    this.#shutdownListeners.clear();
    this.close();
  }

  /** Calls `listener` when shutdown() is called; returns the unsubscribe function. */
  onShutdown(listener: () => void): () => void {
    this.#shutdownListeners.add(listener);
    return () => this.#shutdownListeners.delete(listener);
  }
}
