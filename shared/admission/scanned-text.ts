/**
 * What a scanner typed, made decodable — the one normalisation of scanned text, used by the gate's
 * decision pipeline, the cloud's `/validate` and the scanner UI, so a code gets the same treatment at
 * every door. No imports: the scanner UI's browser bundle takes it as it is.
 *
 * - Control characters a keyboard-wedge scanner adds at the ends (CR, LF, TAB, NUL) are stripped. Spaces
 *   are NOT: space is a base45 digit, and a token whose signing key id is 5, 50, 95, … begins with one.
 * - Ticket tokens (base45) have no lower-case letters at all, so text with lower-case letters can only
 *   come from a scanner typing through Caps Lock (which inverts the case it presses Shift for): it is
 *   upper-cased. Anything that is still not a token after this is refused by the decoder as INVALID.
 */

const WEDGE_NOISE = /^[\r\n\t\0]+|[\r\n\t\0]+$/g;

/** The scanned text as the token decoder should see it. Total: any string in, a string out. */
export function normaliseScannedText(raw: string): string {
  const text = raw.replace(WEDGE_NOISE, '');
  return /[a-z]/.test(text) ? text.toUpperCase() : text;
}
