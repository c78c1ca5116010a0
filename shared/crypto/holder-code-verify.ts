/**
 * Checking a holder's public key and a rotating code's signature (issue 20), with Node's crypto
 * (OpenSSL): Ed25519, or ECDSA P-256 with SHA-256 in the r ‖ s form WebCrypto signs in. Never throws on
 * untrusted input. KeyObjects are kept per key (a bounded map): turning raw bytes into a KeyObject costs
 * about as much as the verify itself, and a gate sees the same holder several times an evening.
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { publicKeyObject } from './ed25519';
import type { HolderKeyAlg } from './holder-code';

const KEY_LENGTH: Record<HolderKeyAlg, number> = { Ed25519: 32, ES256: 65 };
const CACHE_LIMIT = 20_000;
const keyCache = new Map<string, KeyObject>();

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * True for a public key a holder may bind: 32 bytes that decode to an Ed25519 point of large order, or a
 * 65-byte uncompressed P-256 point on the curve (not the identity).
 */
export function holderPublicKeyValid(alg: HolderKeyAlg, publicKey: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== KEY_LENGTH[alg]) return false;
  try {
    if (alg === 'Ed25519') return !ed25519.Point.fromBytes(publicKey).isSmallOrder();
    if (publicKey[0] !== 0x04) return false;
    p256.Point.fromBytes(publicKey).assertValidity();
    return true;
  } catch {
    return false;
  }
}

function keyObjectOf(alg: HolderKeyAlg, publicKey: Uint8Array): KeyObject | undefined {
  const id = `${alg}:${b64url(publicKey)}`;
  const cached = keyCache.get(id);
  if (cached) return cached;
  let key: KeyObject;
  try {
    if (alg === 'Ed25519') key = publicKeyObject(publicKey);
    else {
      const x = b64url(publicKey.subarray(1, 33));
      const y = b64url(publicKey.subarray(33, 65));
      key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x, y }, format: 'jwk' });
    }
  } catch {
    return undefined;
  }
  if (keyCache.size >= CACHE_LIMIT) keyCache.delete(keyCache.keys().next().value as string);
  keyCache.set(id, key);
  return key;
}

/** True when `signature` (64 bytes) is the holder key's signature of `message`. Never throws. */
export function verifyHolderSignature(
  alg: HolderKeyAlg,
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (signature.length !== 64 || publicKey.length !== KEY_LENGTH[alg]) return false;
  const key = keyObjectOf(alg, publicKey);
  if (!key) return false;
  try {
    if (alg === 'Ed25519') return verify(null, message, key, signature);
    return verify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}
