/**
 * Venue and customer analytics against a scenario whose answers are known: two events at one venue (one
 * whose doors have opened, one next week) and a draft, tickets in two currencies, a refund, a transfer,
 * and gate scans with a clear peak minute. Plus who may read them: the tenant's admin and ops; customers
 * and venue staff 403; other tenants 404 exactly like a missing id.
 */
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';
import { enrollTestDevice, refreshDeviceToken } from '../test-support/devices';
import { scanRecord } from '../test-support/scan-records';

const MINUTE = 60_000;
const DAY = 86_400_000;

let cloud: TestCloud;
let seeded: SeededEvent;
let t0: number;
let nextWeekId: string;

async function created(response: Promise<{ status: number; body: { id: string } }>) {
  const result = await response;
  expect(result.status).toBe(201);
  return result.body;
}

beforeAll(async () => {
  cloud = await createTestCloud();
  t0 = cloud.now();
  // Tonight's event: Standard 25.00 EUR; a US ticket type at 40.00 USD.
  seeded = await seedEvent(cloud, { capacities: [100] });
  const usd = await created(
    cloud.call('POST', `/api/v1/events/${seeded.eventId}/ticket-types`, {
      token: seeded.adminToken,
      body: { name: 'US', priceCents: 4000, currency: 'USD', capacity: 10 },
    }),
  );
  seeded.ticketTypeIds.push(usd.id);
  // Next week's event at the same venue, 10.00 EUR, and a draft that was never on sale.
  const nextWeek = await created(
    cloud.call('POST', '/api/v1/events', {
      token: seeded.adminToken,
      body: {
        venueId: seeded.venueId,
        name: 'Next week',
        startsAt: new Date(t0 + 7 * DAY).toISOString(),
        endsAt: new Date(t0 + 7 * DAY + 3 * 3_600_000).toISOString(),
      },
    }),
  );
  nextWeekId = nextWeek.id;
  const nextWeekType = await created(
    cloud.call('POST', `/api/v1/events/${nextWeekId}/ticket-types`, {
      token: seeded.adminToken,
      body: { name: 'Standard', priceCents: 1000, currency: 'EUR', capacity: 50 },
    }),
  );
  expect(
    (await cloud.call('POST', `/api/v1/events/${nextWeekId}/publish`, { token: seeded.adminToken })).status,
  ).toBe(200);
  await created(
    cloud.call('POST', '/api/v1/events', {
      token: seeded.adminToken,
      body: {
        venueId: seeded.venueId,
        name: 'Draft',
        startsAt: new Date(t0 + DAY).toISOString(),
        endsAt: new Date(t0 + DAY + 3_600_000).toISOString(),
      },
    }),
  );

  const cust1 = await cloud.token('customer', seeded.tenant, 'cust-1');
  const cust2 = await cloud.token('customer', seeded.tenant, 'cust-2');
  const cust3 = await cloud.token('customer', seeded.tenant, 'cust-3');
  const standard = await buyTickets(cloud, seeded, { quantity: 3, customerToken: cust1 }); // 75.00 EUR
  await buyTickets(cloud, seeded, { typeIndex: 1, quantity: 1, customerToken: cust1 }); // 40.00 USD
  const refunded = await buyTickets(cloud, seeded, { typeIndex: 1, quantity: 1, customerToken: cust2 });
  await buyTickets(
    cloud,
    { ...seeded, eventId: nextWeekId, ticketTypeIds: [nextWeekType.id] },
    { quantity: 2, customerToken: cust3 },
  ); // 20.00 EUR
  expect(
    (await cloud.call('POST', `/api/v1/orders/${refunded.purchase.order.id}/refund`, { token: cust2 }))
      .status,
  ).toBe(200);
  const [kept1, kept2, given] = standard.purchase.tickets as Array<{ id: string }>;
  const transfer = await cloud.call('POST', `/api/v1/tickets/${given!.id}/transfer`, {
    token: cust1,
    body: { toUserId: 'cust-4' },
  });
  expect(transfer.status).toBe(200);

  // At the doors: cust-1's two kept tickets in the same minute, cust-4's a few minutes later, then out.
  const serialOf = async (ticketId: string) =>
    (await cloud.call('GET', `/api/v1/tickets/${ticketId}`, { token: seeded.adminToken })).body;
  const device = await enrollTestDevice(cloud, seeded, 0);
  const scan = (seq: number, minutes: number, serial: number, direction: 'in' | 'out') =>
    scanRecord({
      seq,
      gateId: device.enrollment.gate.id,
      eventId: seeded.eventId,
      ticketSerial: serial,
      direction,
      scannedAt: t0 + minutes * MINUTE,
    });
  const serials: number[] = [];
  for (const ticket of [kept1!, kept2!, given!]) {
    const view = await serialOf(ticket.id);
    serials.push(view.serial ?? Number.NaN);
  }
  cloud.advance(2 * 3_600_000); // doors of tonight's event have opened
  await refreshDeviceToken(cloud, device);
  const upload = await cloud.call('POST', '/api/v1/sync/scans', {
    token: device.accessToken,
    body: {
      scans: [
        scan(1, 65, serials[0]!, 'in'),
        scan(2, 65.5, serials[1]!, 'in'),
        scan(3, 70, serials[2]!, 'in'),
        scan(4, 90, serials[2]!, 'out'),
      ],
    },
  });
  expect(upload.body.ackedSeq).toBe(4);
}, 120_000);

