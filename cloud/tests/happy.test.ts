/**
 * Happy paths over HTTP on the real app: organiser setup, holds, purchase, tickets, QR, transfer,
 * refund, cancellation, online validation, lists and the ops endpoints.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buyTickets, createTestCloud, seedEvent, type TestCloud } from '../test-support/cloud';

let cloud: TestCloud;

beforeAll(async () => {
  cloud = await createTestCloud();
});

afterAll(async () => {
  await cloud?.close();
});

describe('organiser setup', () => {
  it('creates venue, gates, event, ticket types and publishes', async () => {
    const seeded = await seedEvent(cloud, { capacities: [10, 5], vipGate: true });
    const customer = await cloud.token('customer', seeded.tenant);
    const event = await cloud.call('GET', `/api/v1/events/${seeded.eventId}`, { token: customer });
    expect(event.status).toBe(200);
    expect(event.body.status).toBe('published');
    const types = await cloud.call('GET', `/api/v1/events/${seeded.eventId}/ticket-types`, {
      token: customer,
    });
    expect(types.status).toBe(200);
    expect(types.body.items).toHaveLength(2);
    expect(types.body.items[0]).toMatchObject({ capacity: 10, sold: 0, held: 0, available: 10, gates: null });
    expect(types.body.items[1].gates).toEqual([seeded.gateIds[1]]);
    expect(types.body.nextCursor).toBeNull();
  });

  it('hides drafts from customers and paginates lists', async () => {
    const seeded = await seedEvent(cloud, { publish: false });
    const customer = await cloud.token('customer', seeded.tenant);
    expect((await cloud.call('GET', `/api/v1/events/${seeded.eventId}`, { token: customer })).status).toBe(
      404,
    );
    const list = await cloud.call('GET', '/api/v1/events', { token: customer });
    expect(list.body).toEqual({ items: [], nextCursor: null });
    const page1 = await cloud.call('GET', `/api/v1/venues/${seeded.venueId}/gates?limit=1`, {
      token: seeded.adminToken,
    });
    expect(page1.body.items).toHaveLength(1);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await cloud.call(
      'GET',
      `/api/v1/venues/${seeded.venueId}/gates?limit=1&cursor=${page1.body.nextCursor}`,
      {
        token: seeded.adminToken,
      },
    );
    expect(page2.body.items).toHaveLength(1);
    expect(page2.body.items[0].id).not.toBe(page1.body.items[0].id);
    expect(page2.body.nextCursor).toBeNull();
  });

  it('patches an event and deletes one without tickets', async () => {
    const seeded = await seedEvent(cloud);
    const patched = await cloud.call('PATCH', `/api/v1/events/${seeded.eventId}`, {
      token: seeded.adminToken,
      body: { name: 'Renamed' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.name).toBe('Renamed');
    const deleted = await cloud.call('DELETE', `/api/v1/events/${seeded.eventId}`, {
      token: seeded.adminToken,
    });
    expect(deleted.status).toBe(204);
    expect(
      (await cloud.call('GET', `/api/v1/events/${seeded.eventId}`, { token: seeded.adminToken })).status,
    ).toBe(404);
  });
});

describe('buying', () => {
  it('holds, buys, lists tickets and renders the QR', async () => {
    const seeded = await seedEvent(cloud, { capacities: [10] });
    const { token, purchase } = await buyTickets(cloud, seeded, { quantity: 2 });
    expect(purchase.order).toMatchObject({ status: 'paid', totalCents: 5000, currency: 'EUR' });
    expect(purchase.tickets).toHaveLength(2);
    expect(purchase.tickets[0].qr).toMatch(/^[0-9A-Z $%*+\-./:]{100,180}$/);

    const mine = await cloud.call('GET', '/api/v1/me/tickets', { token });
    expect(mine.body.items.map((t: { id: string }) => t.id).sort()).toEqual(
      purchase.tickets.map((t: { id: string }) => t.id).sort(),
    );
    const ticket = await cloud.call('GET', `/api/v1/tickets/${purchase.tickets[0].id}`, { token });
    expect(ticket.body).toMatchObject({ status: 'valid', generation: 1, serial: expect.any(Number) });
    const svg = await cloud.call('GET', `/api/v1/tickets/${purchase.tickets[0].id}/qr.svg`, { token });
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toContain('image/svg+xml');
    expect(String(svg.body)).toContain('<svg');

    const types = await cloud.call('GET', `/api/v1/events/${seeded.eventId}/ticket-types`, { token });
    expect(types.body.items[0]).toMatchObject({ sold: 2, held: 0, available: 8 });
  });

  it('releases a hold at once', async () => {
    const seeded = await seedEvent(cloud, { capacities: [3] });
    const token = await cloud.token('customer', seeded.tenant);
    const hold = await cloud.call('POST', `/api/v1/events/${seeded.eventId}/reservations`, {
      token,
      body: { items: [{ ticketTypeId: seeded.ticketTypeIds[0], quantity: 3 }] },
    });
    expect(hold.status).toBe(201);
    expect(hold.body).toMatchObject({ totalCents: 7500, status: 'active' });
    const released = await cloud.call('DELETE', `/api/v1/reservations/${hold.body.id}`, { token });
    expect(released.status).toBe(204);
    const types = await cloud.call('GET', `/api/v1/events/${seeded.eventId}/ticket-types`, { token });
    expect(types.body.items[0].available).toBe(3);
  });
});

describe('online validation', () => {
  it('admits once, refuses a second entry, lets out and in again', async () => {
    const seeded = await seedEvent(cloud);
    const { purchase } = await buyTickets(cloud, seeded);
    const staff = await cloud.token('venue_staff', seeded.tenant);
    cloud.advance(2 * 3600_000); // doors are open
    const qr = purchase.tickets[0].qr;
    const scan = (direction: 'in' | 'out') =>
      cloud.call('POST', '/api/v1/validate', {
        token: staff,
        body: { qr, gateId: seeded.gateIds[0], direction },
      });
    const first = await scan('in');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ decision: 'accept', reason: 'OK' });
    expect((await scan('in')).body).toMatchObject({ decision: 'reject', reason: 'ALREADY_USED' });
    expect((await scan('out')).body).toMatchObject({ decision: 'accept' });
    expect((await scan('in')).body).toMatchObject({ decision: 'accept', reason: 'OK' });
    cloud.advance(-2 * 3600_000);
  });

  it('reads a code typed through caps lock or ending in the wedge’s CR LF as a gate does', async () => {
    const seeded = await seedEvent(cloud);
    const { purchase } = await buyTickets(cloud, seeded, { quantity: 2 });
    const staff = await cloud.token('venue_staff', seeded.tenant);
    cloud.advance(2 * 3600_000); // doors are open
    const scan = (qr: string) =>
      cloud.call('POST', '/api/v1/validate', { token: staff, body: { qr, gateId: seeded.gateIds[0] } });
    const [lowerCase, wedged] = [purchase.tickets[0].qr.toLowerCase(), `${purchase.tickets[1].qr}\r\n`];
    expect((await scan(lowerCase)).body).toMatchObject({ decision: 'accept', reason: 'OK' });
    expect((await scan(wedged)).body).toMatchObject({ decision: 'accept', reason: 'OK' });
    // The same ticket, however it was typed, is one ticket.
    expect((await scan(purchase.tickets[0].qr)).body).toMatchObject({ reason: 'ALREADY_USED' });
    cloud.advance(-2 * 3600_000);
  });
});

describe('ops', () => {
  it('serves health, readiness, OpenAPI and docs', async () => {
    expect((await cloud.call('GET', '/health')).status).toBe(200);
    expect((await cloud.call('GET', '/health/live')).status).toBe(200);
    const ready = await cloud.call('GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.database).toBe('ok');
    const doc = await cloud.call('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toContain('/api/v1/reservations/{id}/purchase');
    const docs = await cloud.call('GET', '/docs');
    expect(docs.status).toBe(200);
    // The reference's scripts come from this origin only (cloud/routes/api-docs.browser.test.ts renders it).
    expect(String(docs.body)).toContain('<script src="/docs/assets/scalar.js"></script>');
    expect(String(docs.body)).not.toMatch(/https?:\/\//i);
    expect(docs.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('serves metrics to ops with business counters', async () => {
    const ops = await cloud.token('ops', 'platform');
    const metrics = await cloud.call('GET', '/metrics', { token: ops });
    expect(metrics.status).toBe(200);
    expect(String(metrics.body)).toContain('http_requests_total');
    expect(String(metrics.body)).toContain('ticket_purchases_total{outcome="completed"}');
    expect(String(metrics.body)).toContain('http_request_duration_seconds_bucket');
  });

  it('puts x-request-id on every response', async () => {
    const response = await cloud.call('GET', '/nope');
    expect(response.status).toBe(404);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(response.body.error.requestId).toBe(response.headers.get('x-request-id'));
  });
});
