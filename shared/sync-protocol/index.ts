/**
 * shared/sync-protocol — the wire contract between the cloud and its gate agents (SPEC section 6):
 * device enrollment and authentication, manifest pages (pull) and scan batches (push). Both sides
 * validate with these zod schemas, so a change here is a protocol change for both.
 *
 * Device authentication: the device proves possession of its Ed25519 key by signing a one-time
 * challenge from the cloud and receives a short-lived bearer token. Chosen over per-request signatures
 * with timestamps because a gate's clock may be far off and skew must never block sync: the token's
 * expiry is judged by the cloud's clock alone.
 *
 * Manifest pages are JSON; the response body's exact bytes are signed by the cloud (headers below) and
 * sent compressed (Content-Encoding). The gate verifies the signature over the decompressed bytes
 * before applying anything.
 */
import { z } from 'zod';
import { ADMISSION_REASONS } from '../admission/index';
import { AdmissionTotals, ManifestAdmission, ZoneRefSchema } from './admission-row';
import { ManifestTicket } from './manifest-row';

export * from './admission-row';
export * from './manifest-row';

export const SYNC_PROTOCOL_VERSION = 1;

/** Response headers carrying the cloud's signature over a manifest page body. */
export const MANIFEST_SIGNATURE_HEADER = 'x-manifest-signature';
export const MANIFEST_KEY_ID_HEADER = 'x-manifest-key-id';

const base64url = z.string().regex(/^[A-Za-z0-9_-]+$/, 'base64url');
const base64url32 = base64url.length(43); // 32 bytes
/** An event key sealed to one device: "ekw1." and 80 bytes (ephemeral public key, ciphertext, tag). */
const wrappedEventKey = z.string().regex(/^ekw1\.[A-Za-z0-9_-]{107}$/, 'a wrapped event key (ekw1)');
/**
 * The latest instant the protocol carries: 9999-12-31T23:59:59.999Z. Both ends must be able to store a
 * time — JavaScript's Date reaches year 275760, but its ISO form past year 9999 ("+010000-…") and any year
 * PostgreSQL's timestamptz does not take would fail the write (and answer 500) instead of the check.
 */
export const MAX_EPOCH_MS = 253_402_300_799_999;
/** A time on the wire, unix ms, 1970 to the end of year 9999. */
const epochMs = z.number().int().min(0).max(MAX_EPOCH_MS);
/** A clock offset (cloud − device, ms): no larger than the whole range of times. */
const clockOffset = z.number().int().min(-MAX_EPOCH_MS).max(MAX_EPOCH_MS);
/**
 * Text a device sends that the cloud stores: PostgreSQL's text and jsonb cannot hold U+0000, so a NUL is
 * refused by the check, never by the database (which would be a 500).
 */
const storableText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((text) => !text.includes('\u0000'), 'no NUL characters');
/** A name shown to people: one line, no control characters (NUL among them). */
const displayName = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((text) => !hasControlCharacter(text), 'no control characters');

/** Whether text holds a C0 control character or DEL. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x20 || unit === 0x7f) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------
// Enrollment and device authentication
// ---------------------------------------------------------------------------------------------------

export const EnrollRequest = z.strictObject({
  enrollmentToken: z.string().min(16).max(256),
  /** The device's own Ed25519 public key (32 bytes, base64url); the private key never leaves it. */
  publicKey: base64url32,
  name: displayName(100),
});
export type EnrollRequest = z.infer<typeof EnrollRequest>;

export const DeviceCredentials = z.object({
  accessToken: z.string().min(1),
  /** Cloud clock, unix ms. */
  expiresAt: epochMs,
});
export type DeviceCredentials = z.infer<typeof DeviceCredentials>;

export const GateInfo = z.object({
  id: z.uuid(),
  name: z.string(),
  venueId: z.uuid(),
  zone: z.string().nullable(),
});

