/**
 * A ticket holder's name, sealed for the trip to the gates ("hn1", issue 17): only someone who holds the
 * ticket's current code can read it. A gate stores the box and opens it when the code is scanned; a copy
 * of the gate's files, without the codes, reveals no names.
 *
 * Construction:
 *   ikm   = the token's bytes: the base45-decoded QR text (108–116 bytes; `decodeTicketToken(qr).bytes`),
 *           what the cloud holds for every ticket and what a gate has once it decoded a scan
 *   info  = eventId (16 UUID bytes) ‖ serial (u32) ‖ generation (u16) — the ticket the box belongs to
 *   key   = HKDF-SHA256(ikm, salt = "holder-name v1", info), 32 bytes
 *   box   = XChaCha20-Poly1305(key, nonce = 24 random bytes, aad = info) of the padded name
 *   wire  = "hn1." ‖ base64url(nonce ‖ ciphertext ‖ tag)
 * Padding: UTF-8 of the name, one 0x80 byte, zeros up to the next multiple of 32 bytes (at least 32), so
 * a box tells its name's length only in 32-byte steps. A transfer re-issues the token (a new random
 * token nonce and the next generation), so the previous holder's code cannot open the new holder's name.
 * Opening never throws: a wrong code, another ticket's info, a changed byte all answer null.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, fromBase64Url, toBase64Url, utf8, uuidToBytes, writeU16, writeU32 } from './bytes';

/** The ticket a box belongs to: a box copied to another ticket's row does not open there. */
export interface HolderNameContext {
  eventId: string;
  serial: number;
  generation: number;
}

export const HOLDER_NAME_BOX_PREFIX = 'hn1.';
/** The longest name the box takes, in UTF-8 bytes (100 characters of up to 4 bytes each). */
export const HOLDER_NAME_MAX_BYTES = 400;
const SALT = utf8('holder-name v1');
const NONCE_LENGTH = 24;
const TAG_LENGTH = 16;
const BLOCK = 32;
const PAD_MARKER = 0x80;
/** The padded plaintext of the longest name: 400 bytes and the marker, to the next 32. */
const MAX_PADDED = Math.ceil((HOLDER_NAME_MAX_BYTES + 1) / BLOCK) * BLOCK;
/** The longest box on the wire (612 characters): what a manifest row's `nameBox` may hold. */
export const HOLDER_NAME_BOX_MAX_LENGTH =
  HOLDER_NAME_BOX_PREFIX.length + Math.ceil(((NONCE_LENGTH + MAX_PADDED + TAG_LENGTH) * 4) / 3);

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function infoOf(context: HolderNameContext): Uint8Array {
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

function cipherOf(tokenBytes: Uint8Array, info: Uint8Array, nonce: Uint8Array) {
  return xchacha20poly1305(hkdf(sha256, tokenBytes, SALT, info, 32), nonce, info);
}

/** The name's UTF-8, the marker, zeros to a multiple of 32 bytes. */
function pad(name: string): Uint8Array {
  const bytes = utf8(name);
  if (bytes.length > HOLDER_NAME_MAX_BYTES) throw new RangeError('holder name too long');
  const padded = new Uint8Array(Math.ceil((bytes.length + 1) / BLOCK) * BLOCK);
  padded.set(bytes);
  padded[bytes.length] = PAD_MARKER;
  return padded;
}

function unpad(padded: Uint8Array): string | null {
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== PAD_MARKER) return null;
  try {
    return strictUtf8.decode(padded.subarray(0, end));
  } catch {
    return null;
  }
}

/**
 * Seals `name` for the ticket whose token bytes are `tokenBytes`. Throws RangeError for a name over
 * HOLDER_NAME_MAX_BYTES or a bad context (the caller normalises and checks names first).
 */
export function sealHolderName(
  tokenBytes: Uint8Array,
  context: HolderNameContext,
  name: string,
  options: { nonce?: Uint8Array } = {},
): string {
  const info = infoOf(context);
  const nonce = options.nonce ?? globalThis.crypto.getRandomValues(new Uint8Array(NONCE_LENGTH));
  if (nonce.length !== NONCE_LENGTH) throw new RangeError('nonce must be 24 bytes');
  const sealed = cipherOf(tokenBytes, info, nonce).encrypt(pad(name));
  return HOLDER_NAME_BOX_PREFIX + toBase64Url(concatBytes(nonce, sealed));
}

/** The name in `box` when `tokenBytes` and `context` are the ticket's own; null otherwise. Never throws. */
export function openHolderName(
  tokenBytes: Uint8Array,
  context: HolderNameContext,
  box: string,
): string | null {
  try {
    if (!box.startsWith(HOLDER_NAME_BOX_PREFIX) || box.length > HOLDER_NAME_BOX_MAX_LENGTH) return null;
    const bytes = fromBase64Url(box.slice(HOLDER_NAME_BOX_PREFIX.length));
    if (!bytes || bytes.length < NONCE_LENGTH + BLOCK + TAG_LENGTH) return null;
    const info = infoOf(context);
    const cipher = cipherOf(tokenBytes, info, bytes.subarray(0, NONCE_LENGTH));
    const padded = cipher.decrypt(bytes.subarray(NONCE_LENGTH));
    if (padded.length % BLOCK !== 0) return null;
    return unpad(padded);
  } catch {
    return null;
  }
}
