/**
 * Holder names sealed to a ticket's code (holder-name-box.ts, "hn1"): they open with that ticket's token
 * bytes and identity only — never with another code, under another ticket's identity or after a changed
 * byte — and a box tells a name's length only in 32-byte steps.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from './bytes';
import {
  HOLDER_NAME_BOX_MAX_LENGTH,
  HOLDER_NAME_BOX_PREFIX,
  HOLDER_NAME_MAX_BYTES,
  openHolderName,
  sealHolderName,
} from './holder-name-box';
import { generateEventKey, generateSigningKeyPair } from './keys';
import { decodeTicketToken, issueTicketToken } from './ticket-token';

const eventId = randomUUID();
const eventKey = generateEventKey(eventId, 1);
const signingKey = generateSigningKeyPair(1);
const context = { eventId, serial: 17, generation: 1 };

function tokenBytes(serial: number, generation: number): Uint8Array {
  const qr = issueTicketToken(
    { eventId, ticketSerial: serial, ticketTypeNo: 0, generation },
    { signingKey, eventKey },
  );
  const decoded = decodeTicketToken(qr);
  if ('ok' in decoded) throw new Error('issued token does not decode');
  return decoded.bytes;
}

const code = tokenBytes(17, 1);
const NAMES = ['Ann', 'Zoë Ångström', '李小龙', 'Ada 🦊 Lovelace', 'x'.repeat(100), '👩‍🚀'.repeat(20)];

/** The sealed byte count of a box (nonce and tag excluded): what a stolen copy learns of the name. */
function paddedLength(box: string): number {
  return fromBase64Url(box.slice(HOLDER_NAME_BOX_PREFIX.length))!.length - 24 - 16;
}

describe('holder name box', () => {
  it('round-trips names in any script', () => {
    for (const name of NAMES) {
      const box = sealHolderName(code, context, name);
      expect(box.startsWith(HOLDER_NAME_BOX_PREFIX)).toBe(true);
      expect(box.length).toBeLessThanOrEqual(HOLDER_NAME_BOX_MAX_LENGTH);
      expect(openHolderName(code, context, box)).toBe(name);
    }
  });

  it('holds no plaintext and differs on every seal (random nonce)', () => {
    const box = sealHolderName(code, context, 'Zoë Ångström');
    expect(box).not.toBe(sealHolderName(code, context, 'Zoë Ångström'));
    const bytes = Buffer.from(fromBase64Url(box.slice(4))!);
    // Every 6-byte run of the name must be absent. A shorter probe fails by chance: random ciphertext of
    // 72 bytes holds a given 2-byte run about once in 900 seals (it did, once, in CI).
    const name = Buffer.from('Zoë Ångström', 'utf8');
    for (let at = 0; at + 6 <= name.length; at++)
      expect(bytes.includes(name.subarray(at, at + 6))).toBe(false);
  });

  it('does not open with another ticket’s code, not even the same ticket’s previous generation', () => {
    const box = sealHolderName(code, context, 'Ann');
    expect(openHolderName(tokenBytes(17, 1), context, box)).toBeNull(); // re-issued: new token nonce
    expect(openHolderName(tokenBytes(18, 1), context, box)).toBeNull();
    expect(openHolderName(new Uint8Array(code.length), context, box)).toBeNull();
  });

  it('does not open under another ticket’s identity (a box moved to another row)', () => {
    const box = sealHolderName(code, context, 'Ann');
    expect(openHolderName(code, { ...context, serial: 18 }, box)).toBeNull();
    expect(openHolderName(code, { ...context, generation: 2 }, box)).toBeNull();
    expect(openHolderName(code, { ...context, eventId: randomUUID() }, box)).toBeNull();
  });

  it('answers null for any changed byte, truncation or foreign text, never throws', () => {
    const box = sealHolderName(code, context, 'Ann');
    const bytes = fromBase64Url(box.slice(4))!;
    for (let i = 0; i < bytes.length; i++) {
      const changed = Uint8Array.from(bytes);
      changed[i]! ^= 0x01;
      expect(openHolderName(code, context, HOLDER_NAME_BOX_PREFIX + toBase64Url(changed))).toBeNull();
    }
    expect(openHolderName(code, context, box.slice(0, -4))).toBeNull();
    expect(openHolderName(code, context, `hn2.${box.slice(4)}`)).toBeNull();
    expect(openHolderName(code, context, '')).toBeNull();
    expect(openHolderName(code, context, `${box}!`)).toBeNull();
    expect(openHolderName(code, context, `hn1.${'A'.repeat(HOLDER_NAME_BOX_MAX_LENGTH)}`)).toBeNull();
  });

  it('pads to 32 bytes, longer names to the next multiple of 32', () => {
    expect(paddedLength(sealHolderName(code, context, ''))).toBe(32);
    expect(paddedLength(sealHolderName(code, context, 'A'))).toBe(32);
    expect(paddedLength(sealHolderName(code, context, 'A'.repeat(31)))).toBe(32);
    expect(paddedLength(sealHolderName(code, context, 'A'.repeat(32)))).toBe(64);
    expect(paddedLength(sealHolderName(code, context, '李'.repeat(10)))).toBe(32); // 30 bytes
    expect(paddedLength(sealHolderName(code, context, '李'.repeat(11)))).toBe(64); // 33 bytes
    const longest = sealHolderName(code, context, '🦊'.repeat(100));
    expect(paddedLength(longest)).toBe(416);
    expect(longest.length).toBe(HOLDER_NAME_BOX_MAX_LENGTH);
  });

  it('refuses a name over the limit and a bad context (the caller’s bug)', () => {
    expect(() => sealHolderName(code, context, 'a'.repeat(HOLDER_NAME_MAX_BYTES + 1))).toThrow(RangeError);
    expect(() => sealHolderName(code, { ...context, serial: 0 }, 'Ann')).toThrow(RangeError);
    expect(openHolderName(code, { ...context, serial: 0 }, sealHolderName(code, context, 'Ann'))).toBeNull();
  });
});