export const EnrollResponse = z.object({
  deviceId: z.uuid(),
  credentials: DeviceCredentials,
  gate: GateInfo,
  events: z.array(z.object({ id: z.uuid(), name: z.string() })),
  /**
   * The cloud's public signing keys, pinned by the device at enrollment: the first manifest page is then
   * already checked against keys that came over the authenticated enrollment, not against its own.
   */
  signingKeys: z.array(z.object({ keyId: z.number().int().min(0).max(255), publicKey: base64url32 })),
  /** The cloud's clock at the answer, unix ms: the first clock-offset measurement. */
  cloudTime: epochMs,
});
export type EnrollResponse = z.infer<typeof EnrollResponse>;

export const ChallengeRequest = z.strictObject({ deviceId: z.uuid() });
export const ChallengeResponse = z.object({ challenge: base64url32, expiresAt: epochMs });

export const DeviceTokenRequest = z.strictObject({
  deviceId: z.uuid(),
  challenge: base64url32,
  /** Ed25519 ('device-request' context) over deviceTokenMessage(deviceId, challenge). */
  signature: base64url.length(86), // 64 bytes
});
export type DeviceTokenRequest = z.infer<typeof DeviceTokenRequest>;
export const DeviceTokenResponse = DeviceCredentials;

/** The bytes a device signs to exchange a challenge for an access token. */
export function deviceTokenMessage(deviceId: string, challenge: string): Uint8Array {
  return new TextEncoder().encode(`device-token\n${deviceId}\n${challenge}`);
}

// ---------------------------------------------------------------------------------------------------
// Manifest pull: GET /api/v1/sync/manifest?eventId=&epoch=&after=&limit=
// ---------------------------------------------------------------------------------------------------

export const MAX_MANIFEST_PAGE = 10_000;

export const ManifestQuery = z.strictObject({
  eventId: z.uuid(),
  /** The epoch the gate's copy belongs to; absent for a snapshot. A different epoch → 409. */
  epoch: z.string().min(1).max(64).optional(),
  /** The last change sequence the gate has applied; 0 for a snapshot. Beyond the head → 409. */
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_MANIFEST_PAGE).default(5000),
});
export type ManifestQuery = z.infer<typeof ManifestQuery>;

export const ManifestTicketType = z.object({
  typeNo: z.number().int().min(0).max(0xffff),
  id: z.uuid(),
  name: z.string(),
  /** Gates this type may enter through; null = every gate. */
  gateIds: z.array(z.uuid()).nullable(),
  /** Zones this type may enter (issue 18); null = every zone not restricted. Absent from older clouds. */
  zoneIds: z.array(z.uuid()).nullable().default(null),
  /**
   * `required`: only the wallet's rotating code admits; a static code is HOLDER_CODE_REQUIRED (issue 20).
   * Absent from older clouds: `allowed`.
   */
  holderCode: z.enum(['allowed', 'required']).default('allowed'),
});

/** A zone of the event's venue (issue 18), in the organiser's order: the first is where default gates lead. */
export const ManifestZone = z.object({
  id: z.uuid(),
  name: z.string(),
  /** Most holders inside at once; null = no limit. */
  capacity: z.number().int().min(0).nullable(),
  /** Entered only by ticket types that name it. */
  restricted: z.boolean(),
  /** False: a holder who was in the zone once may not enter it again. */
  reentry: z.boolean(),
});
export type ManifestZone = z.infer<typeof ManifestZone>;

/** A gate of the event's venue: its name and, at a venue with zones, its passage (issue 18). */
export const ManifestGate = z.object({
  id: z.uuid(),
  name: z.string(),
  /** Where the passage starts; null = outside. */
  fromZoneId: z.uuid().nullable().default(null),
  /** Where the passage leads; null = the venue's first zone. */
  toZoneId: z.uuid().nullable().default(null),
});
export type ManifestGate = z.infer<typeof ManifestGate>;

