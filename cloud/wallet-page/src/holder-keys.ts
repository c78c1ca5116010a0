/**
 * The device's holder key (docs/CONTRACT.md §5.6): made with WebCrypto, Ed25519 where the browser has it
 * and ECDSA P-256 otherwise; the private key is non-extractable, the public key is exported raw for the
 * cloud (32 bytes, or the 65-byte uncompressed point). Signatures are 64 bytes either way (WebCrypto's
 * ECDSA signs as r ‖ s, the form the gates verify).
 */
import type { HolderKeyAlg } from '../../../shared/crypto/holder-code';

export interface NewHolderKey {
  alg: HolderKeyAlg;
  privateKey: CryptoKey;
  publicKey: Uint8Array;
}

const ED25519 = { name: 'Ed25519' } as const;
const P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;

async function generate(alg: HolderKeyAlg): Promise<NewHolderKey> {
  const pair = (await crypto.subtle.generateKey(alg === 'Ed25519' ? ED25519 : P256, false, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return { alg, privateKey: pair.privateKey, publicKey };
}

/** A new key pair: Ed25519 when the browser makes one, else ES256; `only` forces one (tests). */
export async function generateHolderKey(only?: HolderKeyAlg): Promise<NewHolderKey> {
  if (only) return generate(only);
  try {
    return await generate('Ed25519');
  } catch {
    return generate('ES256');
  }
}

/** The 64-byte signature of `message` by a holder key. */
export async function signHolderMessage(
  alg: HolderKeyAlg,
  privateKey: CryptoKey,
  message: Uint8Array,
): Promise<Uint8Array> {
  const params = alg === 'Ed25519' ? ED25519 : { name: 'ECDSA', hash: 'SHA-256' };
  return new Uint8Array(await crypto.subtle.sign(params, privateKey, message as BufferSource));
}

export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}
