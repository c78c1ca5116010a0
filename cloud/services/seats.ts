/**
 * Giving seats back. `ticket_types.taken` counts the seats in active holds and valid tickets
 * (services/reservations.ts explains the one counter); a hold that ends, a refund and a cancellation
 * return theirs through `returnSeats`.
 */
import { eq, sql } from 'drizzle-orm';
import type { Transaction } from '../db/client';
import { ticketTypes } from '../db/schema';

/** Seats of one ticket type: a held item, or revoked tickets counted one each. */
export interface Seats {
  ticketTypeId: string;
  quantity: number;
}

/**
 * Returns seats inside the caller's transaction: one UPDATE per ticket type, in ticket-type id order —
 * the order every writer of ticket_types locks rows in, so two writers never deadlock.
 */
export async function returnSeats(tx: Transaction, seats: Iterable<Seats>): Promise<void> {
  const totals = new Map<string, number>();
  for (const { ticketTypeId, quantity } of seats) {
    totals.set(ticketTypeId, (totals.get(ticketTypeId) ?? 0) + quantity);
  }
  for (const [ticketTypeId, quantity] of [...totals.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    await tx
      .update(ticketTypes)
      .set({ taken: sql`${ticketTypes.taken} - ${quantity}` })
      .where(eq(ticketTypes.id, ticketTypeId));
  }
}

/** The seats of tickets (one each), e.g. those a refund or a cancellation revoked. */
export function seatsOfTickets(tickets: Iterable<{ ticketTypeId: string }>): Seats[] {
  return [...tickets].map((ticket) => ({ ticketTypeId: ticket.ticketTypeId, quantity: 1 }));
}