export const ManifestEvent = z.object({
  id: z.uuid(),
  name: z.string(),
  status: z.enum(['draft', 'published', 'cancelled']),
  startsAt: epochMs,
  endsAt: epochMs,
  doorsOpenAt: epochMs.nullable(),
  timezone: z.string(),
  ticketTypes: z.array(ManifestTicketType),
  /** The event venue's gates (names for ALREADY_USED at another door, passages); absent from older clouds. */
  gates: z.array(ManifestGate).default([]),
  /** The venue's zones in order (issue 18); empty = one implicit zone (VENUE_ZONE). */
  zones: z.array(ManifestZone).default([]),
  /**
   * When everyone still inside is checked out (pretix's exit_all_at), unix ms; null = never. The cloud
   * records the exits (origin `cloud`); gates learn them like any admission.
   */
  exitAllAt: epochMs.nullable().default(null),
});
export type ManifestEvent = z.infer<typeof ManifestEvent>;

export const ManifestKeys = z.object({
  /** Public keys that sign tickets and manifest pages. */
  signingKeys: z.array(z.object({ keyId: z.number().int().min(0).max(255), publicKey: base64url32 })),
  /**
   * The event's symmetric keys (decrypt tokens only; cannot sign), each sealed to the requesting device
   * (shared/crypto/event-key-wrap.ts, "ekw1": X25519 to the device's key, HKDF-SHA256 bound to event,
   * version and device, XChaCha20-Poly1305). Strict: the plain `key` form of older clouds is refused,
   * so a page never carries an event key readable without the device's private key.
   */
  eventKeys: z.array(
    z.strictObject({ keyVersion: z.number().int().min(0).max(255), wrapped: wrappedEventKey }),
  ),
});
export type ManifestKeys = z.infer<typeof ManifestKeys>;

/** A gate device a gate may exchange admissions with (issue 14). */
export const ManifestPeer = z.object({
  deviceId: z.uuid(),
  /** The device's Ed25519 public key (32 bytes, base64url): peer messages and records are checked with it. */
  publicKey: base64url32,
  gateId: z.uuid(),
  gateName: z.string(),
  /** host:port the device last reported it listens on for peers; null when it does not. */
  address: z.string().max(300).nullable(),
});
export type ManifestPeer = z.infer<typeof ManifestPeer>;

export const ManifestPage = z.object({
  protocol: z.literal(SYNC_PROTOCOL_VERSION),
  eventId: z.uuid(),
  epoch: z.string(),
  /** The cursor this page starts after. */
  after: z.number().int().min(0),
  /** The cursor after applying this page (the last op's seq, or `after` when there are none). */
  nextAfter: z.number().int().min(0),
  /** The event's change sequence when the page was built. */
  head: z.number().int().min(0),
  hasMore: z.boolean(),
  /** The cloud's clock when the page was built, unix ms (clock-offset measurement). */
  cloudTime: epochMs,
  event: ManifestEvent,
  keys: ManifestKeys,
  tickets: z.array(ManifestTicket),
  /**
   * Admission records (issue 14) numbered in the same change sequence as the tickets: entries and exits
   * made by any gate of the event, by online validation or manual check-in.
   */
  admissions: z.array(ManifestAdmission).default([]),
  /**
   * The other gate devices of the event's venue a gate may exchange admissions with on the LAN: the
   * cloud's word on who they are (signed with the page), with the address each last reported.
   */
  peers: z.array(ManifestPeer).default([]),
  /** On the last page (hasMore = false): what the gate's whole copy must equal at `nextAfter`. */
  summary: z
    .object({
      rowCount: z.number().int().min(0),
      checksum: z.string().regex(/^[0-9a-f]{16}$/),
      /** The admission records of the event as of `nextAfter`. */
      admissions: AdmissionTotals.optional(),
    })
    .nullable(),
});
export type ManifestPage = z.infer<typeof ManifestPage>;

/** Error code of the 409 that tells a gate to drop its copy and install a fresh snapshot. */
export const MANIFEST_RESET_CODE = 'MANIFEST_RESET';

