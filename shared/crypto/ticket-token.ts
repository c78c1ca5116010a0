/**
 * The ticket token: what a QR code holds. Version 1 layout (README.md in this folder is normative):
 *
 *   header   version(1) signingKeyId(1) eventTag(4) eventKeyVersion(1)
 *   nonce    12 random bytes (ChaCha20-Poly1305, RFC 8439)
 *   sealed   ChaCha20-Poly1305(eventKey, nonce, aad = header ‖ eventId(16)) of the claims, + 16-byte tag
 *   sig      Ed25519 over "gate/ticket-token/v1\0" ‖ header ‖ nonce ‖ sealed
 *
 * encoded as base45 (QR alphanumeric mode): 162–174 characters.
 *
 * Two ways to check a token, both here:
 *  - `verify` — the full check: signature, decryption, validity window. Needs only public keys and
 *    the event key, so a gate or the cloud can accept a ticket it has never seen.
 *  - `open` — decryption only, for a gate whose manifest already holds the ticket's digest: the digest
 *    (SHA-256 over every byte, signature included) is the binding, so a stolen manifest and event key
 *    still cannot produce an accepted token, and the ~60–250 µs signature check is skipped on the hot path.
 * Nothing here throws on untrusted input: every failure is a typed rejection.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { decodeBase45, encodeBase45 } from './base45';
import {
  concatBytes,
  isUuid,
  readU16,
  readU32,
  toBase64Url,
  utf8,
  uuidToBytes,
  writeU16,
  writeU32,
} from './bytes';
import { privateKeyObject, publicKeyObject, signWith, verifyWith } from './ed25519';
import type { EventKey, SigningKeyPair, TrustedSigningKey } from './keys';

export const TOKEN_VERSION = 1;

const HEADER_LENGTH = 7;
const NONCE_LENGTH = 12;
const AEAD_TAG_LENGTH = 16;
const SIGNATURE_LENGTH = 64;
const CLAIMS_FIXED_LENGTH = 9;
const FLAG_VALID_FROM = 0b01;
const FLAG_VALID_UNTIL = 0b10;
const OVERHEAD = HEADER_LENGTH + NONCE_LENGTH + AEAD_TAG_LENGTH + SIGNATURE_LENGTH;
export const TOKEN_MIN_BYTES = OVERHEAD + CLAIMS_FIXED_LENGTH;
export const TOKEN_MAX_BYTES = TOKEN_MIN_BYTES + 8;
/** The longest token text: 116 bytes → 58 base45 triples. */
export const TOKEN_MAX_LENGTH = (TOKEN_MAX_BYTES / 2) * 3;

const SIGNATURE_CONTEXT = utf8('gate/ticket-token/v1\0');
const EVENT_TAG_CONTEXT = utf8('gate/event-tag/v1\0');
const DIGEST_LENGTH = 16;
const MAX_U32 = 0xffff_ffff;

/** What a ticket token asserts. Times are unix milliseconds with whole-second precision. */
export interface TicketClaims {
  eventId: string;
  /** Per-event ticket number, 1 … 2³²−1. */
  ticketSerial: number;
  /** Per-event ticket type number, 0 … 65535. */
  ticketTypeNo: number;
  /** Bumped on every transfer so the previous holder's QR stops working; 0 … 65535. */
  generation: number;
  /** Not admissible before this instant (inclusive). */
  validFrom?: number;
  /** Not admissible from this instant on. */
  validUntil?: number;
}

export type TokenRejectionReason = 'INVALID' | 'WRONG_EVENT' | 'UNKNOWN_KEY' | 'EXPIRED' | 'NOT_YET_VALID';

export interface TokenRejection {
  ok: false;
  reason: TokenRejectionReason;
  /** A stable, machine-readable word saying which check failed (for logs and scan records). */
  detail: string;
}

export type TokenVerdict = { ok: true; claims: TicketClaims; keyId: number; digest: string } | TokenRejection;

