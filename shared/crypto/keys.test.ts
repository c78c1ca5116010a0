/**
 * Key rotation, key wrapping at rest, and detached signatures (manifest pages, device requests).
 */
import { describe, expect, it } from 'vitest';
import { toBase64Url, utf8 } from './bytes';
import {
  generateDeviceKeyPair,
  generateEventKey,
  generateSigningKeyPair,
  KeyUnwrapError,
  parseKeyEncryptionKey,
  unwrapKey,
  wrapKey,
} from './keys';
import { createManifestPageVerifier, signDetached, signManifestPage, verifyDetached } from './signatures';
import { issueTicketToken, TicketVerifier, verifyTicketToken } from './ticket-token';

const EVENT_ID = '0190c3a4-7b2e-7cc1-9d3e-5a1b2c3d4e5f';
const NOW = Date.UTC(2026, 5, 1, 18);

describe('signing key rotation', () => {
  const oldKey = generateSigningKeyPair(1);
  const newKey = generateSigningKeyPair(2);
  const eventKey = generateEventKey(EVENT_ID);
  const claims = { eventId: EVENT_ID, ticketSerial: 9, ticketTypeNo: 1, generation: 0 };
  const oldToken = issueTicketToken(claims, { signingKey: oldKey, eventKey });
  const newToken = issueTicketToken(claims, { signingKey: newKey, eventKey });

  it('accepts a token of an older key while that key is still trusted', () => {
    const both = [oldKey, newKey];
    expect(verifyTicketToken(oldToken, { signingKeys: both, eventKeys: [eventKey], now: NOW }).ok).toBe(true);
    expect(verifyTicketToken(newToken, { signingKeys: both, eventKeys: [eventKey], now: NOW }).ok).toBe(true);
  });

  it('rejects it as UNKNOWN_KEY once the key is withdrawn', () => {
    const verdict = verifyTicketToken(oldToken, { signingKeys: [newKey], eventKeys: [eventKey], now: NOW });
    expect(verdict).toEqual({ ok: false, reason: 'UNKNOWN_KEY', detail: 'signing-key' });
    expect(verifyTicketToken(newToken, { signingKeys: [newKey], eventKeys: [eventKey], now: NOW }).ok).toBe(
      true,
    );
  });

  it('keeps a token of a rotated event key readable while the old event key is held', () => {
    const eventKey2 = { ...generateEventKey(EVENT_ID, 2) };
    const token2 = issueTicketToken(claims, { signingKey: newKey, eventKey: eventKey2 });
    const verifier = new TicketVerifier({ signingKeys: [newKey], eventKeys: [eventKey, eventKey2] });
    expect(verifier.verify(token2, NOW).ok).toBe(true);
    expect(verifier.verify(newToken, NOW).ok).toBe(true);
    const onlyNew = new TicketVerifier({ signingKeys: [newKey], eventKeys: [eventKey2] });
    expect(onlyNew.verify(newToken, NOW)).toMatchObject({ ok: false, reason: 'WRONG_EVENT' });
  });

  it('refuses to issue with an event key of another event or out-of-range claims', () => {
    const other = generateEventKey('0190c3a4-7b2e-7cc1-9d3e-000000000b0b');
    expect(() => issueTicketToken(claims, { signingKey: newKey, eventKey: other })).toThrow(RangeError);
    expect(() => issueTicketToken({ ...claims, ticketSerial: 0 }, { signingKey: newKey, eventKey })).toThrow(
      RangeError,
    );
    expect(() =>
      issueTicketToken({ ...claims, generation: 70_000 }, { signingKey: newKey, eventKey }),
    ).toThrow(RangeError);
    expect(() =>
      issueTicketToken({ ...claims, validFrom: NOW, validUntil: NOW }, { signingKey: newKey, eventKey }),
    ).toThrow(RangeError);
  });
});

describe('key wrapping at rest', () => {
  const kek = globalThis.crypto.getRandomValues(new Uint8Array(32));
  const secret = globalThis.crypto.getRandomValues(new Uint8Array(32));

  it('unwraps with the same KEK and context', () => {
    const wrapped = wrapKey(kek, secret, `event-key:${EVENT_ID}:1`);
    expect(wrapped).not.toContain(toBase64Url(secret));
    expect(unwrapKey(kek, wrapped, `event-key:${EVENT_ID}:1`)).toEqual(secret);
  });

  it('fails with another KEK, another context, or damaged text', () => {
    const wrapped = wrapKey(kek, secret, 'signing-key:1');
    const otherKek = globalThis.crypto.getRandomValues(new Uint8Array(32));
    expect(() => unwrapKey(otherKek, wrapped, 'signing-key:1')).toThrow(KeyUnwrapError);
    expect(() => unwrapKey(kek, wrapped, 'signing-key:2')).toThrow(KeyUnwrapError);
    expect(() => unwrapKey(kek, `${wrapped.slice(0, -2)}AA`, 'signing-key:1')).toThrow(KeyUnwrapError);
    expect(() => unwrapKey(kek, 'nonsense', 'signing-key:1')).toThrow(KeyUnwrapError);
  });

  it('parses a KEK from base64 or base64url and refuses other lengths', () => {
    expect(parseKeyEncryptionKey(Buffer.from(kek).toString('base64'))).toEqual(kek);
    expect(parseKeyEncryptionKey(toBase64Url(kek))).toEqual(kek);
    expect(parseKeyEncryptionKey(Buffer.alloc(16).toString('base64'))).toBeUndefined();
    expect(parseKeyEncryptionKey('not base64 at all!')).toBeUndefined();
  });
});

describe('detached signatures', () => {
  it('verifies a manifest page with the trusted key and refuses any change', () => {
    const cloudKey = generateSigningKeyPair(3);
    const page = utf8('{"ops":[1,2,3]}');
    const { keyId, signature } = signManifestPage(cloudKey, page);
    const verify = createManifestPageVerifier([cloudKey]);
    expect(verify(keyId, page, signature)).toBe(true);
    expect(verify(keyId, utf8('{"ops":[1,2,4]}'), signature)).toBe(false);
    expect(verify(4, page, signature)).toBe(false);
    expect(verify(keyId, page, signature.subarray(1))).toBe(false);
  });

  it('keeps contexts apart: a device-request signature is no manifest-page signature', () => {
    const device = generateDeviceKeyPair();
    const message = utf8('GET /api/v1/sync/manifest');
    const signature = signDetached(device.privateKey, message, 'device-request');
    expect(verifyDetached(device.publicKey, message, signature, 'device-request')).toBe(true);
    expect(verifyDetached(device.publicKey, message, signature, 'manifest-page')).toBe(false);
    expect(verifyDetached(new Uint8Array(5), message, signature, 'device-request')).toBe(false);
  });
});
