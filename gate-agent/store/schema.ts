/**
 * The gate agent's local SQLite schema (drizzle sqlite-core). drizzle-kit generates the SQL into
 * migrations/gate/ from this file; the store applies it on open. Times are unix milliseconds.
 *
 * Tickets carry a `copy` number: the live copy of an event is the one its sync cursor names, and a
 * re-snapshot is written into another copy beside it and swapped in by changing that one number, so
 * scanning keeps answering from the old copy until the new one is complete and verified (SPEC 6).
 */
import { blob, index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { AdmissionReason } from '../../shared/admission/index';

/** One row (id = 1): who this device is and how to reach the cloud. A later start needs only the data dir. */
export const device = sqliteTable('device', {
  id: integer('id').primaryKey(),
  deviceId: text('device_id'),
  /** The device's Ed25519 seed: proves the device to the cloud; cannot sign tickets or pages. */
  privateKey: blob('private_key', { mode: 'buffer' }),
  publicKey: blob('public_key', { mode: 'buffer' }),
  name: text('name'),
  cloudUrl: text('cloud_url'),
  gateId: text('gate_id'),
  gateName: text('gate_name'),
  venueId: text('venue_id'),
  port: integer('port'),
  accessToken: text('access_token'),
  accessTokenExpiresAt: integer('access_token_expires_at'),
  enrolledAt: integer('enrolled_at'),
  /** cloud clock − device clock at the last exchange with the cloud, ms; stamped on every scan. */
  clockOffsetMs: integer('clock_offset_ms').notNull().default(0),
  /**
   * When the clock offset was first measured (device clock, unix ms); NULL: never — the offset above is a
   * guess of 0, and rotating codes are checked in the widened window (issue 20).
   */
  clockMeasuredAt: integer('clock_measured_at'),
  /** `--holder-code-max-skew-seconds`: how far the rotating-code window widens; NULL = the default (120). */
  holderCodeMaxSkewSeconds: integer('holder_code_max_skew_seconds'),
});

/**
 * The events this gate serves, as the cloud named them at enrollment or in its stream; the pull loop
 * keeps one manifest per row. Distinct from `events`, which holds only what an installed copy says.
 */
export const servedEvents = sqliteTable('served_events', {
  eventId: text('event_id').primaryKey(),
  name: text('name').notNull(),
});

/** Public keys that sign tickets and manifest pages (global to the cloud, not per event). */
export const signingKeys = sqliteTable('signing_keys', {
  keyId: integer('key_id').primaryKey(),
  publicKey: blob('public_key', { mode: 'buffer' }).notNull(),
  /** 'enrollment' (pinned from the enrollment answer), 'first-page' (trust on first use) or 'page'. */
  source: text('source').notNull(),
});

/** The events this gate serves, as the live copy of their manifest describes them. */
export const events = sqliteTable('events', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  status: text('status', { enum: ['draft', 'published', 'cancelled'] }).notNull(),
  startsAt: integer('starts_at').notNull(),
  endsAt: integer('ends_at').notNull(),
  doorsOpenAt: integer('doors_open_at'),
  timezone: text('timezone').notNull(),
  /**
   * JSON array of the venue's gates `{id, name, fromZoneId, toZoneId}` (the manifest's event.gates):
   * WRONG_GATE names the right door; each gate's passage (issue 18).
   */
  gates: text('gates'),
  /** JSON array of the venue's zones in order (the manifest's event.zones, issue 18); NULL or [] = none. */
  zones: text('zones'),
  /** When the cloud checks everyone out (unix ms); null = never. The exits arrive as cloud records. */
  exitAllAt: integer('exit_all_at'),
});

export const ticketTypes = sqliteTable(
  'ticket_types',
  {
    eventId: text('event_id').notNull(),
    typeNo: integer('type_no').notNull(),
    id: text('id').notNull(),
    name: text('name').notNull(),
    /** JSON array of gate ids this type may enter through; NULL = every gate. */
    gateIds: text('gate_ids'),
    /** JSON array of zone ids this type may enter (issue 18); NULL = every zone not restricted. */
    zoneIds: text('zone_ids'),
    /** `allowed` or `required` (issue 20): whether a static code still admits this type. */
    holderCode: text('holder_code', { enum: ['allowed', 'required'] })
      .notNull()
      .default('allowed'),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.typeNo] })],
);

