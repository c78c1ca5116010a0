/**
 * The gate scan contexts online validation decides with (validation-lookup.ts gateScanContext: the gate,
 * its venue's events with their keys, its zone rules), kept per process for a moment (issue 19).
 *
 * Why: reading them is three of a scan's six queries, and on a busy machine every query's socket write
 * and wake-up costs CPU the door is waiting for (a scan-only profile: 23 % of the cloud's busy time in
 * `writev`). A hundred stewards at one gate need the same context a hundred times a second.
 *
 * What may be stale, and for how long:
 * - Nothing about the ticket: the ticket, its type and its admission history are read fresh by every
 *   scan, and an accept is written only if they are still what the decision read. A cancelled event's
 *   tickets are revoked in the cancelling transaction, so they are refused at once whatever is cached.
 * - An organiser's change to the gate, the venue's events (times, status) or its zones: at once in the
 *   process that made it (the services call `forget`), within CONTEXT_TTL_MS in every other process.
 * - A token this context cannot open, or whose event it does not list (a newly published event, a new
 *   key version), is tried again with a context read fresh before it is refused.
 */
/** How long a context is used: also how late another process's organiser change reaches its scans. */
export const CONTEXT_TTL_MS = 1_000;
/** Contexts kept at most (one per gate in use); the oldest goes first. */
export const MAX_CONTEXTS = 2_000;

interface Entry {
  tenantId: string;
  /**
   * A read in flight (scans arriving together share it) or its result. Typed by the caller's `get`
   * (validation-lookup.ts GateScanContext): naming that type here would make an import cycle through
   * the service context.
   */
  context: Promise<unknown>;
  /** When it was read, by the monotonic clock and by the service clock (tests move the latter). */
  readAt: number;
  clockAt: number;
}

export interface CachedContext<C> {
  context: C | undefined;
  /** True when it was read for an earlier scan (a refusal it leads to is checked against a fresh one). */
  cached: boolean;
}

export class ScanContextCache {
  readonly #entries = new Map<string, Entry>();
  readonly #monotonic: () => number;

  constructor(monotonic: () => number = () => performance.now()) {
    this.#monotonic = monotonic;
  }

  /** The gate's context: a recent one, or `read()` (once for every scan asking meanwhile). */
  async get<C>(
    tenantId: string,
    gateId: string,
    now: number,
    read: () => Promise<C | undefined>,
  ): Promise<CachedContext<C>> {
    const key = `${tenantId}\u0000${gateId}`;
    const entry = this.#entries.get(key);
    if (entry && this.#fresh(entry, now))
      return { context: (await entry.context) as C | undefined, cached: true };
    const fresh: Entry = { tenantId, context: read(), readAt: this.#monotonic(), clockAt: now };
    this.#entries.delete(key);
    this.#entries.set(key, fresh);
    if (this.#entries.size > MAX_CONTEXTS) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    try {
      const context = (await fresh.context) as C | undefined;
      // An unknown gate is not kept: it may be created in a moment.
      if (!context && this.#entries.get(key) === fresh) this.#entries.delete(key);
      return { context, cached: false };
    } catch (error) {
      if (this.#entries.get(key) === fresh) this.#entries.delete(key);
      throw error;
    }
  }

  /** Drops one gate's context (the next scan reads it fresh). */
  forgetGate(tenantId: string, gateId: string): void {
    this.#entries.delete(`${tenantId}\u0000${gateId}`);
  }

  /** Drops every context of a tenant: this process just changed one of its events, gates or zones. */
  forget(tenantId: string): void {
    for (const [key, entry] of this.#entries) if (entry.tenantId === tenantId) this.#entries.delete(key);
  }

  #fresh(entry: Entry, now: number): boolean {
    return (
      this.#monotonic() - entry.readAt < CONTEXT_TTL_MS && Math.abs(now - entry.clockAt) < CONTEXT_TTL_MS
    );
  }
}
