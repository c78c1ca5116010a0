/**
 * Byte helpers shared by the token, key-wrapping and signature modules: big-endian integers, UUIDs as
 * 16 bytes, base64url, constant-time comparison. Kept here so every length check lives in one place.
 */
import { timingSafeEqual } from 'node:crypto';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` is a canonical textual UUID (any version). */
export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** The 16 bytes of a UUID; throws RangeError on anything that is not a UUID. */
export function uuidToBytes(uuid: string): Uint8Array {
  if (!isUuid(uuid)) throw new RangeError('expected a UUID');
  return Uint8Array.from(Buffer.from(uuid.replaceAll('-', ''), 'hex'));
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function writeU16(target: Uint8Array, offset: number, value: number): void {
  target[offset] = (value >>> 8) & 0xff;
  target[offset + 1] = value & 0xff;
}

export function writeU32(target: Uint8Array, offset: number, value: number): void {
  target[offset] = (value >>> 24) & 0xff;
  target[offset + 1] = (value >>> 16) & 0xff;
  target[offset + 2] = (value >>> 8) & 0xff;
  target[offset + 3] = value & 0xff;
}

export function readU16(source: Uint8Array, offset: number): number {
  return ((source[offset] ?? 0) << 8) | (source[offset + 1] ?? 0);
}

export function readU32(source: Uint8Array, offset: number): number {
  return (
    (((source[offset] ?? 0) << 24) >>> 0) +
    ((source[offset + 1] ?? 0) << 16) +
    ((source[offset + 2] ?? 0) << 8) +
    (source[offset + 3] ?? 0)
  );
}

/** Constant-time equality; false (not an exception) when the lengths differ. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Decodes strict base64url; returns undefined for anything that is not canonical base64url. */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  const bytes = Uint8Array.from(Buffer.from(text, 'base64url'));
  // Buffer ignores trailing garbage bits; insist on the canonical encoding so one key has one spelling.
  return toBase64Url(bytes) === text ? bytes : undefined;
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
