/**
 * Event keys sealed to one gate device for the trip in a manifest page (issue 15, finding 9): a sealed
 * box that only the holder of the device's Ed25519 private key opens, so a logged response or a proxy
 * that terminates TLS learns no event key.
 *
 * Construction ("ekw1"): the device's Ed25519 public key, mapped to its X25519 form (RFC 7748
 * birational map), receives an ephemeral X25519 exchange; HKDF-SHA256 of the shared secret (salt =
 * ephemeral public ‖ recipient public, info = the context below) gives a one-time XChaCha20-Poly1305 key
 * and nonce; the context is also the AEAD's associated data. Context = label ‖ event id ‖ key version ‖
 * device id, so a wrap copied to another event, version or device does not open there. Wire form:
 * "ekw1." ‖ base64url(ephemeral public (32) ‖ ciphertext (32) ‖ tag (16)).
 *
 * Why the device's identity key and not a second X25519 key registered at enrollment: every enrolled
 * device can receive wrapped keys at once, with no enrollment or storage change; using one key for
 * Ed25519 signatures and X25519 is the libsodium crypto_sign_ed25519_*_to_curve25519 practice, and the
 * HKDF label keeps the two uses' outputs apart.
 *
 * The curve maps come from @noble/curves; the X25519 exchange itself runs in node:crypto (OpenSSL),
 * measured ~6× faster than noble's and the cloud wraps on every page. OpenSSL also refuses an all-zero
 * shared secret (a low-order point), which the wrap then reports.
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, fromBase64Url, toBase64Url, utf8, uuidToBytes } from './bytes';
import { KeyUnwrapError } from './keys';

/** What a wrapped event key is bound to: it opens only with the same three values. */
export interface EventKeyWrapContext {
  eventId: string;
  keyVersion: number;
  /** The device the key is sealed to. */
  deviceId: string;
}

export const EVENT_KEY_WRAP_PREFIX = 'ekw1.';
const LABEL = utf8('gate/event-key-wrap/v1\0');
const KEY_LENGTH = 32;
const NONCE_LENGTH = 24;
const TAG_LENGTH = 16;
/** ephemeral public ‖ ciphertext of a 32-byte key ‖ tag */
const WRAPPED_LENGTH = 32 + KEY_LENGTH + TAG_LENGTH;

// RFC 8410 DER prefixes for raw X25519 keys (OpenSSL takes raw keys only inside these).
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

function x25519PublicObject(raw: Uint8Array) {
  return createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

function rawPublic(key: ReturnType<typeof createPublicKey>): Uint8Array {
  return Uint8Array.from(key.export({ format: 'der', type: 'spki' }).subarray(X25519_SPKI_PREFIX.length));
}

function contextBytes(context: EventKeyWrapContext): Uint8Array {
  const { keyVersion } = context;
  if (!Number.isInteger(keyVersion) || keyVersion < 0 || keyVersion > 255) {
    throw new RangeError('keyVersion must be 0..255');
  }
  return concatBytes(
    LABEL,
    uuidToBytes(context.eventId),
    Uint8Array.of(keyVersion),
    uuidToBytes(context.deviceId),
  );
}

/** The one-time AEAD of one exchange: key and nonce from HKDF, the context as associated data. */
function sealer(shared: Uint8Array, ephemeral: Uint8Array, recipient: Uint8Array, info: Uint8Array) {
  const okm = hkdf(sha256, shared, concatBytes(ephemeral, recipient), info, KEY_LENGTH + NONCE_LENGTH);
  return xchacha20poly1305(okm.subarray(0, KEY_LENGTH), okm.subarray(KEY_LENGTH), info);
}

/** The X25519 form of a device's Ed25519 public key; throws RangeError if it is not a usable key. */
function recipientOf(devicePublicKey: Uint8Array): Uint8Array {
  if (devicePublicKey.length !== 32) throw new RangeError('device public key must be 32 bytes');
  try {
    const point = ed25519.Point.fromBytes(devicePublicKey);
    if (point.isSmallOrder()) throw new RangeError('device public key is of small order');
    return ed25519.utils.toMontgomery(devicePublicKey);
  } catch (cause) {
    throw new RangeError('device public key is not a usable Ed25519 key', { cause });
  }
}

/** True when an Ed25519 public key can receive wrapped event keys (a valid point of large order). */
export function canReceiveWrappedKeys(devicePublicKey: Uint8Array): boolean {
  try {
    recipientOf(devicePublicKey);
    return true;
  } catch {
    return false;
  }
}

/**
 * Seals a 32-byte event key to a device's Ed25519 public key, bound to `context`. Throws RangeError for a
 * bad key or context (the caller's bug, or a device key that cannot receive: see canReceiveWrappedKeys).
 */
export function wrapEventKeyForDevice(
  devicePublicKey: Uint8Array,
  key: Uint8Array,
  context: EventKeyWrapContext,
): string {
  if (key.length !== KEY_LENGTH) throw new RangeError('event key must be 32 bytes');
  const info = contextBytes(context);
  const recipient = recipientOf(devicePublicKey);
  const ephemeral = generateKeyPairSync('x25519');
  const ephemeralPublic = rawPublic(ephemeral.publicKey);
  const shared = diffieHellman({
    privateKey: ephemeral.privateKey,
    publicKey: x25519PublicObject(recipient),
  });
  const sealed = sealer(shared, ephemeralPublic, recipient, info).encrypt(key);
  return EVENT_KEY_WRAP_PREFIX + toBase64Url(concatBytes(ephemeralPublic, sealed));
}

/**
 * Opens a wrapped event key with the device's Ed25519 private key (32-byte seed). Throws KeyUnwrapError
 * when it was sealed to another device or another context, or was changed on the way.
 */
export function unwrapEventKeyForDevice(
  devicePrivateKey: Uint8Array,
  wrapped: string,
  context: EventKeyWrapContext,
): Uint8Array {
  if (devicePrivateKey.length !== 32) throw new RangeError('device private key must be 32 bytes');
  const info = contextBytes(context);
  const bytes = wrapped.startsWith(EVENT_KEY_WRAP_PREFIX)
    ? fromBase64Url(wrapped.slice(EVENT_KEY_WRAP_PREFIX.length))
    : undefined;
  if (bytes?.length !== WRAPPED_LENGTH) throw new KeyUnwrapError('malformed wrapped event key');
  const secret = ed25519.utils.toMontgomerySecret(devicePrivateKey);
  const privateKey = createPrivateKey({
    key: Buffer.concat([X25519_PKCS8_PREFIX, secret]),
    format: 'der',
    type: 'pkcs8',
  });
  const recipient = rawPublic(createPublicKey(privateKey));
  const ephemeralPublic = bytes.subarray(0, 32);
  try {
    const shared = diffieHellman({ privateKey, publicKey: x25519PublicObject(ephemeralPublic) });
    return sealer(shared, ephemeralPublic, recipient, info).decrypt(bytes.subarray(32));
  } catch (cause) {
    throw new KeyUnwrapError('the event key is not sealed to this device and context', { cause });
  } finally {
    secret.fill(0);
  }
}
