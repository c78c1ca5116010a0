/**
 * The holder-bound rotating code (token version 2, issue 20): what the wallet shows instead of the static
 * ticket token, remade every 15 seconds and signed by a key pair that lives only on the holder's device.
 * This module is the byte layout alone — build, encode, parse — and is browser-safe (no node:crypto, no
 * Buffer): the wallet page bundles it to make codes, the gate and the cloud use it to read them. Signing
 * happens in the browser (WebCrypto); verifying is ./holder-code-verify.ts.
 *
 * Layout (big-endian; 81 bytes, 122 base45 characters, one alphanumeric QR segment — smaller than the
 * static token's 162–174, so QR version 7 at level M holds it):
 *
 *   offset size field
 *   0      1    version     = 0x02 (the static token is 0x01)
 *   1      4    eventTag    as the static token's: SHA-256("gate/event-tag/v1\0" ‖ eventId)[0..4)
 *   5      4    serial      the ticket's per-event serial
 *   9      2    generation  the ticket's generation (a transfer moves it on and clears the binding)
 *   11     2    bindingNo   which binding of the ticket made this code (a rebinding moves it on)
 *   13     4    step        ⌊unix seconds / 15⌋ by the cloud's clock as the wallet knows it
 *   17     64   signature   Ed25519, or ECDSA P-256 SHA-256 as r ‖ s (WebCrypto's form), over
 *                           "gate/holder-code/v1\0" ‖ eventId (16 UUID bytes) ‖ bytes[0..17)
 *
 * The event id is signed but not carried (the tag finds it among the events a verifier serves), so a code
 * cannot be replayed at another event whose tag happens to collide.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeBase45, encodeBase45 } from './base45';

export const HOLDER_CODE_VERSION = 2;
export const HOLDER_CODE_STEP_SECONDS = 15;
const SIGNED_LENGTH = 17;
const SIGNATURE_LENGTH = 64;
export const HOLDER_CODE_BYTES = SIGNED_LENGTH + SIGNATURE_LENGTH;
/** base45: 3 characters per 2 bytes, 2 for the odd last byte. */
export const HOLDER_CODE_TEXT_LENGTH = Math.floor(HOLDER_CODE_BYTES / 2) * 3 + (HOLDER_CODE_BYTES % 2) * 2;

/** `Ed25519` (32-byte public key) or `ES256` (ECDSA P-256, 65-byte uncompressed public point). */
export type HolderKeyAlg = 'Ed25519' | 'ES256';
export const HOLDER_KEY_ALGS = ['Ed25519', 'ES256'] as const satisfies readonly HolderKeyAlg[];

export interface HolderCodeFields {
  /** The event's 32-bit tag (holderEventTag). */
  eventTag: number;
  serial: number;
  generation: number;
  bindingNo: number;
  step: number;
}

export type ParsedHolderCode = {
  ok: true;
  fields: HolderCodeFields;
  /** The first 17 bytes, as signed (after the domain prefix and the event id). */
  signed: Uint8Array;
  signature: Uint8Array;
};
export type HolderCodeRejection = { ok: false; reason: 'INVALID'; detail: string };

const encoder = new TextEncoder();
const EVENT_TAG_CONTEXT = encoder.encode('gate/event-tag/v1\0');
const SIGNING_CONTEXT = encoder.encode('gate/holder-code/v1\0');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function uuidBytes(uuid: string): Uint8Array {
  if (!UUID.test(uuid)) throw new RangeError('holder code: the event id is not a UUID');
  const hex = uuid.replaceAll('-', '');
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function checkUint(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`holder code: ${name} must be an integer 0..${max}`);
  }
}

/** The time step a unix-milliseconds instant falls in. */
export function holderCodeStep(unixMs: number): number {
  return Math.floor(unixMs / 1000 / HOLDER_CODE_STEP_SECONDS);
}

/** The event's tag: the same number as the static token's (shared/crypto ticket-token eventTagOf). */
export function holderEventTag(eventId: string): number {
  const hash = sha256(concat(EVENT_TAG_CONTEXT, uuidBytes(eventId)));
  return new DataView(hash.buffer, hash.byteOffset, 4).getUint32(0);
}

function signedBytes(fields: HolderCodeFields): Uint8Array {
  checkUint('eventTag', fields.eventTag, 0xffff_ffff);
  checkUint('serial', fields.serial, 0xffff_ffff);
  checkUint('generation', fields.generation, 0xffff);
  checkUint('bindingNo', fields.bindingNo, 0xffff);
  checkUint('step', fields.step, 0xffff_ffff);
  if (fields.serial === 0) throw new RangeError('holder code: serial 0 is not a ticket');
  const bytes = new Uint8Array(SIGNED_LENGTH);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, HOLDER_CODE_VERSION);
  view.setUint32(1, fields.eventTag);
  view.setUint32(5, fields.serial);
  view.setUint16(9, fields.generation);
  view.setUint16(11, fields.bindingNo);
  view.setUint32(13, fields.step);
  return bytes;
}

/** The message a holder's device signs for these fields (and a verifier checks). Throws RangeError on bad fields. */
export function holderCodeSigningInput(eventId: string, fields: HolderCodeFields): Uint8Array {
  return concat(SIGNING_CONTEXT, uuidBytes(eventId), signedBytes(fields));
}

/** The signing input for a parsed code (the verifier's side: the signed bytes as they were scanned). */
export function signingInputOf(eventId: string, code: ParsedHolderCode): Uint8Array {
  return concat(SIGNING_CONTEXT, uuidBytes(eventId), code.signed);
}

/** The code's text (base45) for the fields and the device's 64-byte signature. Throws RangeError on bad input. */
export function encodeHolderCode(fields: HolderCodeFields, signature: Uint8Array): string {
  if (signature.length !== SIGNATURE_LENGTH)
    throw new RangeError('holder code: the signature must be 64 bytes');
  return encodeBase45(concat(signedBytes(fields), signature));
}

function reject(detail: string): HolderCodeRejection {
  return { ok: false, reason: 'INVALID', detail };
}

/**
 * Reads a holder code from scanned text (already normalised: shared/admission scanned-text). Never throws;
 * anything that is not a well-formed version-2 code is INVALID with a detail.
 */
export function parseHolderCode(text: string): ParsedHolderCode | HolderCodeRejection {
  if (typeof text !== 'string') return reject('not-a-string');
  if (text.length !== HOLDER_CODE_TEXT_LENGTH) return reject('length');
  const bytes = decodeBase45(text);
  if (!bytes) return reject('encoding');
  if (bytes.length !== HOLDER_CODE_BYTES) return reject('length');
  if (bytes[0] !== HOLDER_CODE_VERSION) return reject('version');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const serial = view.getUint32(5);
  if (serial === 0) return reject('claims');
  return {
    ok: true,
    fields: {
      eventTag: view.getUint32(1),
      serial,
      generation: view.getUint16(9),
      bindingNo: view.getUint16(11),
      step: view.getUint32(13),
    },
    signed: bytes.slice(0, SIGNED_LENGTH),
    signature: bytes.slice(SIGNED_LENGTH),
  };
}

/** Cheap test on a scan's text: the length of a holder code and its version byte (no full parse). */
export function looksLikeHolderCode(text: string): boolean {
  if (typeof text !== 'string' || text.length !== HOLDER_CODE_TEXT_LENGTH) return false;
  const head = decodeBase45(text.slice(0, 3));
  return head !== undefined && head[0] === HOLDER_CODE_VERSION;
}
