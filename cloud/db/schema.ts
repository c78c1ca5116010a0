/**
 * The one PostgreSQL schema of the cloud (drizzle pg-core). Every tenant table carries `tenant_id` and
 * every query filters by it. Invariants that protect money and capacity are also CHECK constraints, so
 * a bug in application code fails a transaction instead of overselling.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { gates, venues } from './venues-schema';

const tenantId = () => text('tenant_id').notNull();
const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull();
const updatedAt = () => timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull();

export { gates, venues, venueZones } from './venues-schema';

export type EventStatus = 'draft' | 'published' | 'cancelled';

export const events = pgTable(
  'events',
  {
    id: uuid('id').primaryKey(),
    tenantId: tenantId(),
    venueId: uuid('venue_id')
      .notNull()
      .references(() => venues.id),
    name: text('name').notNull(),
    startsAt: timestamp('starts_at', { withTimezone: true, mode: 'date' }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true, mode: 'date' }).notNull(),
    doorsOpenAt: timestamp('doors_open_at', { withTimezone: true, mode: 'date' }),
    status: text('status').$type<EventStatus>().notNull(),
    cancelReason: text('cancel_reason'),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true, mode: 'date' }),
    /** When everyone still inside is checked out, recorded as exits (issue 18, pretix's exit_all_at); null = never. */
    exitAllAt: timestamp('exit_all_at', { withTimezone: true, mode: 'date' }),
    /** Identifies this event's change history; changes only if the history is rebuilt (SPEC section 6). */
    epoch: uuid('epoch').notNull(),
    /**
     * Head of the manifest change log. Taken with `UPDATE ... SET change_seq = change_seq + n RETURNING`
     * inside the transaction that makes the change: the row lock orders commits like the numbers.
     */
    changeSeq: bigint('change_seq', { mode: 'number' }).notNull().default(0),
    /** The last origin_seq of the cloud's own admission records (origin `cloud`) of this event. */
    cloudAdmissionSeq: bigint('cloud_admission_seq', { mode: 'number' }).notNull().default(0),
    /** Admission records of the event and the XOR of their hashes, kept by every append (page summaries). */
    admissionCount: bigint('admission_count', { mode: 'number' }).notNull().default(0),
    admissionXor: bigint('admission_xor', { mode: 'bigint' }).notNull().default(sql`0`),
    /** Next ticket type number (u16 inside the token). */
    nextTypeNo: integer('next_type_no').notNull().default(1),
    /** Current event key version (u8 inside the token). */
    keyVersion: smallint('key_version').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('events_tenant_idx').on(t.tenantId, t.id),
    index('events_venue_idx').on(t.venueId),
    check('events_times_check', sql`${t.endsAt} > ${t.startsAt}`),
  ],
);

/**
 * Ticket serial allocation, kept off the `events` row so that minting (which happens before the
 * purchase transaction takes the event's change lock) never waits behind that lock. Gaps are harmless.
 */
export const eventCounters = pgTable('event_counters', {
  eventId: uuid('event_id')
    .primaryKey()
    .references(() => events.id, { onDelete: 'cascade' }),
  tenantId: tenantId(),
  nextSerial: bigint('next_serial', { mode: 'number' }).notNull().default(1),
});

/** Per-event symmetric keys, wrapped with KEY_ENCRYPTION_KEY (context `event-key:<eventId>:<version>`). */
export const eventKeys = pgTable(
  'event_keys',
  {
    eventId: uuid('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    keyVersion: smallint('key_version').notNull(),
    tenantId: tenantId(),
    wrappedKey: text('wrapped_key').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.keyVersion] })],
);

/** The platform's Ed25519 token-signing keys; private halves wrapped (context `signing-key:<keyId>`). */
export const signingKeys = pgTable('signing_keys', {
  keyId: smallint('key_id').primaryKey(),
  publicKey: text('public_key').notNull(),
  wrappedPrivateKey: text('wrapped_private_key').notNull(),
  status: text('status').$type<'active' | 'retired'>().notNull(),
  createdAt: createdAt(),
});

