/**
 * Key material of the system: the platform's Ed25519 signing keys (tickets and manifest pages),
 * per-event symmetric keys (ticket encryption), device key pairs (gate identity), and the wrapping of
 * secret keys at rest under a key-encryption key (KEK).
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { concatBytes, fromBase64Url, isUuid, toBase64Url, utf8 } from './bytes';
import { generateEd25519KeyPair } from './ed25519';

/** A signing key held only by the cloud. `keyId` travels in every token so keys can rotate. */
export interface SigningKeyPair {
  keyId: number;
  /** 32-byte Ed25519 seed. Never leaves the cloud. */
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/** What a gate holds of a signing key: the public half. */
export interface TrustedSigningKey {
  keyId: number;
  publicKey: Uint8Array;
}

/** The symmetric key that encrypts one event's tokens. */
export interface EventKey {
  eventId: string;
  keyVersion: number;
  /** 32 bytes (ChaCha20-Poly1305). */
  key: Uint8Array;
}

export interface DeviceKeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

function randomBytes(length: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

/** A fresh platform signing key with the given id (1 … 255; ids are reused only after withdrawal). */
export function generateSigningKeyPair(keyId: number): SigningKeyPair {
  if (!Number.isInteger(keyId) || keyId < 1 || keyId > 255) throw new RangeError('keyId must be 1..255');
  return { keyId, ...generateEd25519KeyPair() };
}

export function generateEventKey(eventId: string, keyVersion = 1): EventKey {
  if (!isUuid(eventId)) throw new RangeError('eventId must be a UUID');
  if (!Number.isInteger(keyVersion) || keyVersion < 1 || keyVersion > 255) {
    throw new RangeError('keyVersion must be 1..255');
  }
  return { eventId: eventId.toLowerCase(), keyVersion, key: randomBytes(32) };
}

/** A gate device's own identity key pair; the private half never leaves the device. */
export function generateDeviceKeyPair(): DeviceKeyPair {
  return generateEd25519KeyPair();
}

export class KeyUnwrapError extends Error {
  override readonly name = 'KeyUnwrapError';
  readonly code = 'KEY_UNWRAP_FAILED';
}

const WRAP_PREFIX = 'kw1.';
const WRAP_NONCE_LENGTH = 24;

/** Parses a KEY_ENCRYPTION_KEY (base64 or base64url of exactly 32 bytes); undefined if it is not one. */
export function parseKeyEncryptionKey(text: string): Uint8Array | undefined {
  const normalised = text.trim().replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
  const bytes = fromBase64Url(normalised);
  return bytes && bytes.length === 32 ? bytes : undefined;
}

/**
 * Wraps a secret key for storage: XChaCha20-Poly1305 under the KEK with a random 24-byte nonce (random
 * nonces of that size never collide in practice). `context` is authenticated, so a wrapped key copied to
 * another row (another event, another key id) fails to unwrap there.
 */
export function wrapKey(kek: Uint8Array, key: Uint8Array, context: string): string {
  if (kek.length !== 32) throw new RangeError('key-encryption key must be 32 bytes');
  const nonce = randomBytes(WRAP_NONCE_LENGTH);
  const sealed = xchacha20poly1305(kek, nonce, utf8(context)).encrypt(key);
  return WRAP_PREFIX + toBase64Url(concatBytes(nonce, sealed));
}

/** Reverses wrapKey; throws KeyUnwrapError for a wrong KEK, a wrong context or damaged data. */
export function unwrapKey(kek: Uint8Array, wrapped: string, context: string): Uint8Array {
  if (kek.length !== 32) throw new RangeError('key-encryption key must be 32 bytes');
  const bytes = wrapped.startsWith(WRAP_PREFIX)
    ? fromBase64Url(wrapped.slice(WRAP_PREFIX.length))
    : undefined;
  if (!bytes || bytes.length < WRAP_NONCE_LENGTH + 16) throw new KeyUnwrapError('malformed wrapped key');
  try {
    return xchacha20poly1305(kek, bytes.subarray(0, WRAP_NONCE_LENGTH), utf8(context)).decrypt(
      bytes.subarray(WRAP_NONCE_LENGTH),
    );
  } catch (cause) {
    throw new KeyUnwrapError('wrapped key does not open with this key-encryption key and context', { cause });
  }
}