/** A token split into its fields, not yet authenticated. */
export interface DecodedToken {
  bytes: Uint8Array;
  keyId: number;
  eventTag: number;
  eventKeyVersion: number;
  nonce: Uint8Array;
  sealed: Uint8Array;
  signedPart: Uint8Array;
  signature: Uint8Array;
}

export type OpenedToken = { ok: true; decoded: DecodedToken; claims: TicketClaims; digest: string };

function reject(reason: TokenRejectionReason, detail: string): TokenRejection {
  return { ok: false, reason, detail };
}

/** The 32-bit tag that tells a verifier which event key to use, without naming the event. */
export function eventTagOf(eventId: string): number {
  const hash = createHash('sha256').update(EVENT_TAG_CONTEXT).update(uuidToBytes(eventId)).digest();
  return readU32(hash, 0);
}

function digestOf(bytes: Uint8Array): string {
  return toBase64Url(createHash('sha256').update(bytes).digest().subarray(0, DIGEST_LENGTH));
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}]`);
  }
}

function toSeconds(name: string, ms: number): number {
  if (!Number.isFinite(ms)) throw new RangeError(`${name} must be a finite unix time in milliseconds`);
  const seconds = Math.floor(ms / 1000);
  checkInteger(name, seconds, 0, MAX_U32);
  return seconds;
}

const signingKeyObjects = new WeakMap<SigningKeyPair, KeyObject>();

function signingKeyObject(pair: SigningKeyPair): KeyObject {
  let key = signingKeyObjects.get(pair);
  if (!key) {
    key = privateKeyObject(pair.privateKey);
    signingKeyObjects.set(pair, key);
  }
  return key;
}

function aad(header: Uint8Array, eventId: string): Uint8Array {
  // The full event id (not just its 32-bit tag) is authenticated, so a tag collision can never make
  // one event's token decrypt under another event's key.
  return concatBytes(header, uuidToBytes(eventId));
}

/**
 * Issues the token for a ticket. Throws RangeError on claims or keys out of range: issuing is the
 * cloud's own call, and a bad argument there is a bug to surface, not a rejection.
 */
export function issueTicketToken(
  claims: TicketClaims,
  keys: { signingKey: SigningKeyPair; eventKey: EventKey },
  options: { nonce?: Uint8Array } = {},
): string {
  const { signingKey, eventKey } = keys;
  if (!isUuid(claims.eventId)) throw new RangeError('eventId must be a UUID');
  if (claims.eventId.toLowerCase() !== eventKey.eventId.toLowerCase()) {
    throw new RangeError('the event key belongs to another event');
  }
  checkInteger('ticketSerial', claims.ticketSerial, 1, MAX_U32);
  checkInteger('ticketTypeNo', claims.ticketTypeNo, 0, 0xffff);
  checkInteger('generation', claims.generation, 0, 0xffff);
  checkInteger('signing keyId', signingKey.keyId, 0, 0xff);
  checkInteger('eventKey.keyVersion', eventKey.keyVersion, 0, 0xff);
  if (eventKey.key.length !== 32) throw new RangeError('event key must be 32 bytes');
  const from = claims.validFrom === undefined ? undefined : toSeconds('validFrom', claims.validFrom);
  const until = claims.validUntil === undefined ? undefined : toSeconds('validUntil', claims.validUntil);
  if (from !== undefined && until !== undefined && from >= until) {
    throw new RangeError('validFrom must be before validUntil');
  }
  const nonce = options.nonce ?? globalThis.crypto.getRandomValues(new Uint8Array(NONCE_LENGTH));
  if (nonce.length !== NONCE_LENGTH) throw new RangeError('nonce must be 12 bytes');

  const header = new Uint8Array(HEADER_LENGTH);
  header[0] = TOKEN_VERSION;
  header[1] = signingKey.keyId;
  writeU32(header, 2, eventTagOf(claims.eventId));
  header[6] = eventKey.keyVersion;

  const plain = new Uint8Array(
    CLAIMS_FIXED_LENGTH + (from === undefined ? 0 : 4) + (until === undefined ? 0 : 4),
  );
  plain[0] = (from === undefined ? 0 : FLAG_VALID_FROM) | (until === undefined ? 0 : FLAG_VALID_UNTIL);
  writeU32(plain, 1, claims.ticketSerial);
  writeU16(plain, 5, claims.ticketTypeNo);
  writeU16(plain, 7, claims.generation);
  let offset = CLAIMS_FIXED_LENGTH;
  if (from !== undefined) {
    writeU32(plain, offset, from);
    offset += 4;
  }
  if (until !== undefined) writeU32(plain, offset, until);

  const sealed = chacha20poly1305(eventKey.key, nonce, aad(header, claims.eventId)).encrypt(plain);
  const signedPart = concatBytes(header, nonce, sealed);
  const signature = signWith(signingKeyObject(signingKey), concatBytes(SIGNATURE_CONTEXT, signedPart));
  return encodeBase45(concatBytes(signedPart, signature));
}

/** Splits a token into its fields; checks only encoding, length and version. */
export function decodeTicketToken(token: unknown): DecodedToken | TokenRejection {
  if (typeof token !== 'string') return reject('INVALID', 'not-a-string');
  // Bound the work before decoding: nothing longer than the longest token can be one.
  if (token.length > TOKEN_MAX_LENGTH) return reject('INVALID', 'too-long');
  const bytes = decodeBase45(token);
  if (!bytes) return reject('INVALID', 'encoding');
  const claimsLength = bytes.length - OVERHEAD;
  if (claimsLength !== 9 && claimsLength !== 13 && claimsLength !== 17) return reject('INVALID', 'length');
  if (bytes[0] !== TOKEN_VERSION) return reject('INVALID', 'version');
  const signatureStart = bytes.length - SIGNATURE_LENGTH;
  return {
    bytes,
    keyId: bytes[1]!,
    eventTag: readU32(bytes, 2),
    eventKeyVersion: bytes[6]!,
    nonce: bytes.subarray(HEADER_LENGTH, HEADER_LENGTH + NONCE_LENGTH),
    sealed: bytes.subarray(HEADER_LENGTH + NONCE_LENGTH, signatureStart),
    signedPart: bytes.subarray(0, signatureStart),
    signature: bytes.subarray(signatureStart),
  };
}

/**
 * The manifest binding of a token: base64url of the first 16 bytes of SHA-256 over all its bytes.
 * Undefined when the text is not a well-formed token.
 */
export function ticketTokenDigest(token: string): string | undefined {
  const decoded = decodeTicketToken(token);
  return 'ok' in decoded ? undefined : digestOf(decoded.bytes);
}

function parseClaims(plain: Uint8Array, eventId: string): TicketClaims | undefined {
  const flags = plain[0]!;
  if ((flags & ~(FLAG_VALID_FROM | FLAG_VALID_UNTIL)) !== 0) return undefined;
  const expected =
    CLAIMS_FIXED_LENGTH + (flags & FLAG_VALID_FROM ? 4 : 0) + (flags & FLAG_VALID_UNTIL ? 4 : 0);
  if (plain.length !== expected) return undefined;
  const claims: TicketClaims = {
    eventId,
    ticketSerial: readU32(plain, 1),
    ticketTypeNo: readU16(plain, 5),
    generation: readU16(plain, 7),
  };
  if (claims.ticketSerial === 0) return undefined;
  let offset = CLAIMS_FIXED_LENGTH;
  if (flags & FLAG_VALID_FROM) {
    claims.validFrom = readU32(plain, offset) * 1000;
    offset += 4;
  }
  if (flags & FLAG_VALID_UNTIL) claims.validUntil = readU32(plain, offset) * 1000;
  return claims;
}

/** The token's own validity window against `now` (unix ms). */
export function checkValidityWindow(claims: TicketClaims, now: number): TokenRejection | undefined {
  if (claims.validFrom !== undefined && now < claims.validFrom) return reject('NOT_YET_VALID', 'window');
  if (claims.validUntil !== undefined && now >= claims.validUntil) return reject('EXPIRED', 'window');
  return undefined;
}

/**
 * Checks tokens against a fixed set of trusted signing keys and event keys. Build one per key set
 * (the constructor prepares the key objects once) and reuse it for every scan.
 */
export class TicketVerifier {
  readonly #signers = new Map<number, KeyObject>();
  readonly #eventKeys = new Map<string, EventKey>();

  constructor(input: { signingKeys: readonly TrustedSigningKey[]; eventKeys: readonly EventKey[] }) {
    for (const { keyId, publicKey } of input.signingKeys) {
      checkInteger('signing keyId', keyId, 0, 0xff);
      this.#signers.set(keyId, publicKeyObject(publicKey));
    }
    for (const eventKey of input.eventKeys) {
      if (eventKey.key.length !== 32) throw new RangeError('event key must be 32 bytes');
      checkInteger('eventKey.keyVersion', eventKey.keyVersion, 0, 0xff);
      this.#eventKeys.set(`${eventTagOf(eventKey.eventId)}:${eventKey.keyVersion}`, eventKey);
    }
  }

  /** True when the signature is by a trusted key; never throws. */
  verifySignature(decoded: DecodedToken): boolean {
    const key = this.#signers.get(decoded.keyId);
    return (
      key !== undefined &&
      verifyWith(key, concatBytes(SIGNATURE_CONTEXT, decoded.signedPart), decoded.signature)
    );
  }

  hasSigningKey(keyId: number): boolean {
    return this.#signers.has(keyId);
  }

  /**
   * Decrypts without checking the signature (see the module header for when that is enough).
   * `WRONG_EVENT` here only means "no key for this event": the caller decides whether a signature check
   * should tell a genuine other-event ticket from garbage, as `verify` does.
   */
  open(token: unknown): OpenedToken | TokenRejection {
    try {
      const decoded = decodeTicketToken(token);
      if ('ok' in decoded) return decoded;
      return this.#decrypt(decoded);
    } catch {
      return reject('INVALID', 'internal');
    }
  }

  #decrypt(decoded: DecodedToken): OpenedToken | TokenRejection {
    const eventKey = this.#eventKeys.get(`${decoded.eventTag}:${decoded.eventKeyVersion}`);
    if (!eventKey) return reject('WRONG_EVENT', 'unknown-event');
    let plain: Uint8Array;
    try {
      plain = chacha20poly1305(
        eventKey.key,
        decoded.nonce,
        aad(decoded.signedPart.subarray(0, HEADER_LENGTH), eventKey.eventId),
      ).decrypt(decoded.sealed);
    } catch {
      return reject('INVALID', 'decrypt');
    }
    const claims = parseClaims(plain, eventKey.eventId.toLowerCase());
    if (!claims) return reject('INVALID', 'claims');
    return { ok: true, decoded, claims, digest: digestOf(decoded.bytes) };
  }

  /** The full check: signature, event, decryption, validity window at `now` (unix ms). Never throws. */
  verify(token: unknown, now: number): TokenVerdict {
    try {
      const decoded = decodeTicketToken(token);
      if ('ok' in decoded) return decoded;
      if (!this.#signers.has(decoded.keyId)) return reject('UNKNOWN_KEY', 'signing-key');
      if (!this.verifySignature(decoded)) return reject('INVALID', 'signature');
      const opened = this.#decrypt(decoded);
      if (!opened.ok) return opened;
      const window = checkValidityWindow(opened.claims, now);
      if (window) return window;
      return { ok: true, claims: opened.claims, keyId: decoded.keyId, digest: opened.digest };
    } catch {
      return reject('INVALID', 'internal');
    }
  }
}

/**
 * One-shot verification (builds a TicketVerifier each call: fine for the cloud's online check, too
 * slow for a gate's hot path, which keeps one verifier per manifest).
 */
export function verifyTicketToken(
  token: unknown,
  input: { signingKeys: readonly TrustedSigningKey[]; eventKeys: readonly EventKey[]; now: number },
): TokenVerdict {
  let verifier: TicketVerifier;
  try {
    verifier = new TicketVerifier(input);
  } catch {
    return reject('INVALID', 'bad-keys');
  }
  return verifier.verify(token, input.now);
}
