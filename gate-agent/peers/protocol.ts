/**
 * The gate ⇄ gate protocol on the venue LAN (issue 14): how admissions reach the other doors of an event
 * when the cloud is unreachable. Wire contract only — schemas, canonical bytes and signatures; the
 * replicator (replicator.ts) decides when to send what.
 *
 * Two messages, both JSON over HTTP, both signed by the sending device's Ed25519 key (context
 * `peer-message`) and checked against the cloud-signed peer list of the event (manifest `peers`):
 *  - push: the admission records a gate just made, sent to every peer at once after the scan committed;
 *  - exchange: every second, each gate sends each peer its vector (per origin, the highest sequence it
 *    holds with none missing below); the answer carries the records the asker lacks and the answerer's
 *    own vector, so the asker can push back what the answerer lacks (anti-entropy).
 *
 * Each admission record is also signed on its own by the gate that DECIDED it (context
 * `admission-record`), so a record relayed by a third gate is still the deciding gate's word: a gate
 * cannot invent admissions in another gate's name. Peer traffic carries ticket serials — what the
 * manifest already identifies tickets by — never ticket codes. Replays change nothing: records are
 * idempotent facts keyed by (event, origin, originSeq), and an exchange only reads.
 */
import { z } from 'zod';
import { fromBase64Url, toBase64Url } from '../../shared/crypto/index';

export const PEER_PROTOCOL_VERSION = 1;
/** Header naming the sending device; the signature header carries its signature over the body bytes. */
export const PEER_DEVICE_HEADER = 'x-peer-device';
export const PEER_SIGNATURE_HEADER = 'x-peer-signature';
export const PEER_PUSH_PATH = '/peer/v1/admissions';
export const PEER_EXCHANGE_PATH = '/peer/v1/exchange';
/** Records per message: an exchange that has more to give says so and the asker asks again. */
export const MAX_PEER_RECORDS = 500;
/** The largest body a peer endpoint reads (500 records ≈ 150 KiB). */
export const MAX_PEER_BODY_BYTES = 512 * 1024;
/**
 * How far a message's `sentAt` (the sender's cloud-corrected clock) may be from the receiver's: beyond
 * it the message is refused, so a captured exchange cannot be replayed for long. Generous, because two
 * gates' corrected clocks are only as good as their last sync.
 */
export const MAX_PEER_CLOCK_SKEW_MS = 10 * 60_000;

const uuid = z.uuid();
const epochMs = z.number().int().min(0).max(8.64e15);
const base64url = z.string().regex(/^[A-Za-z0-9_-]+$/, 'base64url');

const originSeq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
/** A zone a move starts or ends in: a venue zone's id, or `outside`. */
const zoneRef = z.union([uuid, z.literal('outside')]);

/**
 * One admission record as it travels between gates: an entry, an exit, or (issue 17) an undo record,
 * which alone carries `undoes` — the record it takes back. An entry or exit at a venue with zones
 * (issue 18) carries the move it made (`fromZone`, `toZone`, both or neither).
 */
export const PeerAdmission = z
  .strictObject({
    eventId: uuid,
    serial: z.number().int().min(1).max(0xffff_ffff),
    /** The device that decided it. */
    origin: uuid,
    /** Dense per (event, origin), from 1. */
    originSeq,
    direction: z.enum(['in', 'out', 'undo']),
    /** Only on an undo record: the entry or exit it takes back. */
    undoes: z.strictObject({ origin: z.union([uuid, z.literal('cloud')]), originSeq }).optional(),
    /** Corrected time of the decision, unix ms. */
    at: epochMs,
    gateId: uuid,
    unconfirmed: z.boolean(),
    /** Only on an entry or exit at a venue with zones: where the move started and ended. */
    fromZone: zoneRef.optional(),
    toZone: zoneRef.optional(),
    /** The origin's Ed25519 signature over admissionRecordBytes (context admission-record). */
    signature: base64url.length(86),
  })
  .refine((record) => (record.direction === 'undo') === (record.undoes !== undefined), {
    path: ['undoes'],
    message: 'an undo record names the record it undoes, and only an undo record does',
  })
  .refine(
    (record) =>
      (record.fromZone === undefined) === (record.toZone === undefined) &&
      (record.direction !== 'undo' || record.fromZone === undefined),
    { path: ['fromZone'], message: 'an entry or exit carries both zones or neither; an undo record none' },
  );
