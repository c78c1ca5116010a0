/**
 * Event keys sealed to a device (event-key-wrap.ts): they open with that device's private key and
 * context only, never with another device's key, after a changed byte, or under another event, key
 * version or device id.
 */
import { randomUUID } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { ManifestKeys } from '../sync-protocol/index';
import { fromBase64Url, toBase64Url } from './bytes';
import {
  canReceiveWrappedKeys,
  EVENT_KEY_WRAP_PREFIX,
  unwrapEventKeyForDevice,
  wrapEventKeyForDevice,
} from './event-key-wrap';
import { generateDeviceKeyPair, generateEventKey, KeyUnwrapError } from './keys';

const device = generateDeviceKeyPair();
const other = generateDeviceKeyPair();
const eventKey = generateEventKey(randomUUID(), 3);
const context = { eventId: eventKey.eventId, keyVersion: eventKey.keyVersion, deviceId: randomUUID() };

describe('event key wrapped to a device', () => {
  const wrapped = wrapEventKeyForDevice(device.publicKey, eventKey.key, context);

  it('opens with the device private key and the same context', () => {
    expect(wrapped.startsWith(EVENT_KEY_WRAP_PREFIX)).toBe(true);
    expect(Buffer.from(unwrapEventKeyForDevice(device.privateKey, wrapped, context))).toEqual(
      Buffer.from(eventKey.key),
    );
  });

  it('is fresh each time and never holds the key in plain form', () => {
    const again = wrapEventKeyForDevice(device.publicKey, eventKey.key, context);
    expect(again).not.toBe(wrapped);
    const bytes = Buffer.from(fromBase64Url(wrapped.slice(EVENT_KEY_WRAP_PREFIX.length))!);
    expect(bytes.includes(Buffer.from(eventKey.key))).toBe(false);
    expect(wrapped.includes(toBase64Url(eventKey.key))).toBe(false);
  });

  it('does not open with another device’s private key', () => {
    expect(() => unwrapEventKeyForDevice(other.privateKey, wrapped, context)).toThrow(KeyUnwrapError);
  });

  it('does not open after any byte changed', () => {
    const bytes = fromBase64Url(wrapped.slice(EVENT_KEY_WRAP_PREFIX.length))!;
    for (const at of [0, 31, 32, 63, 64, bytes.length - 1]) {
      const tampered = Uint8Array.from(bytes);
      tampered[at]! ^= 0x01;
      const text = EVENT_KEY_WRAP_PREFIX + toBase64Url(tampered);
      expect(() => unwrapEventKeyForDevice(device.privateKey, text, context), `byte ${at}`).toThrow(
        KeyUnwrapError,
      );
    }
  });

  it('does not open under another event, key version or device id', () => {
    for (const changed of [
      { ...context, eventId: randomUUID() },
      { ...context, keyVersion: context.keyVersion + 1 },
      { ...context, deviceId: randomUUID() },
    ]) {
      expect(() => unwrapEventKeyForDevice(device.privateKey, wrapped, changed)).toThrow(KeyUnwrapError);
    }
  });

  it('refuses malformed text and an unknown construction prefix', () => {
    for (const text of [
      '',
      'ekw1.',
      'ekw1.abc',
      wrapped.replace(EVENT_KEY_WRAP_PREFIX, 'ekw2.'),
      `${wrapped}A`,
    ]) {
      expect(() => unwrapEventKeyForDevice(device.privateKey, text, context)).toThrow(KeyUnwrapError);
    }
  });

  it('is the form the manifest page schema carries', () => {
    const keys = { signingKeys: [], eventKeys: [{ keyVersion: context.keyVersion, wrapped }] };
    expect(ManifestKeys.safeParse(keys).success).toBe(true);
    // The plain form of old pages is refused: the gate accepts event keys only wrapped.
    const plain = { signingKeys: [], eventKeys: [{ keyVersion: 3, key: toBase64Url(eventKey.key) }] };
    expect(ManifestKeys.safeParse(plain).success).toBe(false);
  });
});

describe('device keys that cannot receive', () => {
  it('refuses a small-order point and bytes that are not a point', () => {
    const smallOrder = ed25519.Point.ZERO.toBytes(); // the identity point
    const notAPoint = new Uint8Array(32).fill(0xff);
    for (const key of [smallOrder, notAPoint, new Uint8Array(31)]) {
      expect(canReceiveWrappedKeys(key)).toBe(false);
      expect(() => wrapEventKeyForDevice(key, eventKey.key, context)).toThrow(RangeError);
    }
    expect(canReceiveWrappedKeys(device.publicKey)).toBe(true);
  });
});
