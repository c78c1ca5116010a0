/**
 * Tells connected gates when to pull (SPEC section 6: a sale or revocation reaches an online gate within
 * 2 s; issue 14: an admission at another door within 1 s). One watcher per cloud process polls the
 * change heads of the events its connected gates watch, with ONE query for all of them, and notifies the
 * subscribers whose event moved. A change committed by this process nudges the watcher to poll at once.
 *
 * Each subscription carries its OWN baseline: the heads read when its stream opened, before the gate
 * was told to pull. Any change committed after that reading moves a head away from the baseline and is
 * notified; anything before it is covered by the gate's pull on connect. (A single shared baseline taken
 * at the first poll after a subscription missed changes committed in between: a refund made right after
 * a gate connected reached it only on its 30 s timer.)
 *
 * Polling PostgreSQL (rather than an in-memory event bus) is what makes this correct with several cloud
 * processes behind a load balancer: a change committed by any process is seen by every process, with
 * or without Redis, and a gate reconnecting to another process loses nothing (it pulls on connect).
 */
import { inArray } from 'drizzle-orm';
import type { Database } from '../db/client';
import { events } from '../db/schema';

export type HeadListener = (eventId: string, head: number) => void;

interface Subscription {
  listener: HeadListener;
  /** The last head this subscriber was told of (or read at subscription), per event. */
  heads: Map<string, number>;
}

/** Default poll interval: well inside the 1 s admission-propagation budget, one tiny query per tick. */
export const DEFAULT_WATCH_INTERVAL_MS = 200;

export class ManifestWatcher {
  readonly #db: Database;
  readonly #intervalMs: number;
  readonly #subscriptions = new Set<Subscription>();
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #pollAgain = false;
  #shuttingDown = false;
  readonly #shutdownListeners = new Set<() => void>();

  constructor(db: Database, intervalMs = DEFAULT_WATCH_INTERVAL_MS) {
    this.#db = db;
    this.#intervalMs = intervalMs;
  }

  /** The current change heads of some events (absent: no such event). */
  async heads(eventIds: readonly string[]): Promise<Map<string, number>> {
    if (eventIds.length === 0) return new Map();
    const rows = await this.#db
      .select({ id: events.id, head: events.changeSeq })
      .from(events)
      .where(inArray(events.id, [...eventIds]));
    return new Map(rows.map((r) => [r.id, r.head]));
  }

  /**
   * Subscribes to head changes of some events, relative to `baseline` (the heads the subscriber already
   * acted on; an event missing from it is notified at the first poll). Returns the unsubscribe function.
   */
  watch(
    eventIds: readonly string[],
    listener: HeadListener,
    baseline?: ReadonlyMap<string, number>,
  ): () => void {
    const heads = new Map<string, number>();
    for (const id of eventIds) heads.set(id, baseline?.get(id) ?? -1);
    const subscription: Subscription = { listener, heads };
    this.#subscriptions.add(subscription);
    if (!this.#timer && !this.#shuttingDown) {
      this.#timer = setInterval(() => void this.#poll(), this.#intervalMs);
      this.#timer.unref();
    }
    return () => {
      this.#subscriptions.delete(subscription);
      if (this.#subscriptions.size === 0) this.close();
    };
  }

  /** Polls now (coalesced): this process just committed a change its gates should hear of at once. */
  nudge(): void {
    if (this.#subscriptions.size === 0 || this.#shuttingDown) return;
    void this.#poll();
  }

  #poll(): Promise<void> {
    if (this.#polling) {
      this.#pollAgain = true;
      return this.#polling;
    }
    this.#polling = this.#pollOnce().finally(() => {
      this.#polling = undefined;
      if (this.#pollAgain) {
        this.#pollAgain = false;
        void this.#poll();
      }
    });
    return this.#polling;
  }

  async #pollOnce(): Promise<void> {
    if (this.#subscriptions.size === 0) return;
    const ids = new Set<string>();
    for (const s of this.#subscriptions) for (const id of s.heads.keys()) ids.add(id);
    try {
      const heads = await this.heads([...ids]);
      for (const subscription of [...this.#subscriptions]) {
        for (const [id, known] of subscription.heads) {
          const head = heads.get(id);
          if (head === undefined || head === known) continue;
          subscription.heads.set(id, head);
          subscription.listener(id, head);
        }
      }
    } catch {
      // A failed poll is retried on the next tick; gates also pull on their own timer.
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
