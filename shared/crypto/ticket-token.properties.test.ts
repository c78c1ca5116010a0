/**
 * Property tests (fast-check) of the token: no mutation of a valid token verifies or even opens, no
 * random input throws or verifies, and issue → verify round-trips for arbitrary claims.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASE45_ALPHABET, decodeBase45, encodeBase45 } from './base45';
import { generateEventKey, generateSigningKeyPair } from './keys';
import { issueTicketToken, type TicketClaims, TicketVerifier, TOKEN_MAX_LENGTH } from './ticket-token';

const EVENT_ID = '0190c3a4-7b2e-7cc1-9d3e-5a1b2c3d4e5f';
const signingKey = generateSigningKeyPair(1);
const eventKey = generateEventKey(EVENT_ID);
const verifier = new TicketVerifier({ signingKeys: [signingKey], eventKeys: [eventKey] });
const NOW = Date.UTC(2026, 5, 1, 18);
const seconds = fc.integer({ min: 0, max: 0xffff_ffff }).map((s) => s * 1000);

const claimsArb: fc.Arbitrary<TicketClaims> = fc
  .record({
    ticketSerial: fc.integer({ min: 1, max: 0xffff_ffff }),
    ticketTypeNo: fc.integer({ min: 0, max: 0xffff }),
    generation: fc.integer({ min: 0, max: 0xffff }),
    validFrom: fc.option(seconds, { nil: undefined }),
    validUntil: fc.option(seconds, { nil: undefined }),
  })
  .filter((c) => c.validFrom === undefined || c.validUntil === undefined || c.validFrom < c.validUntil)
  .map((c) => {
    const claims: TicketClaims = {
      eventId: EVENT_ID,
      ticketSerial: c.ticketSerial,
      ticketTypeNo: c.ticketTypeNo,
      generation: c.generation,
    };
    if (c.validFrom !== undefined) claims.validFrom = c.validFrom;
    if (c.validUntil !== undefined) claims.validUntil = c.validUntil;
    return claims;
  });

const validToken = issueTicketToken(
  { eventId: EVENT_ID, ticketSerial: 1234, ticketTypeNo: 2, generation: 1, validUntil: NOW + 3_600_000 },
  { signingKey, eventKey },
);
const validBytes = decodeBase45(validToken)!;

describe('ticket token properties', () => {
  it('issue → verify round-trips arbitrary claims within 180 QR-alphanumeric characters', () => {
    fc.assert(
      fc.property(claimsArb, (claims) => {
        const token = issueTicketToken(claims, { signingKey, eventKey });
        expect(token.length).toBeLessThanOrEqual(180);
        expect(token.length).toBeLessThanOrEqual(TOKEN_MAX_LENGTH);
        const now = claims.validFrom ?? (claims.validUntil !== undefined ? claims.validUntil - 1 : NOW);
        const verdict = verifier.verify(token, now);
        expect(verdict.ok && verdict.claims).toEqual(claims);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects every single-byte change of a valid token, in verify and in open', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: validBytes.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (index, flip) => {
          const mutated = Uint8Array.from(validBytes);
          mutated[index]! ^= flip;
          const token = encodeBase45(mutated);
          expect(verifier.verify(token, NOW).ok).toBe(false);
          // open() skips the signature, so a change there still decrypts; the digest (over every byte)
          // is what binds it, and it must differ from the genuine token's.
          const opened = verifier.open(token);
          const genuine = verifier.open(validToken);
          expect(genuine.ok).toBe(true);
          if (opened.ok && genuine.ok) expect(opened.digest).not.toBe(genuine.digest);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('rejects truncations, extensions and re-orderings', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: validBytes.length - 1 }),
        fc.integer({ min: 1, max: validBytes.length }),
        fc.uint8Array({ minLength: 0, maxLength: 8 }),
        (cut, rotate, extra) => {
          const truncated = encodeBase45(validBytes.subarray(0, cut));
          expect(verifier.verify(truncated, NOW).ok).toBe(false);
          const extended = encodeBase45(Uint8Array.from([...validBytes, ...extra]));
          if (extra.length > 0) expect(verifier.verify(extended, NOW).ok).toBe(false);
          const rotated = Uint8Array.from([
            ...validBytes.subarray(rotate),
            ...validBytes.subarray(0, rotate),
          ]);
          if (rotate !== validBytes.length)
            expect(verifier.verify(encodeBase45(rotated), NOW).ok).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws and never verifies on random strings or bytes of any length', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 400 }),
          fc.string({ unit: fc.constantFrom(...BASE45_ALPHABET), minLength: 150, maxLength: 180 }),
          fc.uint8Array({ minLength: 100, maxLength: 120 }).map(encodeBase45),
          fc.uint8Array({ minLength: 100, maxLength: 120 }).map((b) => {
            b[0] = 1; // a plausible version byte gets past the first check
            b[1] = 1;
            return encodeBase45(b);
          }),
        ),
        (input) => {
          expect(verifier.verify(input, NOW).ok).toBe(false);
          const opened = verifier.open(input);
          expect(opened.ok).toBe(false);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('never throws on values that are not strings', () => {
    for (const input of [undefined, null, 42, {}, [], new Uint8Array(116), Symbol('x')]) {
      expect(verifier.verify(input, NOW)).toMatchObject({ ok: false, reason: 'INVALID' });
      expect(verifier.open(input)).toMatchObject({ ok: false, reason: 'INVALID' });
    }
  });
});
