/**
 * The bare primitives a ticket decision is made of, timed alone: ChaCha20-Poly1305 opening the token's
 * sealed part and SHA-256 over its bytes. The token crypto benchmark reports them, and the gate decision
 * benchmark adds them to its floor, so both time exactly the same work.
 */
import { createHash } from 'node:crypto';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { concatBytes, uuidToBytes } from '../../shared/crypto/bytes';
import { type DecodedToken, decodeTicketToken } from '../../shared/crypto/index';
import { type Sample, timeEach } from './measure';

/** Decodes benchmark tokens; a token that does not decode is a broken benchmark. */
export function decodeBenchTokens(tokens: readonly string[]): DecodedToken[] {
  return tokens.map((t) => {
    const decoded = decodeTicketToken(t);
    if ('ok' in decoded) throw new Error('bench token does not decode');
    return decoded;
  });
}

/** Times decrypt and SHA-256 over the given tokens of `eventId` (sealed with `eventKey`), in turn. */
export function timeTokenPrimitives(
  decoded: readonly DecodedToken[],
  event: { eventId: string; key: Uint8Array },
  iterations: number,
): { decrypt: Sample; sha: Sample } {
  const eventIdBytes = uuidToBytes(event.eventId);
  const token = (i: number) => decoded[i % decoded.length]!;
  const decrypt = timeEach(
    (i) => {
      const d = token(i);
      return chacha20poly1305(
        event.key,
        d.nonce,
        concatBytes(d.signedPart.subarray(0, 7), eventIdBytes),
      ).decrypt(d.sealed);
    },
    { iterations },
  );
  const sha = timeEach((i) => createHash('sha256').update(token(i).bytes).digest(), { iterations });
  return { decrypt, sha };
}
