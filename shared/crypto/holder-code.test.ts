import { generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import fc from 'fast-check';
import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import {
  encodeHolderCode,
  HOLDER_CODE_BYTES,
  HOLDER_CODE_TEXT_LENGTH,
  type HolderCodeFields,
  type HolderKeyAlg,
  holderCodeSigningInput,
  holderCodeStep,
  holderEventTag,
  looksLikeHolderCode,
  parseHolderCode,
  signingInputOf,
} from './holder-code';
import { holderPublicKeyValid, verifyHolderSignature } from './holder-code-verify';
import {
  HOLDER_KEY_BOX_MAX_LENGTH,
  holderKeyBoxVersion,
  openHolderKey,
  sealHolderKey,
} from './holder-key-box';
import { eventTagOf } from './ticket-token';

const EVENT = '0190f3a2-7c1e-7b7a-9d2e-3c4b5a697887';
/** A committed box (event key 7×32, public key 9×32, nonce zero): the construction must not drift. */
const FIXED_BOX =
  'hk1.AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAJcftlhV4cTsCT-paP2tEEF_IUrbxi7EmpQH5vjcfbmmjQZc57W8c6UzxLM1wKWx20HR53k';
const OTHER_EVENT = '0190f3a2-7c1e-7b7a-9d2e-3c4b5a697888';

/** A device key as the wallet makes it, held by node crypto for the test. */
function deviceKey(alg: HolderKeyAlg): { publicKey: Uint8Array; sign(message: Uint8Array): Uint8Array } {
  if (alg === 'Ed25519') {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12));
    return { publicKey: raw, sign: (m) => new Uint8Array(sign(null, m, privateKey)) };
  }
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  // The uncompressed point ends the DER SPKI (a JWK export of an EC key can deadlock in Node 20 when a
  // garbage collection frees the key pair's job meanwhile: gate-agent/test-support/holder-device.ts).
  const raw = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(-65));
  const key: KeyObject = privateKey;
  return {
    publicKey: raw,
    sign: (m) => new Uint8Array(sign('sha256', m, { key, dsaEncoding: 'ieee-p1363' })),
  };
}

function fields(overrides: Partial<HolderCodeFields> = {}): HolderCodeFields {
  return {
    eventTag: holderEventTag(EVENT),
    serial: 1234,
    generation: 2,
    bindingNo: 1,
    step: holderCodeStep(Date.UTC(2027, 6, 1, 20)),
    ...overrides,
  };
}

