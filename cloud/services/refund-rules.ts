/**
 * When a refund is late (issue 15): the rules that end self-refunds, which only an admin's explicit
 * override sets aside (services/orders.ts `refundOrder`).
 *
 * - `doors_open`: the event's doors have opened — `doorsOpenAt`, or `startsAt` when it has none (doors
 *   never open after the start). From then on tickets can be used, so money back would be a free
 *   entry; gates admit nobody before that moment.
 * - `admitted`: a ticket of the order has ever been admitted — any standing admission record (an
 *   accepted entry or exit, from a gate's upload, online validation or the box office, not undone: an
 *   undone entry never came in, issue 17) of its serial in the cloud's history
 *   (cloud/db/admissions-schema.ts). "Ever admitted", not "inside now": a holder who went in and came
 *   out has used the ticket. This catches what the clock rule cannot: an early entry through a gate
 *   whose clock ran ahead, doors moved later after entries, an admin asked before the doors.
 *
 * Neither applies once the event is cancelled: every paid order of a cancelled event is owed its money
 * (the cancellation queues those refunds itself).
 *
 * The caller holds the order's ticket rows locked, and online validation locks the ticket row before it
 * records an admission, so an online admission either committed before this check (and is seen) or
 * finds the ticket revoked. A gate admitting offline is known to the cloud only once it uploads: that
 * window is what the doors rule closes.
 */
import { eq } from 'drizzle-orm';
import type { Transaction } from '../db/client';
import { events, type RefundOverride, type tickets } from '../db/schema';
import { anyAdmitted } from './admissions';

type OrderOfEvent = { eventId: string };
type TicketSerial = Pick<typeof tickets.$inferSelect, 'serial'>;

/** The first refund rule that stands in the way now, with a message for the caller; undefined: none. */
export async function lateRefundRule(
  tx: Transaction,
  order: OrderOfEvent,
  ticketsOfOrder: readonly TicketSerial[],
  now: Date,
): Promise<{ rule: RefundOverride; message: string } | undefined> {
  const [event] = await tx
    .select({ status: events.status, startsAt: events.startsAt, doorsOpenAt: events.doorsOpenAt })
    .from(events)
    .where(eq(events.id, order.eventId));
  if (!event || event.status === 'cancelled') return undefined;
  const serials = ticketsOfOrder.map((ticket) => ticket.serial);
  if (await anyAdmitted(tx, order.eventId, serials)) {
    return { rule: 'admitted', message: 'a ticket of this order has been admitted' };
  }
  const doorsOpen = event.doorsOpenAt ?? event.startsAt;
  if (doorsOpen.getTime() <= now.getTime()) {
    return { rule: 'doors_open', message: 'the doors have opened' };
  }
  return undefined;
}
