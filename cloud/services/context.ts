/**
 * The dependencies every service function receives. Injected (never imported globals) so tests can fix
 * the clock and ids and swap the payment provider while running the real SQL.
 */
import type { Database } from '../db/client';
import type { Keyring } from './keyring';
import type { PaymentProvider } from './payments';
import type { SerialAllocator } from './serials';

/** Business outcomes services report, counted by the metrics layer. */
export interface BusinessEvents {
  hold(outcome: 'created' | 'sold_out' | 'released' | 'expired', count?: number): void;
  purchase(outcome: 'completed' | 'replayed' | 'declined' | 'expired' | 'failed'): void;
  refund(outcome: 'completed' | 'already_refunded' | 'failed'): void;
}

/** Runs a refund later (in-process now; BullMQ in the jobs issue). Must tolerate duplicates. */
export interface RefundQueue {
  enqueueRefund(job: { tenantId: string; orderId: string; reason: string }): void;
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
  refunds: RefundQueue;
}

/** A BusinessEvents that records nothing (tools and scripts). */
export const NO_BUSINESS_EVENTS: BusinessEvents = {
  hold: () => {},
  purchase: () => {},
  refund: () => {},
};
