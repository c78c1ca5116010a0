/**
 * Checks every committed test vector (test-vectors/tokens.json): valid tokens decode to their claims
 * and digest and are reproduced byte for byte from their inputs; must-fail tokens give their rejection.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeBase45 } from './base45';
import type { EventKey, TrustedSigningKey } from './keys';
import { issueTicketToken, type TicketClaims, TicketVerifier, ticketTokenDigest } from './ticket-token';

interface Vectors {
  signingKeys: Array<{ keyId: number; privateKeyHex: string; publicKeyHex: string }>;
  eventKeys: Array<{ eventId: string; keyVersion: number; keyHex: string }>;
  valid: Array<{
    name: string;
    token: string;
    nonce: string;
    signingKeyId: number;
    eventKeyVersion: number;
    now: number;
    claims: TicketClaims;
    digest: string;
  }>;
  fail: Array<{
    name: string;
    token: string;
    now: number;
    reason: string;
    detail: string;
    trustedKeyIds?: number[];
  }>;
}

const vectors = JSON.parse(
  readFileSync(new URL('./test-vectors/tokens.json', import.meta.url), 'utf8'),
) as Vectors;
const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const trusted: TrustedSigningKey[] = vectors.signingKeys.map((k) => ({
  keyId: k.keyId,
  publicKey: hex(k.publicKeyHex),
}));
const eventKeys: EventKey[] = vectors.eventKeys.map((k) => ({
  eventId: k.eventId,
  keyVersion: k.keyVersion,
  key: hex(k.keyHex),
}));
const verifier = new TicketVerifier({ signingKeys: trusted, eventKeys });

describe('ticket token test vectors', () => {
  it('has valid and must-fail vectors', () => {
    expect(vectors.valid.length).toBeGreaterThanOrEqual(4);
    expect(vectors.fail.length).toBeGreaterThanOrEqual(15);
  });

  it.each(vectors.valid.map((v) => [v.name, v] as const))('valid: %s', (_name, v) => {
    const verdict = verifier.verify(v.token, v.now);
    expect(verdict).toEqual({ ok: true, claims: v.claims, keyId: v.signingKeyId, digest: v.digest });
    expect(ticketTokenDigest(v.token)).toBe(v.digest);
    expect(v.token.length).toBeLessThanOrEqual(180);
    expect(v.token).toMatch(/^[0-9A-Z $%*+\-./:]+$/);
    // The format is stable: the same inputs produce the same bytes (Ed25519 is deterministic).
    const key = vectors.signingKeys.find((k) => k.keyId === v.signingKeyId)!;
    const reissued = issueTicketToken(
      v.claims,
      {
        signingKey: {
          keyId: key.keyId,
          privateKey: hex(key.privateKeyHex),
          publicKey: hex(key.publicKeyHex),
        },
        eventKey: eventKeys.find((k) => k.keyVersion === v.eventKeyVersion)!,
      },
      { nonce: Uint8Array.from(Buffer.from(v.nonce, 'base64url')) },
    );
    expect(reissued).toBe(v.token);
  });

  it.each(vectors.fail.map((v) => [v.name, v] as const))('must fail: %s', (_name, v) => {
    const signingKeys = v.trustedKeyIds ? trusted.filter((k) => v.trustedKeyIds!.includes(k.keyId)) : trusted;
    const verdict = new TicketVerifier({ signingKeys, eventKeys }).verify(v.token, v.now);
    expect(verdict).toEqual({ ok: false, reason: v.reason, detail: v.detail });
  });

  it('documents the sizes README.md states', () => {
    const lengths = vectors.valid.map((v) => v.token.length);
    expect(Math.min(...lengths)).toBe(162);
    expect(Math.max(...lengths)).toBe(174);
    expect(decodeBase45(vectors.valid[1]!.token)!.length).toBe(116);
  });
});
