/**
 * Demo data for `npm start` (SPEC section 2): a tenant with a venue, two gates (one VIP), a published event
 * whose doors are open, two ticket types and some sold tickets — created through the same services the
 * API uses, and only when the tenant has no venue yet (a second start returns what is there).
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import type { CloudApp } from './app';
import { events, gates, tickets, ticketTypes, venues } from './db/schema';
import type { Failure } from './errors';
import type { Actor } from './services/actor';
import { createEvent, publishEvent } from './services/events';
import { purchaseReservation } from './services/orders';
import { createReservation } from './services/reservations';
import { createTicketType } from './services/ticket-types';
import { createGate, createVenue } from './services/venues';

export interface DemoData {
  tenantId: string;
  venueId: string;
  gates: { id: string; name: string }[];
  eventId: string;
  ticketTypeIds: string[];
  tickets: { id: string; ticketTypeId: string; serial: number; qr: string; ownerUserId: string }[];
  created: boolean;
}

function must<T extends object>(result: ({ ok: true } & T) | Failure, step: string): T {
  if (!result.ok) throw new Error(`seed: ${step} failed: ${result.code} ${result.message}`);
  return result;
}

/** Seeds the demo tenant if it has no venue; returns its ids and sold tickets either way. */
export async function seedDemo(cloud: CloudApp, options: { tenantId?: string } = {}): Promise<DemoData> {
  const ctx = cloud.services;
  const tenantId = options.tenantId ?? 'demo';
  const [existing] = await ctx.db.select().from(venues).where(eq(venues.tenantId, tenantId)).limit(1);
  if (existing) return summarise(cloud, tenantId, existing.id, false);

  const admin: Actor = { userId: 'demo-admin', tenantId, role: 'admin' };
  const { venue } = must(
    await createVenue(ctx, admin, { name: 'Demo Arena', timezone: 'Europe/Berlin' }),
    'venue',
  );
  must(await createGate(ctx, admin, venue.id, { name: 'Main entrance' }), 'gate');
  const vip = must(await createGate(ctx, admin, venue.id, { name: 'VIP door', zone: 'VIP' }), 'gate').gate;
  const now = ctx.clock();
  const { event } = must(
    await createEvent(ctx, admin, {
      venueId: venue.id,
      name: 'Demo Night',
      doorsOpenAt: new Date(now - 3600_000).toISOString(),
      startsAt: new Date(now + 3600_000).toISOString(),
      endsAt: new Date(now + 8 * 3600_000).toISOString(),
    }),
    'event',
  );
  const general = must(
    await createTicketType(ctx, admin, event.id, {
      name: 'General',
      priceCents: 3500,
      currency: 'EUR',
      capacity: 500,
    }),
    'ticket type',
  ).ticketType;
  const vipType = must(
    await createTicketType(ctx, admin, event.id, {
      name: 'VIP',
      priceCents: 9900,
      currency: 'EUR',
      capacity: 50,
      gates: [vip.id],
    }),
    'ticket type',
  ).ticketType;
  must(await publishEvent(ctx, admin, event.id), 'publish');

  for (const [typeId, buyers] of [
    [general.id, 8],
    [vipType.id, 2],
  ] as const) {
    for (let i = 0; i < buyers; i++) {
      const customer: Actor = {
        userId: `demo-customer-${randomUUID().slice(0, 8)}`,
        tenantId,
        role: 'customer',
      };
      const { reservation } = must(
        await createReservation(ctx, customer, event.id, { items: [{ ticketTypeId: typeId, quantity: 2 }] }),
        'hold',
      );
      must(
        await purchaseReservation(ctx, customer, reservation.id, {
          paymentToken: 'tok_demo',
          idempotencyKey: `demo-seed-${reservation.id}`,
        }),
        'purchase',
      );
    }
  }
  return summarise(cloud, tenantId, venue.id, true);
}

async function summarise(
  cloud: CloudApp,
  tenantId: string,
  venueId: string,
  created: boolean,
): Promise<DemoData> {
  const db = cloud.services.db;
  const gateRows = await db
    .select({ id: gates.id, name: gates.name })
    .from(gates)
    .where(and(eq(gates.tenantId, tenantId), eq(gates.venueId, venueId)))
    .orderBy(asc(gates.id));
  const [event] = await db
    .select({ id: events.id })
    .from(events)
    .where(and(eq(events.tenantId, tenantId), eq(events.venueId, venueId)))
    .orderBy(asc(events.id))
    .limit(1);
  if (!event) throw new Error('seed: the demo venue has no event');
  const typeRows = await db
    .select({ id: ticketTypes.id })
    .from(ticketTypes)
    .where(eq(ticketTypes.eventId, event.id))
    .orderBy(asc(ticketTypes.typeNo));
  const ticketRows = await db
    .select({
      id: tickets.id,
      ticketTypeId: tickets.ticketTypeId,
      serial: tickets.serial,
      qr: tickets.qr,
      ownerUserId: tickets.ownerUserId,
    })
    .from(tickets)
    .where(and(eq(tickets.eventId, event.id), eq(tickets.status, 'valid')))
    .orderBy(asc(tickets.serial));
  return {
    tenantId,
    venueId,
    gates: gateRows,
    eventId: event.id,
    ticketTypeIds: typeRows.map((row) => row.id),
    tickets: ticketRows,
    created,
  };
}
