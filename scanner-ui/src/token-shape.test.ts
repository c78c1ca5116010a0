/**
 * The token shape the wedge waits on: real tokens issued by shared/crypto (every claim length) have it,
 * fragments, a token missing its first characters and other text do not, and the repeated constants
 * match shared/crypto's.
 */
import { describe, expect, it } from 'vitest';
import { encodeHolderCode } from '../../shared/crypto/holder-code';
import { generateEventKey, generateSigningKeyPair } from '../../shared/crypto/keys';
import {
  issueTicketToken,
  TOKEN_MAX_BYTES,
  TOKEN_MIN_BYTES,
  TOKEN_VERSION,
} from '../../shared/crypto/ticket-token';
import { tokenLikeCode } from '../test-support/codes';
import { looksLikeWholeToken, TOKEN_SHAPE } from './token-shape';

const EVENT_ID = '6f0c1e8e-2b1a-4c57-9d0e-0a1b2c3d4e5f';

describe('looksLikeWholeToken', () => {
  it('holds the byte bounds of shared/crypto', () => {
    expect(TOKEN_SHAPE).toEqual({
      minBytes: TOKEN_MIN_BYTES,
      maxBytes: TOKEN_MAX_BYTES,
      version: TOKEN_VERSION,
    });
  });

  it('is true for issued tokens of every size, and for the tests’ token-like codes', () => {
    const keys = { signingKey: generateSigningKeyPair(5), eventKey: generateEventKey(EVENT_ID) };
    const base = { eventId: EVENT_ID, ticketSerial: 1042, ticketTypeNo: 2, generation: 0 };
    const at = Date.UTC(2026, 5, 1);
    for (const claims of [
      base,
      { ...base, validFrom: at },
      { ...base, validFrom: at, validUntil: at + 3_600_000 },
    ]) {
      for (let i = 0; i < 20; i++) {
        const token = issueTicketToken(claims, keys);
        expect(looksLikeWholeToken(token)).toBe(true);
        // Without its first characters (a slow start the wedge might drop) it is never whole.
        for (const drop of [1, 2, 3]) expect(looksLikeWholeToken(token.slice(drop))).toBe(false);
      }
    }
    expect(looksLikeWholeToken(tokenLikeCode(1))).toBe(true);
  });

  it('is true for the wallet’s rotating code (issue 20), false for its fragments and a static token’s', () => {
    const fields = { eventTag: 7, serial: 1042, generation: 0, bindingNo: 1, step: 118_000_000 };
    const code = encodeHolderCode(fields, new Uint8Array(64).fill(9));
    expect(looksLikeWholeToken(code)).toBe(true);
    for (const drop of [1, 2, 3]) expect(looksLikeWholeToken(code.slice(drop))).toBe(false);
    expect(looksLikeWholeToken(code.slice(0, 60))).toBe(false);
    expect(looksLikeWholeToken(tokenLikeCode(1).slice(0, code.length))).toBe(false);
  });

  it('is false for a fragment, a token with a piece missing or added, lower case and garbage', () => {
    const token = tokenLikeCode(1);
    expect(looksLikeWholeToken(token.slice(0, 60))).toBe(false);
    expect(looksLikeWholeToken(token.slice(0, 169))).toBe(false);
    expect(looksLikeWholeToken(`${token}AB`)).toBe(false);
    expect(looksLikeWholeToken(token.toLowerCase())).toBe(false);
    expect(looksLikeWholeToken('GARBAGE-123$%*+./:NOT A TICKET')).toBe(false);
    expect(looksLikeWholeToken(`${token.slice(0, 100)}#${token.slice(101)}`)).toBe(false);
  });
});
