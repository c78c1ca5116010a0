/**
 * Seeds the demo, through the public API, when the cloud has no demo data yet: a tenant with a venue,
 * two gates (North, VIP), a published event, two ticket types (General anywhere, VIP only through the
 * VIP gate), and a few sold tickets whose QR codes the demo page shows — one valid, one to be used once,
 * one refunded (revoked), one VIP ticket for the other gate. What it made is kept in a JSON file so a
 * second `npm start` reuses the same data.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { DemoApi } from './api';

export interface DemoTicket {
  label: string;
  expect: string;
  ticketId: string;
  qr: string;
}

export interface DemoState {
  tenant: string;
  venueId: string;
  gates: { north: string; vip: string };
  eventId: string;
  eventName: string;
  tickets: DemoTicket[];
  /** The ticket that is scanned once at seeding time, so scanning it again shows ALREADY USED. */
  usedTicketQr: string;
}

interface Purchase {
  order: { id: string };
  tickets: Array<{ id: string; ticketTypeId: string; qr: string }>;
}

async function buy(
  api: DemoApi,
  customer: string,
  eventId: string,
  ticketTypeId: string,
  quantity: number,
  holderNames?: (string | null)[],
) {
  const hold = await api.call<{ id: string }>(
    'customer',
    customer,
    'POST',
    `/events/${eventId}/reservations`,
    {
      items: [{ ticketTypeId, quantity }],
    },
  );
  return api.call<Purchase>(
    'customer',
    customer,
    'POST',
    `/reservations/${hold.id}/purchase`,
    { paymentToken: 'tok_demo', ...(holderNames ? { holderNames } : {}) },
    { 'idempotency-key': randomUUID() },
  );
}

/** Loads the demo state from `file`, or seeds a new demo through `api` and stores it there. */
export async function ensureDemo(
  api: DemoApi,
  file: string,
  now = Date.now(),
): Promise<{ state: DemoState; created: boolean }> {
  if (existsSync(file)) return { state: JSON.parse(readFileSync(file, 'utf8')) as DemoState, created: false };
  const admin = 'demo-admin';
  const venue = await api.call<{ id: string }>('admin', admin, 'POST', '/venues', {
    name: 'Demo Arena',
    timezone: 'Europe/Berlin',
  });
  const north = await api.call<{ id: string }>('admin', admin, 'POST', `/venues/${venue.id}/gates`, {
    name: 'North',
  });
  const vip = await api.call<{ id: string }>('admin', admin, 'POST', `/venues/${venue.id}/gates`, {
    name: 'VIP',
    zone: 'VIP lounge',
  });
  const hour = 3_600_000;
  // Doors are open for the next 30 days, so the demo keeps working when it is started again later.
  const event = await api.call<{ id: string; name: string }>('admin', admin, 'POST', '/events', {
    venueId: venue.id,
    name: 'Demo Night',
    doorsOpenAt: new Date(now - hour).toISOString(),
    startsAt: new Date(now).toISOString(),
    endsAt: new Date(now + 30 * 24 * hour).toISOString(),
  });
  const general = await api.call<{ id: string }>('admin', admin, 'POST', `/events/${event.id}/ticket-types`, {
    name: 'General admission',
    priceCents: 3500,
    currency: 'EUR',
    capacity: 500,
  });
  const vipType = await api.call<{ id: string }>('admin', admin, 'POST', `/events/${event.id}/ticket-types`, {
    name: 'VIP',
    priceCents: 9900,
    currency: 'EUR',
    capacity: 50,
    gates: [vip.id],
  });
  await api.call('admin', admin, 'POST', `/events/${event.id}/publish`);

  const customer = 'demo-customer';
  // Holder names (issue 17): the scanner shows "Name: …" for these, opened from the gate's sealed boxes.
  const generals = await buy(api, customer, event.id, general.id, 3, ['Zoë Ångström', 'Ada Lovelace', null]);
  const refunded = await buy(api, customer, event.id, general.id, 1);
  // The doors are open, so only an admin refunds now, explicitly (the refund rules, docs/CONTRACT.md §5).
  await api.call('admin', admin, 'POST', `/orders/${refunded.order.id}/refund`, {
    override: true,
    reason: 'demo: a refunded ticket',
  });
  const vips = await buy(api, customer, event.id, vipType.id, 1, ['Grace Hopper']);
  // A little crowd, so the gate has a real manifest to sync: four buyers of ten (the hold cap's default).
  for (let i = 1; i <= 4; i++) await buy(api, `demo-crowd-${i}`, event.id, general.id, 10);

  const [valid, used, spare] = generals.tickets;
  const state: DemoState = {
    tenant: api.tenant,
    venueId: venue.id,
    gates: { north: north.id, vip: vip.id },
    eventId: event.id,
    eventName: event.name,
    usedTicketQr: used!.qr,
    tickets: [
      { label: 'Valid ticket', expect: 'ACCEPT at North', ticketId: valid!.id, qr: valid!.qr },
      {
        label: 'Already used',
        expect: 'REJECT: already used (scanned at North)',
        ticketId: used!.id,
        qr: used!.qr,
      },
      {
        label: 'Refunded ticket',
        expect: 'REJECT: revoked',
        ticketId: refunded.tickets[0]!.id,
        qr: refunded.tickets[0]!.qr,
      },
      {
        label: 'VIP ticket',
        expect: 'REJECT at North: wrong gate (use VIP)',
        ticketId: vips.tickets[0]!.id,
        qr: vips.tickets[0]!.qr,
      },
      { label: 'Another valid ticket', expect: 'ACCEPT at North', ticketId: spare!.id, qr: spare!.qr },
      { label: 'Not a ticket', expect: 'REJECT: invalid', ticketId: '', qr: 'THIS IS NOT A TICKET 12345' },
    ],
  };
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
  return { state, created: true };
}