describe('holder code layout', () => {
  it('tags events exactly as the static token does', () => {
    expect(holderEventTag(EVENT)).toBe(eventTagOf(EVENT));
    expect(holderEventTag(OTHER_EVENT)).toBe(eventTagOf(OTHER_EVENT));
  });

  it('counts 15-second steps', () => {
    expect(holderCodeStep(0)).toBe(0);
    expect(holderCodeStep(14_999)).toBe(0);
    expect(holderCodeStep(15_000)).toBe(1);
  });

  it('round-trips any fields through 122 base45 characters', () => {
    fc.assert(
      fc.property(
        fc.record({
          eventTag: fc.integer({ min: 0, max: 0xffff_ffff }),
          serial: fc.integer({ min: 1, max: 0xffff_ffff }),
          generation: fc.integer({ min: 0, max: 0xffff }),
          bindingNo: fc.integer({ min: 0, max: 0xffff }),
          step: fc.integer({ min: 0, max: 0xffff_ffff }),
        }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        (f, signature) => {
          const text = encodeHolderCode(f, signature);
          expect(text).toHaveLength(HOLDER_CODE_TEXT_LENGTH);
          expect(looksLikeHolderCode(text)).toBe(true);
          const parsed = parseHolderCode(text);
          if (!parsed.ok) throw new Error(parsed.detail);
          expect(parsed.fields).toEqual(f);
          expect(parsed.signature).toEqual(signature);
          expect(signingInputOf(EVENT, parsed)).toEqual(holderCodeSigningInput(EVENT, f));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('fits one alphanumeric segment of QR version 7 at level M with room to spare', () => {
    const text = encodeHolderCode(
      fields({ serial: 0xffff_ffff, step: 0xffff_ffff }),
      new Uint8Array(64).fill(255),
    );
    const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
    expect(qr.segments.map((s: { mode: { id: string } }) => s.mode.id)).toEqual(['Alphanumeric']);
    expect(qr.version).toBeLessThanOrEqual(7);
    expect(HOLDER_CODE_BYTES).toBe(81);
  });

  it('refuses what is not a version-2 code, with a detail, never throwing', () => {
    const good = encodeHolderCode(fields(), new Uint8Array(64));
    expect(parseHolderCode(good).ok).toBe(true);
    expect(parseHolderCode('')).toMatchObject({ ok: false, detail: 'length' });
    expect(parseHolderCode(`${good}0`)).toMatchObject({ ok: false, detail: 'length' });
    expect(parseHolderCode(good.replace(/^./, 'a'))).toMatchObject({ ok: false, detail: 'encoding' });
    expect(parseHolderCode(`${':::'.repeat(40)}00`)).toMatchObject({ ok: false, detail: 'encoding' });
    expect(parseHolderCode(undefined as unknown as string)).toMatchObject({
      ok: false,
      detail: 'not-a-string',
    });
    expect(() => encodeHolderCode(fields({ serial: 0 }), new Uint8Array(64))).toThrow(RangeError);
    expect(() => encodeHolderCode(fields(), new Uint8Array(63))).toThrow(RangeError);
  });

  it('refuses version 1 bytes and serial 0 even when well encoded', async () => {
    const { encodeBase45 } = await import('./base45');
    const raw = new Uint8Array(HOLDER_CODE_BYTES);
    raw[0] = 1;
    raw[8] = 7;
    expect(parseHolderCode(encodeBase45(raw))).toMatchObject({ ok: false, detail: 'version' });
    raw[0] = 2;
    raw[8] = 0;
    expect(parseHolderCode(encodeBase45(raw))).toMatchObject({ ok: false, detail: 'claims' });
    expect(looksLikeHolderCode(encodeBase45(raw))).toBe(true);
  });
});

describe.each(['Ed25519', 'ES256'] as const)('holder signatures (%s)', (alg) => {
  it('verifies the device signature over the event and the fields, and nothing else', () => {
    const device = deviceKey(alg);
    const f = fields();
    const code = parseHolderCode(encodeHolderCode(f, device.sign(holderCodeSigningInput(EVENT, f))));
    if (!code.ok) throw new Error(code.detail);
    expect(holderPublicKeyValid(alg, device.publicKey)).toBe(true);
    expect(verifyHolderSignature(alg, device.publicKey, signingInputOf(EVENT, code), code.signature)).toBe(
      true,
    );
    // Another event (same bytes), another device, a changed step, a flipped signature bit: all refused.
    expect(
      verifyHolderSignature(alg, device.publicKey, signingInputOf(OTHER_EVENT, code), code.signature),
    ).toBe(false);
    expect(
      verifyHolderSignature(alg, deviceKey(alg).publicKey, signingInputOf(EVENT, code), code.signature),
    ).toBe(false);
    const later = holderCodeSigningInput(EVENT, { ...f, step: f.step + 1 });
    expect(verifyHolderSignature(alg, device.publicKey, later, code.signature)).toBe(false);
    const flipped = code.signature.slice();
    flipped[10]! ^= 1;
    expect(verifyHolderSignature(alg, device.publicKey, signingInputOf(EVENT, code), flipped)).toBe(false);
  });

  it('refuses keys that are not keys of the algorithm', () => {
    const other = alg === 'Ed25519' ? 'ES256' : 'Ed25519';
    expect(holderPublicKeyValid(alg, deviceKey(other).publicKey)).toBe(false);
    expect(holderPublicKeyValid(alg, new Uint8Array(alg === 'Ed25519' ? 32 : 65))).toBe(false);
    if (alg === 'ES256') {
      const offCurve = deviceKey('ES256').publicKey.slice();
      offCurve[64]! ^= 1;
      expect(holderPublicKeyValid(alg, offCurve)).toBe(false);
    } else {
      // The Ed25519 identity point (small order).
      const identity = new Uint8Array(32);
      identity[0] = 1;
      expect(holderPublicKeyValid(alg, identity)).toBe(false);
    }
    expect(verifyHolderSignature(alg, new Uint8Array(3), new Uint8Array(1), new Uint8Array(64))).toBe(false);
  });
});

describe('holder key box (hk1)', () => {
  const eventKey = new Uint8Array(randomBytes(32));
  const keys = (v: number) => (v === 3 ? eventKey : undefined);
  const ctx = { eventId: EVENT, serial: 77, generation: 1 };

  it('opens for its own ticket under its event key, with the window', () => {
    for (const alg of ['Ed25519', 'ES256'] as const) {
      const binding = {
        alg,
        publicKey: deviceKey(alg).publicKey,
        bindingNo: 4,
        validFrom: 1_800_000_000_000,
        validUntil: 1_800_003_600_000,
      };
      const box = sealHolderKey(eventKey, 3, ctx, binding);
      expect(box.length).toBeLessThanOrEqual(HOLDER_KEY_BOX_MAX_LENGTH);
      expect(holderKeyBoxVersion(box)).toBe(3);
      expect(openHolderKey(keys, ctx, box)).toEqual(binding);
      const plain = sealHolderKey(eventKey, 3, ctx, { alg, publicKey: binding.publicKey, bindingNo: 1 });
      expect(openHolderKey(keys, ctx, plain)).toEqual({ alg, publicKey: binding.publicKey, bindingNo: 1 });
    }
  });

  it('does not open for another ticket, generation, event, key or a changed byte', () => {
    const box = sealHolderKey(eventKey, 3, ctx, {
      alg: 'Ed25519',
      publicKey: deviceKey('Ed25519').publicKey,
      bindingNo: 1,
    });
    expect(openHolderKey(keys, { ...ctx, serial: 78 }, box)).toBeUndefined();
    expect(openHolderKey(keys, { ...ctx, generation: 2 }, box)).toBeUndefined();
    expect(openHolderKey(keys, { ...ctx, eventId: OTHER_EVENT }, box)).toBeUndefined();
    expect(openHolderKey(() => new Uint8Array(randomBytes(32)), ctx, box)).toBeUndefined();
    expect(openHolderKey(() => undefined, ctx, box)).toBeUndefined();
    const i = box.length - 5;
    const changed = box.slice(0, i) + (box[i] === 'A' ? 'B' : 'A') + box.slice(i + 1);
    expect(openHolderKey(keys, ctx, changed)).toBeUndefined();
    expect(openHolderKey(keys, ctx, 'hn1.abc')).toBeUndefined();
    expect(openHolderKey(keys, ctx, 42 as unknown as string)).toBeUndefined();
  });

  it('seals exactly the committed bytes for a fixed nonce, and opens them', () => {
    const fixedKey = new Uint8Array(32).fill(7);
    const publicKey = new Uint8Array(32).fill(9);
    const box = sealHolderKey(
      fixedKey,
      1,
      ctx,
      { alg: 'Ed25519', publicKey, bindingNo: 2 },
      { nonce: new Uint8Array(24) },
    );
    expect(box).toBe(FIXED_BOX);
    expect(openHolderKey(() => fixedKey, ctx, FIXED_BOX)?.bindingNo).toBe(2);
  });

  it('refuses to seal a bad binding', () => {
    expect(() =>
      sealHolderKey(eventKey, 3, ctx, { alg: 'Ed25519', publicKey: new Uint8Array(31), bindingNo: 1 }),
    ).toThrow(RangeError);
    expect(() =>
      sealHolderKey(eventKey, 3, ctx, { alg: 'Ed25519', publicKey: new Uint8Array(32), bindingNo: 0 }),
    ).toThrow(RangeError);
    expect(() =>
      sealHolderKey(eventKey, 0, ctx, { alg: 'Ed25519', publicKey: new Uint8Array(32), bindingNo: 1 }),
    ).toThrow(RangeError);
  });
});
