/**
 * The event a benchmark of the cloud runs against, made through the public API as the tenant's admin:
 * an event at a venue with one ticket type (EUR), published so tickets can be sold and scanned.
 */
import type { BenchCloud } from './cloud-process';

export interface EventPlan {
  venueId: string;
  name: string;
  startsAt: Date;
  endsAt: Date;
  doorsOpenAt?: Date;
}

export interface TicketTypePlan {
  name: string;
  priceCents: number;
  capacity: number;
}

/** Creates the event and its ticket type, then publishes it; returns their ids. */
export async function publishedEvent(
  cloud: BenchCloud,
  tenant: string,
  event: EventPlan,
  ticketType: TicketTypePlan,
): Promise<{ eventId: string; ticketTypeId: string }> {
  const created = await cloud.api('admin', tenant, 'POST', '/api/v1/events', {
    venueId: event.venueId,
    name: event.name,
    startsAt: event.startsAt.toISOString(),
    endsAt: event.endsAt.toISOString(),
    ...(event.doorsOpenAt ? { doorsOpenAt: event.doorsOpenAt.toISOString() } : {}),
  });
  const type = await cloud.api('admin', tenant, 'POST', `/api/v1/events/${created.id}/ticket-types`, {
    name: ticketType.name,
    priceCents: ticketType.priceCents,
    currency: 'EUR',
    capacity: ticketType.capacity,
  });
  await cloud.api('admin', tenant, 'POST', `/api/v1/events/${created.id}/publish`);
  return { eventId: created.id, ticketTypeId: type.id };
}
