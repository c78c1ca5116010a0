/**
 * The cloud's admission history (issue 14): one row per admission record — an accepted entry or exit —
 * from any origin: a gate device (from its scan upload), online `/validate` and manual check-in (origin
 * `cloud`). Each row is a change of its event, numbered by `events.change_seq` like the ticket changes,
 * so manifest pages carry admissions to every gate in the same sequence, snapshots and deltas.
 *
 * (event, origin, origin_seq) names a record everywhere (gates, peers, the cloud): a record uploaded
 * twice, or heard from a peer and then from the cloud, is one record. `/validate` folds a ticket's rows
 * with shared/admission/history, the same function the gates use.
 */
import {
  bigint,
  boolean,
  index,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { events } from './schema';

/** Where the cloud learnt of a record. */
export type AdmissionSource = 'gate' | 'validate' | 'adopted';

export const admissions = pgTable(
  'admissions',
  {
    eventId: uuid('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    /** The event change sequence number this record was published under. */
    seq: bigint('seq', { mode: 'number' }).notNull(),
    tenantId: text('tenant_id').notNull(),
    serial: bigint('serial', { mode: 'number' }).notNull(),
    /** The deciding device's id, or `cloud`. */
    origin: text('origin').notNull(),
    originSeq: bigint('origin_seq', { mode: 'number' }).notNull(),
    direction: text('direction').$type<'in' | 'out'>().notNull(),
    /** Corrected time of the decision, unix ms (bigint: the exact value every gate hashes). */
    atMs: bigint('at_ms', { mode: 'number' }).notNull(),
    gateId: uuid('gate_id').notNull(),
    gateName: text('gate_name'),
    /** Decided by a gate that reached neither the cloud nor all its peers. */
    unconfirmed: boolean('unconfirmed').notNull().default(false),
    /**
     * `gate`: a gate's own record from its upload; `validate`: online validation; `adopted`: an accepted
     * scan uploaded without a record number (an agent older than the admission log), taken on by the cloud.
     */
    source: text('source').$type<AdmissionSource>().notNull(),
    /** The uploaded scan it came from (gate and adopted records). */
    deviceId: uuid('device_id'),
    deviceSeq: bigint('device_seq', { mode: 'number' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.eventId, t.seq] }),
    uniqueIndex('admissions_origin_idx').on(t.eventId, t.origin, t.originSeq),
    index('admissions_ticket_idx').on(t.eventId, t.serial),
  ],
);
