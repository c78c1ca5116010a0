/**
 * The tickets a purchase will issue, planned before anything is locked or charged (CPU work must not
 * hold a lock): their serials, signed tokens and — when the buyer named the holders (issue 17) — each
 * holder's name and its box sealed to that ticket's token. The names are checked here first, so a bad
 * name is a 400 before any serial is taken or any money moves.
 */
import { fail, type Result } from '../errors';
import type { ServiceContext } from './context';
import { nameBoxFor, normaliseHolderName } from './holder-name-rules';
import type { ReservationRow } from './reservations';
import { type MintedToken, mintToken } from './tickets';

/** A ticket of a purchase, minted before anything is locked or charged. */
export interface PlannedTicket {
  id: string;
  ticketTypeId: string;
  serial: number;
  typeNo: number;
  token: MintedToken;
  holderName: string | null;
  nameBox: string | null;
}

/** How many tickets a hold becomes. */
function ticketCount(hold: Pick<ReservationRow, 'items'>): number {
  return hold.items.reduce((sum, item) => sum + item.quantity, 0);
}

/**
 * The holder names of a purchase, normalised and aligned with its tickets (in the hold's item order):
 * absent → no names; otherwise exactly one entry (a name or null) per ticket.
 */
export function holderNamesOf(
  hold: Pick<ReservationRow, 'items'>,
  holderNames: readonly (string | null)[] | undefined,
): Result<{ names: (string | null)[] }> {
  const count = ticketCount(hold);
  if (holderNames === undefined) return { ok: true, names: new Array<string | null>(count).fill(null) };
  if (holderNames.length !== count) {
    return fail(
      'VALIDATION_FAILED',
      `holderNames: ${holderNames.length} names for ${count} tickets (one per ticket, null for none)`,
    );
  }
  const names: (string | null)[] = [];
  for (const [i, raw] of holderNames.entries()) {
    const normalised = normaliseHolderName(raw);
    if (!normalised.ok) return fail('VALIDATION_FAILED', `holderNames.${i}: ${normalised.message}`);
    names.push(normalised.name);
  }
  return { ok: true, names };
}

/** Takes serials and mints every ticket of the hold, sealing each named holder's box to its token. */
export async function planTickets(
  ctx: ServiceContext,
  hold: ReservationRow,
  keyVersion: number,
  names: readonly (string | null)[],
): Promise<PlannedTicket[]> {
  let serial = await ctx.serials.allocate(hold.eventId, ticketCount(hold));
  const planned: PlannedTicket[] = [];
  for (const item of hold.items) {
    for (let i = 0; i < item.quantity; i++) {
      const token = await mintToken(ctx, {
        eventId: hold.eventId,
        keyVersion,
        serial,
        typeNo: item.typeNo,
        generation: 1,
      });
      const holderName = names[planned.length] ?? null;
      const nameBox = nameBoxFor({ qr: token.qr, eventId: hold.eventId, serial, generation: 1 }, holderName);
      const { ticketTypeId, typeNo } = item;
      planned.push({ id: ctx.newId(), ticketTypeId, serial, typeNo, token, holderName, nameBox });
      serial++;
    }
  }
  return planned;
}
