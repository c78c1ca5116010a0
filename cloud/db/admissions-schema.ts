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
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
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
export type AdmissionSource = 'gate' | 'validate' | 'adopted' | 'check-in' | 'undo' | 'exit-all';

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
    /** An entry, an exit, or the undoing of an earlier entry or exit (shared/admission/undo.ts). */
    direction: text('direction').$type<'in' | 'out' | 'undo'>().notNull(),
    /** Only on an undo record (both set exactly then): the record it takes back. */
    undoesOrigin: text('undoes_origin'),
    undoesOriginSeq: bigint('undoes_origin_seq', { mode: 'number' }),
    /**
     * Entries and exits at a venue with zones (issue 18; both or neither): the move made, each a zone id
     * or `outside` (text: `outside` is no UUID). Null: OUTSIDE ↔ the venue's first zone by direction.
     */
    fromZone: text('from_zone'),
    toZone: text('to_zone'),
    /** Corrected time of the decision, unix ms (bigint: the exact value every gate hashes). */
    atMs: bigint('at_ms', { mode: 'number' }).notNull(),
    gateId: uuid('gate_id').notNull(),
    gateName: text('gate_name'),
    /** Decided by a gate that reached neither the cloud nor all its peers. */
    unconfirmed: boolean('unconfirmed').notNull().default(false),
    /**
     * `gate`: a gate's own record from its upload; `validate`: online validation; `adopted`: an accepted
     * scan uploaded without a record number (an agent older than the admission log), taken on by the cloud;
     * `check-in`: a manual check-in at the box office; `undo`: an undo made online at the box office
     * (a gate's Undo comes with its upload: `gate`); `exit-all`: the event's automatic check-out of
     * everyone still inside at its `exit_all_at` (issue 18).
     */
    source: text('source').$type<AdmissionSource>().notNull(),
    /** The uploaded scan it came from (gate and adopted records). */
    deviceId: uuid('device_id'),
    deviceSeq: bigint('device_seq', { mode: 'number' }),
    /** The staff user who made a manual check-in or an online undo (box office); null for gate and /validate records. */
    recordedBy: text('recorded_by'),
    /** The staff's note on a manual check-in or an undo (≤ 500 characters). */
    note: text('note'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.eventId, t.seq] }),
    uniqueIndex('admissions_origin_idx').on(t.eventId, t.origin, t.originSeq),
    index('admissions_ticket_idx').on(t.eventId, t.serial),
    // "Is this record undone?" — asked by every figure that counts standing movements.
    index('admissions_undoes_idx')
      .on(t.eventId, t.undoesOrigin, t.undoesOriginSeq)
      .where(sql`${t.direction} = 'undo'`),
    check(
      'admissions_undoes_check',
      sql`(${t.direction} = 'undo' and ${t.undoesOrigin} is not null and ${t.undoesOriginSeq} is not null)
          or (${t.direction} <> 'undo' and ${t.undoesOrigin} is null and ${t.undoesOriginSeq} is null)`,
    ),
    check('admissions_note_check', sql`char_length(${t.note}) <= 500`),
    check(
      'admissions_zones_check',
      sql`(${t.fromZone} is null and ${t.toZone} is null)
          or (${t.direction} <> 'undo' and ${t.fromZone} is not null and ${t.toZone} is not null)`,
    ),
  ],
);