export const ticketTypes = pgTable(
  'ticket_types',
  {
    id: uuid('id').primaryKey(),
    tenantId: tenantId(),
    eventId: uuid('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    typeNo: integer('type_no').notNull(),
    name: text('name').notNull(),
    priceCents: integer('price_cents').notNull(),
    currency: text('currency').notNull(),
    capacity: integer('capacity').notNull(),
    /**
     * Seats taken: in active holds plus valid tickets. The one counter the capacity check reads, so a
     * purchase (hold → tickets) leaves it alone and never locks this hot row (SPEC section 9 throughput).
     */
    taken: integer('taken').notNull().default(0),
    /** Gates this type may enter through; null = any gate of the venue. */
    gateIds: uuid('gate_ids').array(),
    /** Zones this type may enter (issue 18); null = every zone of the venue that is not restricted. */
    zoneIds: uuid('zone_ids').array(),
    /**
     * `required`: only the wallet's holder-bound rotating code admits (issue 20); `allowed`: the static
     * code too (printed tickets keep working).
     */
    holderCode: text('holder_code').$type<'allowed' | 'required'>().notNull().default('allowed'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('ticket_types_event_type_no_idx').on(t.eventId, t.typeNo),
    index('ticket_types_tenant_idx').on(t.tenantId, t.eventId),
    check('ticket_types_capacity_check', sql`${t.taken} >= 0 AND ${t.taken} <= ${t.capacity}`),
    check('ticket_types_type_no_check', sql`${t.typeNo} BETWEEN 1 AND 65535`),
    check('ticket_types_price_check', sql`${t.priceCents} >= 0`),
    check('ticket_types_holder_code_check', sql`${t.holderCode} IN ('allowed', 'required')`),
  ],
);

export type ReservationStatus = 'active' | 'purchased' | 'released' | 'expired' | 'cancelled';

/** One line of a hold: the unit price is fixed when the seats are held. */
export interface ReservationItem {
  ticketTypeId: string;
  /** The type's per-event number, copied at hold time so minting needs no lookup. */
  typeNo: number;
  quantity: number;
  unitPriceCents: number;
}

export const reservations = pgTable(
  'reservations',
  {
    id: uuid('id').primaryKey(),
    tenantId: tenantId(),
    eventId: uuid('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull(),
    status: text('status').$type<ReservationStatus>().notNull(),
    items: jsonb('items').$type<ReservationItem[]>().notNull(),
    totalCents: integer('total_cents').notNull(),
    currency: text('currency').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('reservations_expiry_idx').on(t.status, t.expiresAt),
    index('reservations_event_idx').on(t.eventId, t.status),
    // A customer's active holds for an event: what the per-customer hold cap counts (issue 15).
    index('reservations_customer_active_idx').on(t.eventId, t.userId).where(sql`${t.status} = 'active'`),
  ],
);

export type OrderStatus = 'paid' | 'refunded';

/** Why a refund needed an admin's override: the doors had opened, or a ticket of the order was used. */
export type RefundOverride = 'doors_open' | 'admitted';

export const orders = pgTable(
  'orders',
  {
    id: uuid('id').primaryKey(),
    tenantId: tenantId(),
    eventId: uuid('event_id')
      .notNull()
      .references(() => events.id),
    userId: text('user_id').notNull(),
    reservationId: uuid('reservation_id').notNull(),
    /** Client-chosen key; unique per tenant so a retried purchase finds the first order. */
    idempotencyKey: text('idempotency_key').notNull(),
    status: text('status').$type<OrderStatus>().notNull(),
    totalCents: integer('total_cents').notNull(),
    currency: text('currency').notNull(),
    paymentId: text('payment_id').notNull(),
    refundId: text('refund_id'),
    refundReason: text('refund_reason'),
    /** Who refunded (customer or admin user id); null for the cloud's own refunds (cancellation). */
    refundedBy: text('refunded_by'),
    /** The refund rule an admin's explicit override set aside, or null: an ordinary refund (issue 15). */
    refundOverride: text('refund_override').$type<RefundOverride>(),
    createdAt: createdAt(),
    refundedAt: timestamp('refunded_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('orders_idempotency_idx').on(t.tenantId, t.idempotencyKey),
    uniqueIndex('orders_reservation_idx').on(t.reservationId),
    index('orders_event_idx').on(t.eventId, t.status),
    index('orders_user_idx').on(t.tenantId, t.userId),
    // An event's orders in id order: the organiser's keyset pages and CSV export (issue 16).
    index('orders_event_id_idx').on(t.eventId, t.id),
  ],
);

export type TicketStatus = 'valid' | 'revoked';
export type MintStatus = 'pending' | 'minted' | 'failed';

/** One row per ticket for its whole life: a revocation is a status (tombstone), never a delete. */
export const tickets = pgTable(
  'tickets',
  {
    id: uuid('id').primaryKey(),
    tenantId: tenantId(),
    eventId: uuid('event_id')
      .notNull()
      .references(() => events.id),
    ticketTypeId: uuid('ticket_type_id')
      .notNull()
      .references(() => ticketTypes.id),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id),
    ownerUserId: text('owner_user_id').notNull(),
    serial: bigint('serial', { mode: 'number' }).notNull(),
    typeNo: integer('type_no').notNull(),
    generation: integer('generation').notNull(),
    status: text('status').$type<TicketStatus>().notNull(),
    revokedReason: text('revoked_reason'),
    /** The current token (what the QR holds) and its digest, which gates use to bind scans. */
    qr: text('qr').notNull(),
    digest: text('digest').notNull(),
    /**
     * The holder's name (issue 17): set at purchase, changed by the holder, replaced at transfer; NFC,
     * trimmed, 1–100 characters, no control characters (services/holder-names.ts); NULL: none.
     */
    holderName: text('holder_name'),
    /**
     * The name sealed to the current token ("hn1", shared/crypto/holder-name-box.ts): what gates get.
     * Re-sealed whenever the name or the token changes; NULL exactly when holder_name is.
     */
    nameBox: text('name_box'),
    /**
     * The holder's device binding (issue 20): the public key a wallet claimed the ticket with (raw bytes,
     * base64url), its algorithm, which binding it is (counts every binding of the ticket, never resets)
     * and when; `holder_key` is the same sealed for gates ("hk1", shared/crypto/holder-key-box.ts).
     * All NULL while nobody claimed the current generation (a transfer clears them).
     */
    holderPublicKey: text('holder_public_key'),
    holderKeyAlg: text('holder_key_alg').$type<'Ed25519' | 'ES256'>(),
    holderKeyBindingNo: integer('holder_key_binding_no').notNull().default(0),
    holderKeyBoundAt: timestamp('holder_key_bound_at', { withTimezone: true, mode: 'date' }),
    holderKey: text('holder_key'),
    issuedAt: timestamp('issued_at', { withTimezone: true, mode: 'date' }).notNull(),
    updatedAt: updatedAt(),
    /**
     * Delegated minting (SPEC section 8, MINTING_SERVICE_URL): null when minting is not configured,
     * otherwise pending → minted | failed. The purchase never waits for it.
     */
    mintStatus: text('mint_status').$type<MintStatus>(),
    /** The minting service's reference for the minted ticket (e.g. a token id). */
    mintRef: text('mint_ref'),
    mintAttempts: integer('mint_attempts').notNull().default(0),
    mintError: text('mint_error'),
    mintedAt: timestamp('minted_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('tickets_event_serial_idx').on(t.eventId, t.serial),
    index('tickets_owner_idx').on(t.tenantId, t.ownerUserId, t.id),
    index('tickets_order_idx').on(t.orderId),
    // An event's tickets in id order: the organiser's keyset pages (issue 16).
    index('tickets_event_id_idx').on(t.eventId, t.id),
    index('tickets_type_status_idx').on(t.ticketTypeId, t.status),
    // The pending-mint sweep looks only at the few tickets waiting for the minting service.
    index('tickets_mint_pending_idx').on(t.updatedAt).where(sql`${t.mintStatus} = 'pending'`),
    check('tickets_serial_check', sql`${t.serial} BETWEEN 1 AND 4294967295`),
    check('tickets_generation_check', sql`${t.generation} BETWEEN 1 AND 65535`),
    check('tickets_holder_name_check', sql`char_length(${t.holderName}) BETWEEN 1 AND 100`),
    check('tickets_name_box_check', sql`(${t.holderName} IS NULL) = (${t.nameBox} IS NULL)`),
    check(
      'tickets_holder_key_check',
      sql`(${t.holderPublicKey} IS NULL) = (${t.holderKey} IS NULL) AND (${t.holderKeyAlg} IS NULL) = (${t.holderKey} IS NULL) AND (${t.holderKeyBoundAt} IS NULL) = (${t.holderKey} IS NULL) AND ${t.holderKeyAlg} IN ('Ed25519', 'ES256') AND ${t.holderKeyBindingNo} BETWEEN 0 AND 65535`,
    ),
  ],
);

/**
 * `rename`: the holder's name changed (a new name box, nothing else); `bind`: a holder's device was bound
 * to the ticket (a new holder-key box, nothing else; issue 20).
 */
export type TicketChangeOp = 'issue' | 'transfer' | 'revoke' | 'event_cancel' | 'rename' | 'bind';

/**
 * The manifest change log of an event (SPEC section 6): one row per change to a ticket's admissibility,
 * numbered by `events.change_seq` in the same transaction as the change. Served to gates by the sync
 * issue as the ops after a cursor.
 */
export const ticketChanges = pgTable(
  'ticket_changes',
  {
    eventId: uuid('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    tenantId: tenantId(),
    op: text('op').$type<TicketChangeOp>().notNull(),
    /** Null for event-level ops (event_cancel). */
    ticketId: uuid('ticket_id'),
    serial: bigint('serial', { mode: 'number' }),
    typeNo: integer('type_no'),
    generation: integer('generation'),
    status: text('status').$type<TicketStatus>(),
    digest: text('digest'),
    /** The ticket's holder-name box as of the change (a name change is a change of its own). */
    nameBox: text('name_box'),
    /** The ticket's holder-key box as of the change (issue 20; a binding is a change of its own). */
    holderKey: text('holder_key'),
    reason: text('reason'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.seq] })],
);

export type ScanDirection = 'in' | 'out';

/** Online scans recorded by POST /validate; accepted ones decide whether a ticket is inside. */
export const scans = pgTable(
  'scans',
  {
    id: uuid('id').primaryKey(),
    tenantId: tenantId(),
    eventId: uuid('event_id'),
    ticketId: uuid('ticket_id'),
    gateId: uuid('gate_id').notNull(),
    staffUserId: text('staff_user_id').notNull(),
    direction: text('direction').$type<ScanDirection>().notNull(),
    accepted: integer('accepted').notNull(),
    reason: text('reason').notNull(),
    generation: integer('generation'),
    scannedAt: timestamp('scanned_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    index('scans_ticket_idx').on(t.ticketId, t.scannedAt),
    index('scans_event_idx').on(t.tenantId, t.eventId, t.scannedAt),
  ],
);

// ---------------------------------------------------------------------------------------------------
// Gate devices and sync (SPEC section 6)
// ---------------------------------------------------------------------------------------------------

/** One-time enrollment tokens for a gate; only their SHA-256 is stored (the token is shown once). */
export const enrollmentTokens = pgTable(
  'enrollment_tokens',
  {
    id: uuid('id').primaryKey(),
    tenantId: tenantId(),
    gateId: uuid('gate_id')
      .notNull()
      .references(() => gates.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    /** Events the enrolled device may sync; null = every event at the gate's venue. */
    eventIds: uuid('event_ids').array(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true, mode: 'date' }),
    usedByDeviceId: uuid('used_by_device_id'),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('enrollment_tokens_hash_idx').on(t.tokenHash)],
);

export type DeviceStatus = 'active' | 'revoked';

/** A gate device: its own Ed25519 public key, its gate, and its upload progress. */
export const devices = pgTable(
  'devices',
  {
    id: uuid('id').primaryKey(),
    tenantId: tenantId(),
    gateId: uuid('gate_id')
      .notNull()
      .references(() => gates.id),
    name: text('name').notNull(),
    publicKey: text('public_key').notNull(),
    status: text('status').$type<DeviceStatus>().notNull(),
    eventIds: uuid('event_ids').array(),
    /** The longest gap-free prefix of this device's scan sequence the cloud holds. */
    ackedSeq: bigint('acked_seq', { mode: 'number' }).notNull().default(0),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }),
    lastUploadAt: timestamp('last_upload_at', { withTimezone: true, mode: 'date' }),
    /** cloud − device clock (ms) the device reported with its latest upload. */
    clockOffsetMs: bigint('clock_offset_ms', { mode: 'number' }),
    /** The key figures the gate reported with its latest sync (manifest age, backlog, offline time…). */
    lastReport: jsonb('last_report'),
    lastReportAt: timestamp('last_report_at', { withTimezone: true, mode: 'date' }),
    createdAt: createdAt(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [index('devices_tenant_idx').on(t.tenantId, t.id)],
);

/** Single-use challenges a device signs to get an access token. */
export const deviceChallenges = pgTable('device_challenges', {
  challenge: text('challenge').primaryKey(),
  deviceId: uuid('device_id')
    .notNull()
    .references(() => devices.id, { onDelete: 'cascade' }),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
});

/** Short-lived device access tokens (hash only), valid across every cloud process. */
export const deviceTokens = pgTable(
  'device_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    deviceId: uuid('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('device_tokens_expiry_idx').on(t.expiresAt)],
);

/**
 * Scans uploaded by gate devices, each stored once: the primary key is (device, seq) and the scan's own
 * UUIDv7 is unique too, so a replayed, duplicated or reordered batch inserts nothing new. A row the
 * cloud cannot read is kept with `quarantined = 1` and its raw JSON, and still counts for the
 * acknowledged sequence so it never blocks the device's queue.
 */
export const deviceScans = pgTable(
  'device_scans',
  {
    deviceId: uuid('device_id')
      .notNull()
      .references(() => devices.id),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    id: uuid('id'),
    tenantId: tenantId(),
    gateId: uuid('gate_id'),
    eventId: uuid('event_id'),
    ticketSerial: bigint('ticket_serial', { mode: 'number' }),
    generation: integer('generation'),
    /** `undo`: the gate's Undo of one of its own records (`undoesSeq` names it; issue 17). */
    direction: text('direction').$type<ScanDirection | 'undo'>(),
    accepted: integer('accepted'),
    reason: text('reason'),
    detail: text('detail'),
    codeHash: text('code_hash'),
    /** The device's wall clock at the scan. */
    scannedAt: timestamp('scanned_at', { withTimezone: true, mode: 'date' }),
    clockOffsetMs: bigint('clock_offset_ms', { mode: 'number' }),
    /** scannedAt + clockOffsetMs: the cloud's best estimate of when the scan happened. */
    estimatedAt: timestamp('estimated_at', { withTimezone: true, mode: 'date' }),
    manifestSeq: bigint('manifest_seq', { mode: 'number' }),
    /** The gate's admission record number of an accepted scan, and whether it decided it alone. */
    admissionSeq: bigint('admission_seq', { mode: 'number' }),
    /** On an undo row: this device's admission record number it takes back. */
    undoesSeq: bigint('undoes_seq', { mode: 'number' }),
    unconfirmed: integer('unconfirmed').notNull().default(0),
    quarantined: integer('quarantined').notNull().default(0),
    quarantineReason: text('quarantine_reason'),
    raw: jsonb('raw'),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.deviceId, t.seq] }),
    uniqueIndex('device_scans_id_idx').on(t.id),
    index('device_scans_event_ticket_idx').on(t.eventId, t.ticketSerial, t.estimatedAt),
  ],
);
