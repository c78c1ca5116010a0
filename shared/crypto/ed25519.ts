/**
 * Ed25519 through Node's built-in crypto (OpenSSL). Chosen over @noble/curves after measuring both in
 * bench/crypto-verify.ts: the native verify is an order of magnitude faster, and a gate verifies a
 * signature for every ticket its manifest does not know yet. Keys travel as raw 32-byte values; they
 * are wrapped into KeyObjects once (a KeyObject per call would cost more than the signature itself).
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';

// RFC 8410 DER prefixes: raw keys → PKCS#8 / SPKI, the only raw-key formats OpenSSL accepts.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export const ED25519_KEY_LENGTH = 32;
export const ED25519_SIGNATURE_LENGTH = 64;

export function privateKeyObject(seed: Uint8Array): KeyObject {
  if (seed.length !== ED25519_KEY_LENGTH) throw new RangeError('Ed25519 private key must be 32 bytes');
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

export function publicKeyObject(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== ED25519_KEY_LENGTH) throw new RangeError('Ed25519 public key must be 32 bytes');
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
}

/** A fresh key pair as raw bytes: the 32-byte seed (private) and the 32-byte public key. */
export function generateEd25519KeyPair(): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return {
    privateKey: Uint8Array.from(pkcs8.subarray(PKCS8_PREFIX.length)),
    publicKey: Uint8Array.from(spki.subarray(SPKI_PREFIX.length)),
  };
}

/** The public key belonging to a 32-byte seed. */
export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  const spki = createPublicKey(privateKeyObject(seed)).export({ format: 'der', type: 'spki' });
  return Uint8Array.from(spki.subarray(SPKI_PREFIX.length));
}

export function signWith(key: KeyObject, message: Uint8Array): Uint8Array {
  return Uint8Array.from(sign(null, message, key));
}

/** Never throws: a malformed signature is simply not valid. */
export function verifyWith(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== ED25519_SIGNATURE_LENGTH) return false;
  try {
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}
