/**
 * The dependencies every service function receives. Injected (never imported globals) so tests can fix
 * the clock and ids and swap the payment provider while running the real SQL.
 */

import type { Database } from '../db/client';
import type { JobQueue } from './job-queue';
import type { Keyring } from './keyring';
import type { PaymentProvider } from './payments';
import type { ScanContextCache } from './scan-context-cache';
import type { SerialAllocator } from './serials';

/**
 * The outcomes services report, one list each: the metrics layer starts every one of them at zero, so the
 * lists and the BusinessEvents signatures below cannot drift apart.
 */
export const BUSINESS_OUTCOMES = {
  hold: ['created', 'sold_out', 'limit_reached', 'released', 'expired'],
  purchase: ['completed', 'replayed', 'declined', 'expired', 'failed'],
  refund: ['completed', 'already_refunded', 'failed'],
  scansIngested: ['stored', 'duplicate', 'quarantined'],
  job: ['completed', 'retrying', 'failed'],
  mint: ['minted', 'rejected', 'failed', 'circuit_open'],
  reconciliation: ['done', 'failed'],
} as const;
type Outcome<K extends keyof typeof BUSINESS_OUTCOMES> = (typeof BUSINESS_OUTCOMES)[K][number];

/** Business outcomes services report, counted by the metrics layer. */
export interface BusinessEvents {
  hold(outcome: Outcome<'hold'>, count?: number): void;
  purchase(outcome: Outcome<'purchase'>): void;
  refund(outcome: Outcome<'refund'>): void;
  /** Scan records received from gates by what became of them. */
  scansIngested(outcome: Outcome<'scansIngested'>, count: number): void;
  /** One job attempt finished: its name, how it ended, how long it ran. */
  job(name: string, outcome: Outcome<'job'>, seconds: number): void;
  /** One call to the minting service (after its retries) and how it ended. */
  mint(outcome: Outcome<'mint'>): void;
  /** A reconciliation report was stored, with the number of findings of each kind. */
  reconciliation(
    outcome: Outcome<'reconciliation'>,
    findings?: { doubleAdmissions: number; revokedAdmissions: number; sequenceGaps: number },
  ): void;
}

export interface ServiceContext {
  db: Database;
  /**
   * The pool of short statements someone waits on (db/client.ts scanDb): online validation, and a holder's
   * read of their tickets, so neither queues behind purchases for a connection; absent (tools, tests that
   * build a context by hand): `db`.
   */
  scanDb?: Database;
  /**
   * Gate scan contexts kept for a moment (./scan-context-cache.ts); absent: read for every scan. Services
   * that change a tenant's events, gates or zones call `forget`.
   */
  scanContexts?: ScanContextCache;
  /** Current time, unix milliseconds. */
  clock: () => number;
  /** New primary keys (UUIDv7 in production: time-ordered, which keeps indexes and cursors cheap). */
  newId: () => string;
  keyring: Keyring;
  /** Ticket serials, from per-process blocks. */
  serials: SerialAllocator;
  payments: PaymentProvider;
  reservationTtlSeconds: number;
  /** The most tickets one customer may have in active holds for one event (HOLD_LIMIT_PER_CUSTOMER). */
  holdLimitPerCustomer: number;
  business: BusinessEvents;
  /** Work for later: hold expiry, refunds, minting, reconciliation (cloud/jobs/ runs it). */
  jobs: JobQueue;
  /** True when MINTING_SERVICE_URL is set: every issued ticket gets a mint-ticket job. */
  mintingEnabled: boolean;
  /**
   * Called after a commit that appended changes gates must hear of at once (admissions: issue 14), so
   * the push stream polls now instead of at its next tick. Unset in tools and scripts.
   */
  changesCommitted?: () => void;
}

/** A BusinessEvents that records nothing (tools and scripts). */
export const NO_BUSINESS_EVENTS: BusinessEvents = {
  hold: () => {},
  purchase: () => {},
  refund: () => {},
  scansIngested: () => {},
  job: () => {},
  mint: () => {},
  reconciliation: () => {},
};
