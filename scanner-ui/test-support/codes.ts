/**
 * Token-like test codes: what a ticket token looks like to the scanner UI — base45 text (the QR
 * alphanumeric set) that decodes to bytes of a token's length starting with the token version — without
 * being a real, signed token (scripted-agent decides nothing; the real agent's tests use issued ones).
 */
import { encodeBase45 } from '../../shared/crypto/base45';

/** A deterministic token-like code of `length` characters (170 by default); different seeds differ. */
export function tokenLikeCode(seed: number, length = 170): string {
  const bytes = new Uint8Array(Math.floor(length / 3) * 2 + (length % 3 === 2 ? 1 : 0));
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < bytes.length; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes[i] = state & 0xff;
  }
  bytes[0] = 1; // the token version (shared/crypto/ticket-token.ts)
  return encodeBase45(bytes);
}