// ---------------------------------------------------------------------------------------------------
// Scan upload: POST /api/v1/sync/scans
// ---------------------------------------------------------------------------------------------------

export const MAX_SCAN_BATCH = 1000;

/** One scan as the gate recorded it, accepted or rejected: its fields (see ScanRecord). */
const ScanRecordFields = z.strictObject({
  /** Client-made UUIDv7: the scan's identity everywhere. */
  id: z.uuid(),
  /** Per-device sequence number, gap-free from 1. */
  seq: z.number().int().min(1),
  gateId: z.uuid(),
  /** The event the token named, when it could be read. */
  eventId: z.uuid().nullable(),
  ticketSerial: z.number().int().min(1).max(0xffff_ffff).nullable(),
  generation: z.number().int().min(0).max(0xffff).nullable(),
  /**
   * `undo` marks a row that records the undoing of one of this device's own earlier accepted entries or
   * exits (a steward's Undo at the station): decision `accept`, reason `OK`, detail `undo`,
   * `admissionSeq` the undo record's own number and `undoesSeq` the number of the record it takes back.
   */
  direction: z.enum(['in', 'out', 'undo']),
  decision: z.enum(['accept', 'reject']),
  reason: z.enum(ADMISSION_REASONS),
  detail: storableText(64).nullable(),
  /** base64url of the first 16 bytes of SHA-256 of the raw scanned text (the code itself never leaves the gate). */
  codeHash: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  /** The device's wall clock at the scan, unix ms. Never used as a cursor. */
  scannedAt: epochMs,
  /**
   * cloud clock − device clock, measured at the last sync (ms); the cloud's estimate is scannedAt + offset,
   * which must itself be a time (1970 to the end of year 9999).
   */
  clockOffsetMs: clockOffset,
  /** The manifest change sequence of this event the gate had applied when it decided. */
  manifestSeq: z.number().int().min(0),
  /**
   * An accepted scan's admission record number (dense per event and device, from 1): the cloud stores
   * the admission under (event, this device, admissionSeq), the same name the gate's peers know it by.
   */
  admissionSeq: z.number().int().min(1).optional(),
  /** The gate decided this admission while it reached neither the cloud nor all its peers. */
  unconfirmed: z.boolean().optional(),
  /** Only on an `undo` row: the admissionSeq (this device's) of the entry or exit it takes back. */
  undoesSeq: z.number().int().min(1).optional(),
  /**
   * An accepted entry or exit at a venue with zones (issue 18): the move it made, as the admission record
   * carries it (both or neither).
   */
  fromZone: ZoneRefSchema.optional(),
  toZone: ZoneRefSchema.optional(),
});
/** One scan as the gate recorded it, accepted or rejected; its estimated time must be a time too. */
export const ScanRecord = ScanRecordFields.refine(
  (scan) => epochMs.safeParse(scan.scannedAt + scan.clockOffsetMs).success,
  {
    path: ['clockOffsetMs'],
    message: 'scannedAt + clockOffsetMs (the estimated time) must lie between 1970 and the end of year 9999',
  },
);
export type ScanRecord = z.infer<typeof ScanRecord>;

/**
 * A batch is accepted as long as every row carries a usable `seq`; rows that fail ScanRecord are
 * quarantined by the cloud and still acknowledged, so one bad row never blocks a gate's queue.
 */
export const ScanBatch = z.strictObject({
  scans: z
    .array(z.looseObject({ seq: z.number().int().min(1) }))
    .min(1)
    .max(MAX_SCAN_BATCH),
});
export type ScanBatch = z.infer<typeof ScanBatch>;

export const ScanAck = z.object({
  /** The longest gap-free prefix of this device's sequence the cloud holds: the gate marks up to here as sent. */
  ackedSeq: z.number().int().min(0),
  stored: z.number().int().min(0),
  duplicates: z.number().int().min(0),
  quarantined: z.number().int().min(0),
  cloudTime: epochMs,
});
export type ScanAck = z.infer<typeof ScanAck>;