export type PeerAdmission = z.infer<typeof PeerAdmission>;

/** Per origin: the highest originSeq held with none missing below it. */
export const AdmissionVector = z.record(uuid, z.number().int().min(0).max(Number.MAX_SAFE_INTEGER));
export type AdmissionVector = z.infer<typeof AdmissionVector>;

const envelope = {
  protocol: z.literal(PEER_PROTOCOL_VERSION),
  from: uuid,
  to: uuid.nullable(),
  eventId: uuid,
  sentAt: epochMs,
  /** Random, per message: answers name it, so an old answer cannot pass for a new one. */
  nonce: base64url.min(16).max(32),
};

export const PushMessage = z.strictObject({
  ...envelope,
  kind: z.literal('push'),
  records: z.array(PeerAdmission).min(1).max(MAX_PEER_RECORDS),
});
export type PushMessage = z.infer<typeof PushMessage>;

export const PushAck = z.strictObject({
  ...envelope,
  kind: z.literal('push-ack'),
  inReplyTo: base64url.min(16).max(32),
  stored: z.number().int().min(0),
});
export type PushAck = z.infer<typeof PushAck>;

export const ExchangeRequest = z.strictObject({
  ...envelope,
  kind: z.literal('exchange'),
  vector: AdmissionVector,
});
export type ExchangeRequest = z.infer<typeof ExchangeRequest>;

export const ExchangeReply = z.strictObject({
  ...envelope,
  kind: z.literal('exchange-reply'),
  inReplyTo: base64url.min(16).max(32),
  vector: AdmissionVector,
  records: z.array(PeerAdmission).max(MAX_PEER_RECORDS),
  /** More records are missing than fit: ask again. */
  more: z.boolean(),
});
export type ExchangeReply = z.infer<typeof ExchangeReply>;

export type PeerMessage = PushMessage | PushAck | ExchangeRequest | ExchangeReply;

/** The fields of a record that its origin signs (everything but the signature). */
export type UnsignedAdmission = Omit<PeerAdmission, 'signature'>;

/**
 * The bytes an origin signs for one admission record: every field, one per line, in a fixed order.
 * Text rather than JSON, so no serializer's key order or number format can change what was signed.
 * An undo record appends the record it undoes (origin, originSeq); an entry or exit with zones appends
 * its move (fromZone, toZone). Records without either sign exactly as before undo records and zones.
 */
export function admissionRecordBytes(record: UnsignedAdmission): Uint8Array {
  const lines: (string | number)[] = [
    'admission/v1',
    record.eventId.toLowerCase(),
    record.serial,
    record.origin.toLowerCase(),
    record.originSeq,
    record.direction,
    record.at,
    record.gateId.toLowerCase(),
    record.unconfirmed ? 1 : 0,
  ];
  if (record.direction === 'undo')
    lines.push(record.undoes?.origin.toLowerCase() ?? '', record.undoes?.originSeq ?? '');
  else if (record.fromZone !== undefined && record.toZone !== undefined)
    lines.push(record.fromZone.toLowerCase(), record.toZone.toLowerCase());
  return new TextEncoder().encode(lines.join('\n'));
}

/** Signs a record with its origin's signer (shared/crypto createDetachedSigner, `admission-record`). */
export function signAdmission(
  record: UnsignedAdmission,
  sign: (message: Uint8Array) => Uint8Array,
): PeerAdmission {
  return { ...record, signature: toBase64Url(sign(admissionRecordBytes(record))) };
}

/** True when the record carries its origin's valid signature. Never throws. */
export function admissionSignatureValid(
  record: PeerAdmission,
  verify: (message: Uint8Array, signature: Uint8Array) => boolean,
): boolean {
  const signature = fromBase64Url(record.signature);
  return signature !== undefined && verify(admissionRecordBytes(record), signature);
}