/** Symmetric keys that decrypt an event's tokens (they cannot sign). */
export const eventKeys = sqliteTable(
  'event_keys',
  {
    eventId: text('event_id').notNull(),
    keyVersion: integer('key_version').notNull(),
    key: blob('key', { mode: 'buffer' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.keyVersion] })],
);

/** One row per (event, copy, serial): a ticket is one row, a revocation is a tombstone (status). */
export const tickets = sqliteTable(
  'tickets',
  {
    eventId: text('event_id').notNull(),
    copy: integer('copy').notNull(),
    serial: integer('serial').notNull(),
    typeNo: integer('type_no').notNull(),
    generation: integer('generation').notNull(),
    status: text('status', { enum: ['valid', 'revoked'] }).notNull(),
    digest: text('digest').notNull(),
    seq: integer('seq').notNull(),
    /**
     * The holder's name sealed to the ticket's code ("hn1", shared/crypto/holder-name-box.ts), opened
     * only when that code is scanned. The gate never stores a name itself. NULL: no name.
     */
    nameBox: text('name_box'),
    /**
     * The holder's device binding sealed with the event key ("hk1", shared/crypto/holder-key-box.ts,
     * issue 20): opened at a scan of a rotating code to verify it. NULL: not claimed in a wallet.
     */
    holderKey: text('holder_key'),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.copy, t.serial] })],
);

/** Per event: how far the live copy has been synced and what it must add up to. */
export const syncCursors = sqliteTable('sync_cursors', {
  eventId: text('event_id').primaryKey(),
  epoch: text('epoch').notNull(),
  /** The last change sequence applied to the live copy. */
  after: integer('after').notNull(),
  head: integer('head').notNull(),
  rowCount: integer('row_count').notNull(),
  /** Running XOR of manifestRowHash over the live copy, 16 hex digits. */
  checksum: text('checksum').notNull(),
  liveCopy: integer('live_copy').notNull(),
  lastSyncAt: integer('last_sync_at'),
  /** cloud clock − device clock at the last sync, ms. */
  clockOffsetMs: integer('clock_offset_ms').notNull().default(0),
  /** Set when the live copy is known to be wrong or stale (409, checksum mismatch): install a snapshot. */
  needsSnapshot: integer('needs_snapshot', { mode: 'boolean' }).notNull().default(false),
  /** Admission records the live copy received from the cloud, and the XOR of their hashes. */
  admissionCount: integer('admission_count').notNull().default(0),
  admissionChecksum: text('admission_checksum').notNull().default('0000000000000000'),
});

/**
 * A snapshot being installed beside the live copy. Its event data waits here until the swap, so the
 * live copy never mixes old tickets with new event rules.
 */
export const syncStaging = sqliteTable('sync_staging', {
  eventId: text('event_id').primaryKey(),
  copy: integer('copy').notNull(),
  epoch: text('epoch').notNull(),
  after: integer('after').notNull(),
  head: integer('head').notNull(),
  rowCount: integer('row_count').notNull(),
  checksum: text('checksum').notNull(),
  /** The ManifestEvent of the latest page, JSON. */
  eventJson: text('event_json').notNull(),
  startedAt: integer('started_at').notNull(),
  admissionCount: integer('admission_count').notNull().default(0),
  admissionChecksum: text('admission_checksum').notNull().default('0000000000000000'),
});

/**
 * Every admission record this gate knows of an event (issue 14): the ones it decided (`local`), the ones
 * its peers sent (`peer`) and the ones the cloud's manifest carried (`cloud`). Facts, never updated:
 * (event, origin, originSeq) names a record everywhere, so a record heard twice is stored once. A
 * ticket's state is folded from its records (shared/admission/history); the (event, serial) index is
 * the decision's one lookup.
 */