afterAll(async () => {
  await cloud?.close();
});

describe('venue analytics', () => {
  it('counts events, tickets, revenue per currency, attendance and the peak entry minute', async () => {
    const response = await cloud.call('GET', `/api/v1/analytics/venues/${seeded.venueId}`, {
      token: seeded.adminToken,
    });
    expect(response.status).toBe(200);
    const analytics = response.body;
    expect(analytics).toMatchObject({
      venueId: seeded.venueId,
      venueName: 'Arena',
      timezone: 'Europe/Berlin',
      from: null,
      to: null,
      events: 2,
      cancelledEvents: 0,
      ticketsSold: 7,
      ticketsValid: 6,
      ticketsRevoked: 1,
      revenue: [
        { currency: 'EUR', orders: 2, grossCents: 9500, refundedCents: 0, netCents: 9500 },
        { currency: 'USD', orders: 2, grossCents: 8000, refundedCents: 4000, netCents: 4000 },
      ],
      // Only tonight's event counts (next week's doors have not opened): 3 of its 4 valid tickets came.
      attendance: { validTickets: 4, admitted: 3, rate: 0.75 },
      peakEntryMinute: {
        minute: new Date(t0 + 65 * MINUTE).toISOString(),
        entries: 2,
        eventId: seeded.eventId,
      },
    });
    expect(analytics.byEvent).toEqual([
      {
        eventId: seeded.eventId,
        name: 'Concert',
        status: 'published',
        startsAt: new Date(t0 + 3 * 3_600_000).toISOString(),
        ticketsSold: 5,
        ticketsValid: 4,
        admitted: 3,
        attendanceRate: 0.75,
        revenue: [
          { currency: 'EUR', orders: 1, grossCents: 7500, refundedCents: 0, netCents: 7500 },
          { currency: 'USD', orders: 2, grossCents: 8000, refundedCents: 4000, netCents: 4000 },
        ],
      },
      {
        eventId: nextWeekId,
        name: 'Next week',
        status: 'published',
        startsAt: new Date(t0 + 7 * DAY).toISOString(),
        ticketsSold: 2,
        ticketsValid: 2,
        admitted: 0,
        attendanceRate: null,
        revenue: [{ currency: 'EUR', orders: 1, grossCents: 2000, refundedCents: 0, netCents: 2000 }],
      },
    ]);
  });

  it('limits to events starting in [from, to)', async () => {
    const from = new Date(t0 + DAY).toISOString();
    const response = await cloud.call(
      'GET',
      `/api/v1/analytics/venues/${seeded.venueId}?from=${encodeURIComponent(from)}`,
      { token: seeded.adminToken },
    );
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      from,
      to: null,
      events: 1,
      ticketsSold: 2,
      revenue: [{ currency: 'EUR', orders: 1, grossCents: 2000, refundedCents: 0, netCents: 2000 }],
      attendance: { validTickets: 0, admitted: 0, rate: null },
      peakEntryMinute: null,
    });
    const empty = await cloud.call(
      'GET',
      `/api/v1/analytics/venues/${seeded.venueId}?to=${encodeURIComponent(new Date(t0).toISOString())}`,
      { token: seeded.adminToken },
    );
    expect(empty.body).toMatchObject({ events: 0, ticketsSold: 0, revenue: [], byEvent: [] });
  });

  it('refuses bad ranges and ids with 400, other tenants with 404, and roles other than admin and ops', async () => {
    const base = `/api/v1/analytics/venues/${seeded.venueId}`;
    const token = seeded.adminToken;
    const later = encodeURIComponent(new Date(t0 + DAY).toISOString());
    const earlier = encodeURIComponent(new Date(t0).toISOString());
    expect((await cloud.call('GET', `${base}?from=${later}&to=${earlier}`, { token })).status).toBe(400);
    expect((await cloud.call('GET', `${base}?from=yesterday`, { token })).status).toBe(400);
    expect((await cloud.call('GET', '/api/v1/analytics/venues/not-a-uuid', { token })).status).toBe(400);
    const stranger = await cloud.token('admin', 'another-tenant');
    const foreign = await cloud.call('GET', base, { token: stranger });
    const missing = await cloud.call('GET', `/api/v1/analytics/venues/${uuidv7()}`, { token });
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(foreign.body.error.message).toBe(missing.body.error.message);
    for (const role of ['customer', 'venue_staff'] as const) {
      expect((await cloud.call('GET', base, { token: await cloud.token(role, seeded.tenant) })).status).toBe(
        403,
      );
    }
    const ops = await cloud.call('GET', base, { token: await cloud.token('ops', 'platform') });
    expect(ops.status).toBe(200);
    expect(ops.body.ticketsSold).toBe(7);
  });
});

