/**
 * The dependencies every service function receives. Injected (never imported globals) so tests can fix
 * the clock and ids and swap the payment provider while running the real SQL.
 */
import type { Database } from '../db/client';
import type { JobQueue } from './job-queue';
import type { Keyring } from './keyring';
import type { PaymentProvider } from './payments';
import type { SerialAllocator } from './serials';

/** Business outcomes services report, counted by the metrics layer. */
export interface BusinessEvents {
  hold(outcome: 'created' | 'sold_out' | 'released' | 'expired', count?: number): void;
  purchase(outcome: 'completed' | 'replayed' | 'declined' | 'expired' | 'failed'): void;
  refund(outcome: 'completed' | 'already_refunded' | 'failed'): void;
  /** Scan records received from gates by what became of them. */
  scansIngested(outcome: 'stored' | 'duplicate' | 'quarantined', count: number): void;
  /** One job attempt finished: its name, how it ended, how long it ran. */
  job(name: string, outcome: 'completed' | 'retrying' | 'failed', seconds: number): void;
  /** One call to the minting service (after its retries) and how it ended. */
  mint(outcome: 'minted' | 'rejected' | 'failed' | 'circuit_open'): void;
  /** A reconciliation report was stored, with the number of findings of each kind. */
  reconciliation(
    outcome: 'done' | 'failed',
    findings?: { doubleAdmissions: number; revokedAdmissions: number; sequenceGaps: number },
  ): void;
}

export interface ServiceContext {
  db: Database;
  /** Current time, unix milliseconds. */
  clock: () => number;
  /** New primary keys (UUIDv7 in production: time-ordered, which keeps indexes and cursors cheap). */
  newId: () => string;
  keyring: Keyring;
  /** Ticket serials, from per-process blocks. */
  serials: SerialAllocator;
  payments: PaymentProvider;
  reservationTtlSeconds: number;
  business: BusinessEvents;
  /** Work for later: hold expiry, refunds, minting, reconciliation (cloud/jobs/ runs it). */
  jobs: JobQueue;
  /** True when MINTING_SERVICE_URL is set: every issued ticket gets a mint-ticket job. */
  mintingEnabled: boolean;
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
