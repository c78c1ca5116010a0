/**
 * The box office's manual check-in (issue 17): a ticket picked by hand is decided by the same rules as a
 * scan at `/validate` (accept, ALREADY_USED naming the gate, exit, WRONG_GATE, REVOKED), files an
 * admission record of origin `cloud` naming the staff user and the note, and that record reaches a gate
 * in its next manifest page with a summary that matches. Scope: another tenant's staff, a gate of
 * another venue and a customer get nothing; a note over 500 characters is 400.
 *
 * seedEvent's clock: doors open at t0 + 1 h.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admissionTotalsOf } from '../../shared/sync-protocol';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';
import { enrollTestDevice, pullPage } from '../test-support/devices';

let cloud: TestCloud;
let seeded: SeededEvent;
let staff: string;
const STAFF_ID = 'staff-box-office-1';
let standard: { id: string; serial: number; qr: string };
let vip: { id: string };
let refunded: { id: string };

beforeAll(async () => {
  cloud = await createTestCloud();
  seeded = await seedEvent(cloud, { capacities: [100, 10], vipGate: true });
  const bought = await buyTickets(cloud, seeded);
  const own = await cloud.call('GET', `/api/v1/tickets/${bought.purchase.tickets[0].id}`, {
    token: bought.token,
  });
  standard = { ...bought.purchase.tickets[0], serial: own.body.serial };
  vip = (await buyTickets(cloud, seeded, { typeIndex: 1 })).purchase.tickets[0];
  const refund = await buyTickets(cloud, seeded);
  refunded = refund.purchase.tickets[0];
  const done = await cloud.call('POST', `/api/v1/orders/${refund.purchase.order.id}/refund`, {
    token: refund.token,
  });
  expect(done.status).toBe(200);
  staff = await cloud.token('venue_staff', seeded.tenant, STAFF_ID);
  cloud.advance(2 * 3600_000);
});

afterAll(async () => {
  await cloud?.close();
});

const checkIn = (ticketId: string, body: object, token = staff, eventId = seeded.eventId) =>
  cloud.call('POST', `/api/v1/events/${eventId}/tickets/${ticketId}/check-in`, { token, body });

describe('POST /events/{id}/tickets/{ticketId}/check-in', () => {
  it('admits by the rules of /validate and files a cloud record with the staff user and note', async () => {
    const north = seeded.gateIds[0]!;
    const first = await checkIn(standard.id, { gateId: north, note: 'Screen cracked' });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({
      decision: 'accept',
      reason: 'OK',
      ticket: { id: standard.id, serial: standard.serial },
      admission: { origin: 'cloud', originSeq: 1, at: new Date(cloud.now()).toISOString() },
    });

    // The second check-in, and a scan of the code at the other door, are ALREADY_USED naming North.
    cloud.advance(1000);
    const second = await checkIn(standard.id, { gateId: north });
    expect(second.body).toMatchObject({
      decision: 'reject',
      reason: 'ALREADY_USED',
      alreadyUsed: { gateId: north, gateName: 'North' },
      admission: null,
    });
    const scanned = await cloud.call('POST', '/api/v1/validate', {
      token: staff,
      body: { qr: standard.qr, gateId: seeded.gateIds[1] },
    });
    expect(scanned.body).toMatchObject({ reason: 'ALREADY_USED', alreadyUsed: { gateName: 'North' } });

    const exit = await checkIn(standard.id, { gateId: north, direction: 'out' });
    expect(exit.body).toMatchObject({ decision: 'accept', admission: { origin: 'cloud', originSeq: 2 } });
    const again = await checkIn(standard.id, { gateId: north, direction: 'out' });
    expect(again.body).toMatchObject({ reason: 'NOT_INSIDE', admission: null });

    const list = await cloud.call('GET', `/api/v1/events/${seeded.eventId}/admissions`, { token: staff });
    expect(list.body.items[0]).toMatchObject({
      origin: 'cloud',
      originSeq: 1,
      source: 'check-in',
      recordedBy: STAFF_ID,
      note: 'Screen cracked',
      undoes: null,
    });
  });

  it('refuses a ticket at a gate its type may not use, and a revoked ticket', async () => {
    const wrong = await checkIn(vip.id, { gateId: seeded.gateIds[0] });
    expect(wrong.body).toMatchObject({
      decision: 'reject',
      reason: 'WRONG_GATE',
      allowedGateIds: [seeded.gateIds[1]],
      admission: null,
    });
    const revoked = await checkIn(refunded.id, { gateId: seeded.gateIds[0] });
    expect(revoked.body).toMatchObject({ decision: 'reject', reason: 'REVOKED', admission: null });
  });

  it('is 404 outside the caller’s scope, 403 for a customer, 400 on bad input', async () => {
    const gateId = seeded.gateIds[0]!;
    const other = await seedEvent(cloud);
    const foreignStaff = await cloud.token('venue_staff', other.tenant);
    expect((await checkIn(standard.id, { gateId }, foreignStaff)).status).toBe(404);
    // Another venue of the same tenant: its gate does not serve this event.
    const venue = await cloud.call('POST', '/api/v1/venues', {
      token: seeded.adminToken,
      body: { name: 'Club', timezone: 'Europe/Berlin' },
    });
    const clubGate = await cloud.call('POST', `/api/v1/venues/${venue.body.id}/gates`, {
      token: seeded.adminToken,
      body: { name: 'Side door' },
    });
    const elsewhere = await checkIn(standard.id, { gateId: clubGate.body.id });
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body.error.code).toBe('NOT_FOUND');
    // A ticket of another event.
    const foreignTicket = (await buyTickets(cloud, other)).purchase.tickets[0];
    expect((await checkIn(foreignTicket.id, { gateId })).status).toBe(404);

    const customer = await cloud.token('customer', seeded.tenant);
    expect((await checkIn(standard.id, { gateId }, customer)).status).toBe(403);
    const long = await checkIn(standard.id, { gateId, note: 'x'.repeat(501) });
    expect(long.status).toBe(400);
    expect(long.body.error.message).toContain('at most 500 characters');
    expect((await checkIn(standard.id, { gateId, direction: 'sideways' })).status).toBe(400);
    expect((await checkIn('not-a-uuid', { gateId })).status).toBe(400);
  });

  it('reaches a gate: the next manifest page carries the record, and its summary matches', async () => {
    const gate = await enrollTestDevice(cloud, seeded, 1);
    const pulled = await pullPage(cloud, gate, { eventId: seeded.eventId });
    expect(pulled.status).toBe(200);
    const page = pulled.page!;
    const records = page.admissions.filter((r) => r.serial === standard.serial);
    expect(records.map((r) => [r.origin, r.originSeq, r.direction])).toEqual([
      ['cloud', 1, 'in'],
      ['cloud', 2, 'out'],
    ]);
    expect(page.summary?.admissions).toEqual(admissionTotalsOf(page.admissions));
  });
});
