/**
 * A ticket's holder binding, sealed for the trip to the gates ("hk1", issue 20): the public key of the
 * device a holder claimed the ticket on, which binding of the ticket it is, and the ticket's validity
 * window (a rotating code does not carry the static token's encrypted window, so the gate learns it
 * here). Sealed with a key derived from the event's token key, so only a verifier that holds the event key
 * — a gate of the event, the cloud — reads it, and a logged manifest page shows no holder keys.
 *
 * Construction:
 *   info  = eventId (16 UUID bytes) ‖ serial (u32) ‖ generation (u16) — the ticket the box belongs to
 *   key   = HKDF-SHA256(ikm = the event key, salt = "holder-key v1", info), 32 bytes
 *   box   = XChaCha20-Poly1305(key, nonce = 24 random bytes, aad = keyVersion ‖ info) of the payload
 *   payload = alg (1: 1 Ed25519, 2 ES256) ‖ bindingNo (u16) ‖ flags (1: bit 0 validFrom, bit 1 validUntil)
 *             ‖ validFrom (u32 unix seconds, if flagged) ‖ validUntil (u32, if flagged) ‖ public key (32 | 65)
 *   wire  = "hk1." ‖ base64url(keyVersion (1) ‖ nonce ‖ ciphertext ‖ tag)
 * Opening never throws: another ticket's info, another event's key, a changed byte all answer undefined.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  concatBytes,
  fromBase64Url,
  readU16,
  readU32,
  toBase64Url,
  utf8,
  uuidToBytes,
  writeU16,
  writeU32,
} from './bytes';
import type { HolderKeyAlg } from './holder-code';

export interface HolderKeyBinding {
  alg: HolderKeyAlg;
  publicKey: Uint8Array;
  /** 1 for the first binding of the ticket, one more for each rebinding. */
  bindingNo: number;
  /** The ticket's validity window, unix ms (whole seconds), when it has one. */
  validFrom?: number;
  validUntil?: number;
}

/** The ticket a box belongs to: a box copied to another ticket's row does not open there. */
export interface HolderKeyContext {
  eventId: string;
  serial: number;
  generation: number;
}

export const HOLDER_KEY_BOX_PREFIX = 'hk1.';
const SALT = utf8('holder-key v1');
const NONCE_LENGTH = 24;
const TAG_LENGTH = 16;
const ALG_CODE: Record<HolderKeyAlg, number> = { Ed25519: 1, ES256: 2 };
const KEY_LENGTH: Record<HolderKeyAlg, number> = { Ed25519: 32, ES256: 65 };
const MAX_PAYLOAD = 4 + 8 + 65;
/** The longest box on the wire: what a manifest row's `holderKey` may hold. */
export const HOLDER_KEY_BOX_MAX_LENGTH =
  HOLDER_KEY_BOX_PREFIX.length + Math.ceil(((1 + NONCE_LENGTH + MAX_PAYLOAD + TAG_LENGTH) * 4) / 3);

function infoOf(context: HolderKeyContext): Uint8Array {
  const { serial, generation } = context;
  if (!Number.isInteger(serial) || serial < 1 || serial > 0xffff_ffff) throw new RangeError('bad serial');
  if (!Number.isInteger(generation) || generation < 0 || generation > 0xffff) {
    throw new RangeError('bad generation');
  }
  const numbers = new Uint8Array(6);
  writeU32(numbers, 0, serial);
  writeU16(numbers, 4, generation);
  return concatBytes(uuidToBytes(context.eventId), numbers);
}

function cipherOf(eventKey: Uint8Array, keyVersion: number, info: Uint8Array, nonce: Uint8Array) {
  return xchacha20poly1305(
    hkdf(sha256, eventKey, SALT, info, 32),
    nonce,
    concatBytes(Uint8Array.of(keyVersion), info),
  );
}

function seconds(name: string, ms: number): number {
  const s = ms / 1000;
  if (!Number.isInteger(s) || s < 0 || s > 0xffff_ffff)
    throw new RangeError(`${name} must be whole unix seconds`);
  return s;
}

