/**
 * The peer wire contract: a record is its origin's word (tampering with any field breaks it), and a
 * message opens only when it parses, comes from a listed device with that device's signature, is
 * addressed to this gate, and is fresh. Every refusal names why.
 */
import { describe, expect, it } from 'vitest';
import {
  createDetachedSigner,
  createDetachedVerifier,
  generateDeviceKeyPair,
} from '../../shared/crypto/index';
import { newNonce, openMessage, sealMessage } from './peer-messages';
import {
  admissionRecordBytes,
  admissionSignatureValid,
  MAX_PEER_CLOCK_SKEW_MS,
  PEER_PROTOCOL_VERSION,
  PeerAdmission,
  PushMessage,
  signAdmission,
  type UnsignedAdmission,
} from './protocol';

const EVENT = '0190c3a4-7b2e-7cc1-9d3e-5a1b2c3d4e5f';
const GATE = '0190c3a4-7b2e-7cc1-9d3e-00000000000a';
const NOW = Date.UTC(2026, 5, 1, 19);
const a = { id: '0190c3a4-0000-7000-8000-00000000000a', keys: generateDeviceKeyPair() };
const b = { id: '0190c3a4-0000-7000-8000-00000000000b', keys: generateDeviceKeyPair() };
const intruder = generateDeviceKeyPair();

const record: UnsignedAdmission = {
  eventId: EVENT,
  serial: 42,
  origin: a.id,
  originSeq: 1,
  direction: 'in',
  at: NOW,
  gateId: GATE,
  unconfirmed: false,
};
const signRecordA = createDetachedSigner(a.keys.privateKey, 'admission-record');
const verifyRecordA = createDetachedVerifier(a.keys.publicKey, 'admission-record');

describe('admission records', () => {
  it('verify with the origin’s key and fail when any field or the key differs', () => {
    const signed = signAdmission(record, signRecordA);
    expect(admissionSignatureValid(signed, verifyRecordA)).toBe(true);
    const tampered: Array<Partial<UnsignedAdmission>> = [
      { serial: 43 },
      { originSeq: 2 },
      { direction: 'out' },
      { at: NOW + 1 },
      { unconfirmed: true },
      { gateId: '0190c3a4-7b2e-7cc1-9d3e-00000000000b' },
      { eventId: '0190c3a4-7b2e-7cc1-9d3e-5a1b2c3d4e50' },
    ];
    for (const change of tampered)
      expect(admissionSignatureValid({ ...signed, ...change }, verifyRecordA)).toBe(false);
    // Signed in another context (a peer message) or by another device: not a record of A.
    const asMessage = signAdmission(record, createDetachedSigner(a.keys.privateKey, 'peer-message'));
    expect(admissionSignatureValid(asMessage, verifyRecordA)).toBe(false);
    const byIntruder = signAdmission(record, createDetachedSigner(intruder.privateKey, 'admission-record'));
    expect(admissionSignatureValid(byIntruder, verifyRecordA)).toBe(false);
    expect(admissionSignatureValid({ ...signed, signature: 'x'.repeat(86) }, verifyRecordA)).toBe(false);
  });
});

describe('peer messages', () => {
  const identityA = { deviceId: a.id, sign: createDetachedSigner(a.keys.privateKey, 'peer-message') };
  const keysOfB = (eventId: string, deviceId: string) =>
    eventId === EVENT && deviceId === a.id
      ? createDetachedVerifier(a.keys.publicKey, 'peer-message')
      : undefined;
  const push = (overrides: Partial<PushMessage> = {}): PushMessage => ({
    protocol: PEER_PROTOCOL_VERSION,
    kind: 'push',
    from: a.id,
    to: b.id,
    eventId: EVENT,
    sentAt: NOW,
    nonce: newNonce(),
    records: [signAdmission(record, signRecordA)],
    ...overrides,
  });
  const open = (sealed: { body: Uint8Array; headers: Record<string, string> }, now = NOW) =>
    openMessage(
      PushMessage,
      sealed.body,
      { device: sealed.headers['x-peer-device'], signature: sealed.headers['x-peer-signature'] },
      { selfDeviceId: b.id, keyOf: keysOfB, now },
    );

  it('opens a sealed message from a listed peer', () => {
    const opened = open(sealMessage(identityA, push()));
    expect(opened.ok).toBe(true);
    // Addressed to nobody in particular (first contact through a static address): also fine.
    expect(open(sealMessage(identityA, push({ to: null }))).ok).toBe(true);
  });

  it('refuses, naming why', () => {
    const sealed = sealMessage(identityA, push());
    const why = (opened: ReturnType<typeof open>) => (opened.ok ? 'opened' : opened.why);
    // A body changed after signing.
    const altered = new TextEncoder().encode(
      new TextDecoder().decode(sealed.body).replace('"serial":42', '"serial":43'),
    );
    expect(why(open({ ...sealed, body: altered }))).toBe('bad-signature');
    // A device that is not on the event's peer list (or claims another's id with its own key).
    const stranger = {
      deviceId: '0190c3a4-0000-7000-8000-0000000000ff',
      sign: createDetachedSigner(intruder.privateKey, 'peer-message'),
    };
    expect(why(open(sealMessage(stranger, push({ from: stranger.deviceId }))))).toBe('unknown-peer');
    const impostor = { deviceId: a.id, sign: createDetachedSigner(intruder.privateKey, 'peer-message') };
    expect(why(open(sealMessage(impostor, push())))).toBe('bad-signature');
    // Header and body disagree on the sender.
    expect(why(open({ ...sealed, headers: { ...sealed.headers, 'x-peer-device': b.id } }))).toBe('malformed');
    expect(why(open(sealMessage(identityA, push({ to: a.id }))))).toBe('wrong-recipient');
    expect(why(open(sealed, NOW + MAX_PEER_CLOCK_SKEW_MS + 1))).toBe('stale');
    expect(why(open({ ...sealed, body: new TextEncoder().encode('{"not":"a message"}') }))).toBe('malformed');
    expect(why(open({ ...sealed, body: new Uint8Array([0xff, 0xfe]) }))).toBe('malformed');
  });
});

describe('undo records between peers (issue 17)', () => {
  const undo: UnsignedAdmission = {
    ...record,
    originSeq: 2,
    direction: 'undo',
    undoes: { origin: a.id, originSeq: 1 },
    at: NOW + 1,
  };

  it('entries and exits sign exactly the bytes they signed before undo records existed', () => {
    const text = new TextDecoder().decode(admissionRecordBytes(record));
    expect(text).toBe(['admission/v1', EVENT, 42, a.id, 1, 'in', NOW, GATE, 0].join('\n'));
  });

  it('an undo record signs the record it undoes too: changing it breaks the signature', () => {
    const signed = signAdmission(undo, signRecordA);
    expect(PeerAdmission.safeParse(signed).success).toBe(true);
    expect(admissionSignatureValid(signed, verifyRecordA)).toBe(true);
    const retargeted = { ...signed, undoes: { origin: a.id, originSeq: 7 } };
    expect(admissionSignatureValid(retargeted, verifyRecordA)).toBe(false);
  });

  it('only an undo record carries undoes, and an undo record must', () => {
    const signed = signAdmission(undo, signRecordA);
    const { undoes: _undoes, ...bare } = signed;
    expect(PeerAdmission.safeParse(bare).success).toBe(false);
    expect(
      PeerAdmission.safeParse({ ...signAdmission(record, signRecordA), undoes: undo.undoes }).success,
    ).toBe(false);
  });
});
