/**
 * From scanned text to a checked token with real keys (shared/crypto): what opening refuses, when a token
 * of an unknown event is a genuine WRONG_EVENT, and that the digest path really skips the signature check
 * while every other path needs a valid signature.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  generateEventKey,
  generateSigningKeyPair,
  issueTicketToken,
  type OpenedToken,
  TicketVerifier,
  ticketTokenDigest,
} from '../crypto/index';
import { authenticateToken, openToken, type TokenKeys } from './authenticate';
import { changeTokenByte } from './test-support/tokens';

const cloudKey = generateSigningKeyPair(1);
const served = generateEventKey(randomUUID());
const other = generateEventKey(randomUUID());
const verifier = new TicketVerifier({
  signingKeys: [{ keyId: cloudKey.keyId, publicKey: cloudKey.publicKey }],
  eventKeys: [served],
});

function issue(eventKey = served, signingKey = cloudKey, serial = 7): string {
  return issueTicketToken(
    { eventId: eventKey.eventId, ticketSerial: serial, ticketTypeNo: 1, generation: 0 },
    { signingKey, eventKey },
  );
}

/** The verifier, counting signature checks. */
function counting(): TokenKeys & { signatureChecks: number } {
  const keys = {
    signatureChecks: 0,
    open: (text: string) => verifier.open(text),
    hasSigningKey: (keyId: number) => verifier.hasSigningKey(keyId),
    verifySignature: (decoded: Parameters<TicketVerifier['verifySignature']>[0]) => {
      keys.signatureChecks++;
      return verifier.verifySignature(decoded);
    },
  };
  return keys;
}

function opened(text: string): OpenedToken {
  const result = openToken(text, verifier);
  if (!result.ok) throw new Error(`did not open: ${result.detail}`);
  return result;
}

describe('openToken', () => {
  it('opens a token of a served event, also as a caps-lock wedge or with its CR LF', () => {
    const token = issue();
    for (const scanned of [token, token.toLowerCase(), `${token}\r\n`]) {
      expect(openToken(scanned, verifier)).toMatchObject({ ok: true, claims: { ticketSerial: 7 } });
    }
  });

  it.each([
    ['a number', 42, 'not-a-string'],
    ['garbage', 'HELLO WORLD', 'encoding'],
    ['a token with a changed ciphertext byte', changeTokenByte(issue(), 20), 'decrypt'],
  ])('refuses %s as INVALID (%s)', (_name, scanned, detail) => {
    expect(openToken(scanned, verifier)).toEqual({ ok: false, reason: 'INVALID', detail });
  });

  it('a genuine ticket of an event it has no key for is WRONG_EVENT', () => {
    expect(openToken(issue(other), verifier)).toMatchObject({ ok: false, reason: 'WRONG_EVENT' });
  });

  it('a token of an unknown event with a bad or untrusted signature is a forgery, not WRONG_EVENT', () => {
    const forged = changeTokenByte(issue(other), 100);
    expect(openToken(forged, verifier)).toEqual({ ok: false, reason: 'INVALID', detail: 'signature' });
    const foreign = issue(other, generateSigningKeyPair(9));
    expect(openToken(foreign, verifier)).toEqual({ ok: false, reason: 'UNKNOWN_KEY', detail: 'signing-key' });
  });
});

describe('authenticateToken', () => {
  it('takes the issued code on its digest alone, without checking the signature', () => {
    const token = issue();
    const keys = counting();
    const checked = authenticateToken(opened(token), ticketTokenDigest(token), keys);
    expect(checked).toMatchObject({ ok: true, authenticatedBy: 'manifest-digest' });
    expect(keys.signatureChecks).toBe(0);
  });

  it('checks the signature when the digest is unknown, empty or another, and carries the digest on', () => {
    const token = issue();
    for (const issuedDigest of [undefined, '', ticketTokenDigest(issue())]) {
      const keys = counting();
      expect(authenticateToken(opened(token), issuedDigest, keys)).toEqual({
        ok: true,
        claims: opened(token).claims,
        authenticatedBy: 'signature',
        digest: ticketTokenDigest(token),
      });
      expect(keys.signatureChecks).toBe(1);
    }
  });

  it('refuses a bad signature (INVALID) and a key it does not trust (UNKNOWN_KEY)', () => {
    const forged = changeTokenByte(issue(), 100);
    expect(authenticateToken(opened(forged), undefined, verifier)).toEqual({
      ok: false,
      reason: 'INVALID',
      detail: 'signature',
    });
    const foreign = issue(served, generateSigningKeyPair(9));
    expect(authenticateToken(opened(foreign), ticketTokenDigest(issue()), verifier)).toEqual({
      ok: false,
      reason: 'UNKNOWN_KEY',
      detail: 'signing-key',
    });
  });
});