function payloadOf(binding: HolderKeyBinding): Uint8Array {
  const { alg, publicKey, bindingNo, validFrom, validUntil } = binding;
  if (ALG_CODE[alg] === undefined || publicKey.length !== KEY_LENGTH[alg])
    throw new RangeError('bad holder key');
  if (!Number.isInteger(bindingNo) || bindingNo < 1 || bindingNo > 0xffff)
    throw new RangeError('bad bindingNo');
  const head = new Uint8Array(4);
  head[0] = ALG_CODE[alg];
  writeU16(head, 1, bindingNo);
  head[3] = (validFrom !== undefined ? 1 : 0) | (validUntil !== undefined ? 2 : 0);
  const window: Uint8Array[] = [];
  for (const [name, value] of [
    ['validFrom', validFrom],
    ['validUntil', validUntil],
  ] as const) {
    if (value === undefined) continue;
    const part = new Uint8Array(4);
    writeU32(part, 0, seconds(name, value));
    window.push(part);
  }
  return concatBytes(head, ...window, publicKey);
}

function bindingOf(payload: Uint8Array): HolderKeyBinding | undefined {
  if (payload.length < 4) return undefined;
  const alg = payload[0] === 1 ? 'Ed25519' : payload[0] === 2 ? 'ES256' : undefined;
  const flags = payload[3]!;
  if (!alg || flags > 3) return undefined;
  let offset = 4;
  const binding: HolderKeyBinding = { alg, bindingNo: readU16(payload, 1), publicKey: new Uint8Array() };
  if (flags & 1) {
    binding.validFrom = readU32(payload, offset) * 1000;
    offset += 4;
  }
  if (flags & 2) {
    binding.validUntil = readU32(payload, offset) * 1000;
    offset += 4;
  }
  if (payload.length - offset !== KEY_LENGTH[alg] || binding.bindingNo < 1) return undefined;
  binding.publicKey = payload.slice(offset);
  return binding;
}

/**
 * Seals a binding for the ticket `context` with the event key of `keyVersion`. Throws RangeError for a bad
 * binding or context (the caller validated the key first).
 */
export function sealHolderKey(
  eventKey: Uint8Array,
  keyVersion: number,
  context: HolderKeyContext,
  binding: HolderKeyBinding,
  options: { nonce?: Uint8Array } = {},
): string {
  if (!Number.isInteger(keyVersion) || keyVersion < 1 || keyVersion > 255)
    throw new RangeError('bad key version');
  const info = infoOf(context);
  const nonce = options.nonce ?? globalThis.crypto.getRandomValues(new Uint8Array(NONCE_LENGTH));
  if (nonce.length !== NONCE_LENGTH) throw new RangeError('nonce must be 24 bytes');
  const sealed = cipherOf(eventKey, keyVersion, info, nonce).encrypt(payloadOf(binding));
  return HOLDER_KEY_BOX_PREFIX + toBase64Url(concatBytes(Uint8Array.of(keyVersion), nonce, sealed));
}

/** The event key version a box was sealed with (undefined for a malformed box). Never throws. */
export function holderKeyBoxVersion(box: string): number | undefined {
  if (typeof box !== 'string' || !box.startsWith(HOLDER_KEY_BOX_PREFIX)) return undefined;
  const bytes = fromBase64Url(box.slice(HOLDER_KEY_BOX_PREFIX.length, HOLDER_KEY_BOX_PREFIX.length + 4));
  return bytes?.[0];
}

/**
 * The binding in `box` when it was sealed for `context` under one of the event's keys; undefined
 * otherwise. `eventKeyOf` gives the event key of a version (undefined when not held). Never throws.
 */
export function openHolderKey(
  eventKeyOf: (keyVersion: number) => Uint8Array | undefined,
  context: HolderKeyContext,
  box: string,
): HolderKeyBinding | undefined {
  try {
    if (typeof box !== 'string' || !box.startsWith(HOLDER_KEY_BOX_PREFIX)) return undefined;
    if (box.length > HOLDER_KEY_BOX_MAX_LENGTH) return undefined;
    const bytes = fromBase64Url(box.slice(HOLDER_KEY_BOX_PREFIX.length));
    if (!bytes || bytes.length < 1 + NONCE_LENGTH + 4 + TAG_LENGTH) return undefined;
    const keyVersion = bytes[0]!;
    const eventKey = eventKeyOf(keyVersion);
    if (!eventKey) return undefined;
    const info = infoOf(context);
    const cipher = cipherOf(eventKey, keyVersion, info, bytes.subarray(1, 1 + NONCE_LENGTH));
    return bindingOf(cipher.decrypt(bytes.subarray(1 + NONCE_LENGTH)));
  } catch {
    return undefined;
  }
}
