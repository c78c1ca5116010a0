/** Token-like test codes: base45 text (the QR alphanumeric set) of ticket-token length. */
const BASE45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

/** A deterministic 170-character base45 string; different seeds give different codes. */
export function tokenLikeCode(seed: number, length = 170): string {
  let state = (seed * 2654435761) >>> 0 || 1;
  let code = 'W5';
  while (code.length < length) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    code += BASE45[state % 45];
  }
  // A scanner never sends a trailing space that a person could not see; keep the ends visible.
  return code.replace(/ $/, '0');
}