describe('customer analytics', () => {
  it('shows what a customer bought, holds, gave away and attended', async () => {
    const response = await cloud.call('GET', '/api/v1/analytics/customers/cust-1', {
      token: seeded.adminToken,
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      customerId: 'cust-1',
      orders: 2,
      firstOrderAt: new Date(t0).toISOString(),
      lastOrderAt: new Date(t0).toISOString(),
      spend: [
        { currency: 'EUR', orders: 1, grossCents: 7500, refundedCents: 0, netCents: 7500 },
        { currency: 'USD', orders: 1, grossCents: 4000, refundedCents: 0, netCents: 4000 },
      ],
      tickets: { held: 3, valid: 3, revoked: 0, transferredAway: 1 },
      attendance: { eventsAttended: 1, validTickets: 3, admitted: 2, rate: 0.6667 },
      events: [
        {
          eventId: seeded.eventId,
          name: 'Concert',
          startsAt: new Date(t0 + 3 * 3_600_000).toISOString(),
          tickets: 3,
          validTickets: 3,
          admitted: 2,
        },
      ],
    });
  });

  it('counts a refund as spent and returned, and a received ticket as held', async () => {
    const refunded = await cloud.call('GET', '/api/v1/analytics/customers/cust-2', {
      token: seeded.adminToken,
    });
    expect(refunded.body).toMatchObject({
      orders: 1,
      spend: [{ currency: 'USD', orders: 1, grossCents: 4000, refundedCents: 4000, netCents: 0 }],
      tickets: { held: 1, valid: 0, revoked: 1, transferredAway: 0 },
      attendance: { eventsAttended: 0, validTickets: 0, admitted: 0, rate: null },
    });
    const receiver = await cloud.call('GET', '/api/v1/analytics/customers/cust-4', {
      token: seeded.adminToken,
    });
    expect(receiver.body).toMatchObject({
      orders: 0,
      spend: [],
      firstOrderAt: null,
      tickets: { held: 1, valid: 1, revoked: 0, transferredAway: 0 },
      attendance: { eventsAttended: 1, validTickets: 1, admitted: 1, rate: 1 },
    });
  });

  it('answers 404 for unknown and other tenants’ customers, 400 for bad ids, 403 for other roles', async () => {
    const token = seeded.adminToken;
    const unknown = await cloud.call('GET', '/api/v1/analytics/customers/nobody', { token });
    expect(unknown.status).toBe(404);
    const stranger = await cloud.token('admin', 'another-tenant');
    const foreign = await cloud.call('GET', '/api/v1/analytics/customers/cust-1', { token: stranger });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.message).toBe(unknown.body.error.message);
    expect((await cloud.call('GET', '/api/v1/analytics/customers/has%20space', { token })).status).toBe(400);
    expect(
      (await cloud.call('GET', `/api/v1/analytics/customers/${'x'.repeat(129)}`, { token })).status,
    ).toBe(400);
    for (const role of ['customer', 'venue_staff'] as const) {
      const other = await cloud.token(role, seeded.tenant, 'cust-1');
      expect((await cloud.call('GET', '/api/v1/analytics/customers/cust-1', { token: other })).status).toBe(
        403,
      );
    }
    const ops = await cloud.call('GET', '/api/v1/analytics/customers/cust-3', {
      token: await cloud.token('ops', 'platform'),
    });
    expect(ops.status).toBe(200);
    expect(ops.body.spend).toEqual([
      { currency: 'EUR', orders: 1, grossCents: 2000, refundedCents: 0, netCents: 2000 },
    ]);
  });
});
