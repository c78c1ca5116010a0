/**
 * Whether scanned text decodes as a whole ticket token: base45 of a token's length in bytes, starting
 * with the token version. The wedge uses it to tell a burst that ended because the code was complete
 * from a fragment the page cut off while it was busy (the fragment then waits briefly for its
 * continuation), and a late first key of the token from a person's key before it. A shape, not a
 * check — signature and keys are the gate agent's business. shared/crypto/ticket-token.ts needs
 * node:crypto, so its constants are repeated here and token-shape.test.ts holds them to it.
 */
import { decodeBase45 } from '../../shared/crypto/base45';
import { looksLikeHolderCode } from '../../shared/crypto/holder-code';

/** shared/crypto/ticket-token.ts: TOKEN_MIN_BYTES … TOKEN_MAX_BYTES, and TOKEN_VERSION. */
export const TOKEN_SHAPE = { minBytes: 108, maxBytes: 116, version: 1 } as const;

/** The most characters a token has (116 bytes → 58 base45 triples): longer text is not decoded. */
const MAX_CHARS = (TOKEN_SHAPE.maxBytes / 2) * 3;

/**
 * True when `text` (already normalised: shared/admission/scanned-text) decodes as a whole token — a static
 * ticket token, or the wallet's holder-bound rotating code (issue 20: 122 characters, version 2).
 */
export function looksLikeWholeToken(text: string): boolean {
  if (text.length > MAX_CHARS) return false;
  if (looksLikeHolderCode(text)) return true;
  const bytes = decodeBase45(text);
  return (
    bytes !== undefined &&
    bytes.length >= TOKEN_SHAPE.minBytes &&
    bytes.length <= TOKEN_SHAPE.maxBytes &&
    bytes[0] === TOKEN_SHAPE.version
  );
}