// ---------------------------------------------------------------------------------------------------
// Push channel: GET /api/v1/sync/stream (Server-Sent Events)
// ---------------------------------------------------------------------------------------------------

/** `event: manifest` — data: {eventId, head}; the gate pulls that event now. `event: revoked` — wipe. */
export const StreamManifestMessage = z.object({ eventId: z.uuid(), head: z.number().int().min(0) });

// ---------------------------------------------------------------------------------------------------
// Gate health report: POST /api/v1/sync/report
// ---------------------------------------------------------------------------------------------------

/** A report names at most this many events (a gate serves a handful; the bound keeps bodies small). */
export const MAX_REPORT_EVENTS = 64;
/** The largest report body the cloud reads (a full report is a few KiB). */
export const MAX_REPORT_BYTES = 64 * 1024;

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Ten years in seconds: any longer "age" is a broken clock, not a figure. */
const seconds = z.number().min(0).max(315_576_000);

/**
 * The key figures a gate sends after its sync cycles, so the cloud can show every gate of a venue
 * (operations page, Prometheus). Times are the DEVICE's clock (unix ms); the cloud compares `deviceTime`
 * with its own clock at receipt to see the skew. Counts are since the agent process started
 * (`startedAt`), like Prometheus counters: a restart starts them again from zero. Strict: an unknown
 * field is a 400, so a malformed report is refused whole and nothing of it is stored.
 */
export const GateReport = z.strictObject({
  protocol: z.literal(SYNC_PROTOCOL_VERSION),
  /** The gate agent's version. */
  agentVersion: z.string().regex(/^[A-Za-z0-9._+-]{1,64}$/, 'letters, digits and . _ + - only'),
  /** The device's wall clock when it built the report. */
  deviceTime: epochMs,
  /** When the agent process started (device clock). */
  startedAt: epochMs,
  /** cloud − device clock (ms) as the gate last measured it. */
  clockOffsetMs: clockOffset,
  /** Whether the gate could reach the cloud at its last attempt. */
  online: z.boolean(),
  /** Seconds since the last successful contact with the cloud; 0 when online. */
  offlineSeconds: seconds,
  /** Scans recorded but not yet acknowledged by the cloud. */
  pendingUploads: count,
  /** The last scan sequence number recorded on the gate. */
  lastScanSeq: count,
  /** When the cloud last acknowledged an upload (device clock); null before the first. */
  lastUploadAt: epochMs.nullable(),
  /** When the last scan was decided (device clock); null when none since start. */
  lastScanAt: epochMs.nullable(),
  /** Decisions since start. */
  decisions: z.strictObject({ accepted: count, rejected: count }),
  /** Rejections since start by reason (reasons with no rejection may be left out). */
  rejectsByReason: z.partialRecord(z.enum(ADMISSION_REASONS), count),
  /** host:port this gate listens on for its peers (issue 14); absent or null when it does not. */
  peerAddress: z
    .string()
    .regex(/^[A-Za-z0-9.:[\]-]{1,250}:\d{1,5}$/, 'host:port')
    .nullable()
    .optional(),
  /** Failed sync attempts since start, by direction. */
  syncFailures: z.strictObject({ pull: count, upload: count }),
  /** Each event the gate holds a manifest of. */
  events: z
    .array(
      z.strictObject({
        eventId: z.uuid(),
        /** The change sequence the gate's live copy has applied. */
        manifestSeq: count,
        /** Rows in the live copy. */
        tickets: count,
        /** Seconds since the last successful pull of this event; null before the first. */
        manifestAgeSeconds: seconds.nullable(),
      }),
    )
    .max(MAX_REPORT_EVENTS),
});
export type GateReport = z.infer<typeof GateReport>;

export const GateReportAck = z.object({
  /** The cloud's clock when it stored the report, unix ms. */
  cloudTime: epochMs,
});
export type GateReportAck = z.infer<typeof GateReportAck>;