export const admissionLog = sqliteTable(
  'admission_log',
  {
    eventId: text('event_id').notNull(),
    /** The deciding device's id, `cloud`, or `legacy` (admissions recorded before this log existed). */
    origin: text('origin').notNull(),
    originSeq: integer('origin_seq').notNull(),
    serial: integer('serial').notNull(),
    /** An entry, an exit, or the undoing of one (issue 17; `undoes_*` then name the record it takes back). */
    direction: text('direction', { enum: ['in', 'out', 'undo'] }).notNull(),
    /** Corrected time (device clock + offset to the cloud), unix ms. */
    at: integer('at').notNull(),
    gateId: text('gate_id').notNull(),
    gateName: text('gate_name'),
    unconfirmed: integer('unconfirmed', { mode: 'boolean' }).notNull().default(false),
    /** The origin's signature (base64url) when heard from a peer; null for own and cloud-carried records. */
    signature: text('signature'),
    source: text('source', { enum: ['local', 'peer', 'cloud'] }).notNull(),
    /** Device clock when this gate learnt of it. */
    receivedAt: integer('received_at').notNull(),
    /** This gate's scan that made it (own records). */
    scanSeq: integer('scan_seq'),
    /** Only on an undo record: the origin and originSeq of the entry or exit it takes back. */
    undoesOrigin: text('undoes_origin'),
    undoesOriginSeq: integer('undoes_origin_seq'),
    /**
     * Only on entries and exits at a venue with zones (issue 18; both or neither): the move the record
     * made, each a zone id or `outside`. NULL: outside ↔ the venue's default zone.
     */
    fromZone: text('from_zone'),
    toZone: text('to_zone'),
  },
  (t) => [
    primaryKey({ columns: [t.eventId, t.origin, t.originSeq] }),
    index('admission_log_ticket').on(t.eventId, t.serial),
  ],
);

/** The gate devices of an event this gate may exchange admissions with (from the manifest's peer list). */
export const peers = sqliteTable(
  'peers',
  {
    eventId: text('event_id').notNull(),
    deviceId: text('device_id').notNull(),
    publicKey: text('public_key').notNull(),
    gateId: text('gate_id').notNull(),
    gateName: text('gate_name').notNull(),
    address: text('address'),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.deviceId] })],
);

/** The durable scan log, accepted and rejected; `seq` is this device's gap-free sequence from 1. */
export const scans = sqliteTable('scans', {
  seq: integer('seq').primaryKey(),
  /**
   * UUIDv7 made here: the scan's identity in the cloud. Not indexed: nothing here looks a scan up by
   * id, and a unique index adds a page to every scan's FULL-synchronous commit (about 40% of its write
   * cost, measured); the cloud deduplicates on it.
   */
  id: text('id').notNull(),
  gateId: text('gate_id'),
  eventId: text('event_id'),
  serial: integer('serial'),
  generation: integer('generation'),
  /** `undo`: the row records a steward's Undo of one of this gate's accepted scans (issue 17). */
  direction: text('direction', { enum: ['in', 'out', 'undo'] }).notNull(),
  decision: text('decision', { enum: ['accept', 'reject'] }).notNull(),
  /** Typed, not checked: the reasons list may grow, and an old row must still read (the cloud quarantines unknown ones). */
  reason: text('reason').$type<AdmissionReason>().notNull(),
  detail: text('detail'),
  /** base64url of SHA-256(raw scanned text)[0..16]: the code itself is never stored. */
  codeHash: text('code_hash').notNull(),
  /** Device wall clock, unix ms. */
  scannedAt: integer('scanned_at').notNull(),
  clockOffsetMs: integer('clock_offset_ms').notNull(),
  manifestSeq: integer('manifest_seq').notNull(),
  /** An accepted scan's admission record number (admission_log.origin_seq of this device's record). */
  admissionSeq: integer('admission_seq'),
  /** Decided while the gate reached neither the cloud nor all its peers (issue 14). */
  unconfirmed: integer('unconfirmed', { mode: 'boolean' }).notNull().default(false),
  /** Only on an `undo` row: the admission_seq of this gate's record it takes back. */
  undoesSeq: integer('undoes_seq'),
  /** An accepted entry or exit at a venue with zones: the move its admission record made (issue 18). */
  fromZone: text('from_zone'),
  toZone: text('to_zone'),
  uploaded: integer('uploaded', { mode: 'boolean' }).notNull().default(false),
  // No index on `uploaded`: uploads read by seq (the primary key) from the acknowledged cursor, and
  // every extra index is one more page written by each scan's FULL-synchronous commit.
});

/** One row (id = 1): the longest gap-free scan sequence the cloud has acknowledged. */
export const uploadCursor = sqliteTable('upload_cursor', {
  id: integer('id').primaryKey(),
  ackedSeq: integer('acked_seq').notNull().default(0),
  lastUploadAt: integer('last_upload_at'),
});
