/**
 * Holder names (issue 17): what a name may be, and its box for the gates. A name is stored normalised
 * for the holder and the organiser, and travels to gates only sealed to the ticket's current code
 * (shared/crypto/holder-name-box.ts, "hn1"): every change of the name or of the code (a transfer)
 * re-seals it. Pure: no database, so purchases, transfers and name changes all use the same rules.
 */
import { decodeTicketToken, sealHolderName } from '../../shared/crypto';
import type { tickets } from '../db/schema';

/** The longest name, in characters (Unicode code points) after trimming. */
export const HOLDER_NAME_MAX_CHARS = 100;

/** C0 and C1 controls, DEL, and the line/paragraph separators: a name is one printable line. */
const CONTROL = /[\p{Cc}\u2028\u2029]/u;

/**
 * A name as stored: NFC, trimmed, null when empty; or why it cannot be one. Never throws.
 * (Trimming first, then NFC: NFC never adds leading or trailing white space.)
 */
export function normaliseHolderName(
  input: string | null | undefined,
): { ok: true; name: string | null } | { ok: false; message: string } {
  if (input === null || input === undefined) return { ok: true, name: null };
  const name = input.trim().normalize('NFC');
  if (name === '') return { ok: true, name: null };
  if (CONTROL.test(name)) return { ok: false, message: 'must not contain control characters or line breaks' };
  if ([...name].length > HOLDER_NAME_MAX_CHARS) {
    return { ok: false, message: `at most ${HOLDER_NAME_MAX_CHARS} characters` };
  }
  return { ok: true, name };
}

/** The ticket fields a box is sealed to. */
export type SealTarget = Pick<typeof tickets.$inferSelect, 'qr' | 'eventId' | 'serial' | 'generation'>;

/**
 * The box gates get for `name` on the ticket with token `qr` (null for no name). The key comes from
 * the token's decoded bytes — exactly what a gate holds after decoding the scanned QR text.
 */
export function nameBoxFor(ticket: SealTarget, name: string | null): string | null {
  if (name === null) return null;
  const decoded = decodeTicketToken(ticket.qr);
  if ('ok' in decoded) throw new Error('nameBoxFor: the ticket’s token does not decode');
  return sealHolderName(
    decoded.bytes,
    { eventId: ticket.eventId, serial: ticket.serial, generation: ticket.generation },
    name,
  );
}
