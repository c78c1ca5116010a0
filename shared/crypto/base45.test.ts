import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase45, encodeBase45 } from './base45';

const text = (s: string) => new TextEncoder().encode(s);

describe('base45 (RFC 9285)', () => {
  it.each([
    ['AB', 'BB8'],
    ['Hello!!', '%69 VD92EX0'],
    ['base-45', 'UJCLQE7W581'],
    ['ietf!', 'QED8WEX0'],
  ])('encodes %s as the RFC example %s and back', (plain, encoded) => {
    expect(encodeBase45(text(plain))).toBe(encoded);
    expect(decodeBase45(encoded)).toEqual(text(plain));
  });

  it('rejects what RFC 9285 section 4.2 says must be rejected', () => {
    expect(decodeBase45('GGW')).toBeUndefined(); // 65536 overflows two bytes
    expect(decodeBase45('ZZ')).toBeUndefined(); // 2024 overflows one byte
    expect(decodeBase45('A')).toBeUndefined(); // length 1 mod 3
    expect(decodeBase45('ab8')).toBeUndefined(); // lower case is not in the alphabet
    expect(decodeBase45('BB\u00e9')).toBeUndefined();
  });

  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(decodeBase45(encodeBase45(bytes))).toEqual(bytes);
      }),
    );
  });
});
