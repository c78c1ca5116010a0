/**
 * Detached Ed25519 signatures over byte strings: manifest pages (signed by the cloud, checked by gates),
 * device requests (signed by a gate, checked by the cloud), and gate-to-gate traffic on the venue LAN —
 * each admission record signed by the gate that decided it, each peer message by the gate that sends it
 * (checked against the cloud-signed peer list). Each use has its own context prefix so a signature made
 * for one purpose can never be replayed as another (tokens use a further prefix).
 */
import type { KeyObject } from 'node:crypto';
import { concatBytes, utf8 } from './bytes';
import { privateKeyObject, publicKeyObject, signWith, verifyWith } from './ed25519';
import type { SigningKeyPair, TrustedSigningKey } from './keys';

export type SignatureContext = 'manifest-page' | 'device-request' | 'admission-record' | 'peer-message';

const PREFIXES: Record<SignatureContext, Uint8Array> = {
  'manifest-page': utf8('gate/manifest-page/v1\0'),
  'device-request': utf8('gate/device-request/v1\0'),
  'admission-record': utf8('gate/admission-record/v1\0'),
  'peer-message': utf8('gate/peer-message/v1\0'),
};

/** Signs `message` with a 32-byte Ed25519 seed. */
export function signDetached(
  privateKey: Uint8Array,
  message: Uint8Array,
  context: SignatureContext,
): Uint8Array {
  return signWith(privateKeyObject(privateKey), concatBytes(PREFIXES[context], message));
}

/** True when `signature` is `publicKey`'s over `message` in `context`. Never throws. */
export function verifyDetached(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  context: SignatureContext,
): boolean {
  let key: KeyObject;
  try {
    key = publicKeyObject(publicKey);
  } catch {
    return false;
  }
  return verifyWith(key, concatBytes(PREFIXES[context], message), signature);
}

/**
 * A signer for one key and context, with the key object prepared once: a gate signs every admission it
 * makes and every peer message it sends, and wrapping the key costs more than the signature.
 */
export function createDetachedSigner(
  privateKey: Uint8Array,
  context: SignatureContext,
): (message: Uint8Array) => Uint8Array {
  const key = privateKeyObject(privateKey);
  const prefix = PREFIXES[context];
  return (message) => signWith(key, concatBytes(prefix, message));
}

/** A checker for one public key and context (key object prepared once); never throws. */
export function createDetachedVerifier(
  publicKey: Uint8Array,
  context: SignatureContext,
): (message: Uint8Array, signature: Uint8Array) => boolean {
  let key: KeyObject | undefined;
  try {
    key = publicKeyObject(publicKey);
  } catch {
    key = undefined;
  }
  const prefix = PREFIXES[context];
  return (message, signature) =>
    key !== undefined && verifyWith(key, concatBytes(prefix, message), signature);
}

/** The cloud's signature over one manifest page, with the id of the key that made it. */
export function signManifestPage(
  signingKey: SigningKeyPair,
  page: Uint8Array,
): { keyId: number; signature: Uint8Array } {
  return { keyId: signingKey.keyId, signature: signDetached(signingKey.privateKey, page, 'manifest-page') };
}

/** A checker for manifest pages against the gate's trusted keys (key objects prepared once). */
export function createManifestPageVerifier(
  trusted: readonly TrustedSigningKey[],
): (keyId: number, page: Uint8Array, signature: Uint8Array) => boolean {
  const keys = new Map<number, KeyObject>();
  for (const { keyId, publicKey } of trusted) keys.set(keyId, publicKeyObject(publicKey));
  return (keyId, page, signature) => {
    const key = keys.get(keyId);
    return key !== undefined && verifyWith(key, concatBytes(PREFIXES['manifest-page'], page), signature);
  };
}
