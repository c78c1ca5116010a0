/**
 * The box office's search, `GET /events/{id}/tickets?q=` (issue 17), on the real app and database: a
 * serial, a full order id, the start or the end of an order id as a customer reads it (any case, with or
 * without hyphens), combined with the filters and keyset pages; the 400s of a bad query; venue staff
 * may search, a customer may not; another tenant's event is 404 and another tenant's tickets (the same
 * serials) never show. What each query should find is worked out here from the ticket list itself.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { likeLiteral } from '../services/organiser/ticket-search';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';

interface Listed {
  id: string;
  serial: number;
  orderId: string;
  status: string;
}

let cloud: TestCloud;
let a: SeededEvent;
let b: SeededEvent;
let staff: string;
/** Tenant A's tickets in issue order: orders of 1, 3, 2 (refunded), 1 tickets. */
let all: Listed[];
/** The order of three tickets, and the refunded one. */
let big: string;
let refunded: string;

beforeAll(async () => {
  cloud = await createTestCloud();
  a = await seedEvent(cloud);
  b = await seedEvent(cloud);
  staff = await cloud.token('venue_staff', a.tenant);
  await buyTickets(cloud, a);
  big = (await buyTickets(cloud, a, { quantity: 3 })).purchase.order.id;
  const third = await buyTickets(cloud, a, { quantity: 2 });
  refunded = third.purchase.order.id;
  const refund = await cloud.call('POST', `/api/v1/orders/${refunded}/refund`, { token: third.token });
  expect(refund.status).toBe(200);
  await buyTickets(cloud, a);
  // Tenant B sells the same serials for its own event.
  await buyTickets(cloud, b, { quantity: 4 });
  const listed = await cloud.call('GET', `/api/v1/events/${a.eventId}/tickets`, { token: a.adminToken });
  all = listed.body.items;
  expect(all).toHaveLength(7);
});

afterAll(async () => {
  await cloud?.close();
});

const search = (q: string, extra = '', token = staff, eventId = a.eventId) =>
  cloud.call('GET', `/api/v1/events/${eventId}/tickets?q=${encodeURIComponent(q)}${extra}`, { token });

const ids = (body: { items: Listed[] }) => body.items.map((t) => t.id);
const hex = (orderId: string) => orderId.replaceAll('-', '');

/** The tickets whose order id starts or ends with these hex digits (the oracle for fragments). */
const byFragment = (fragment: string) =>
  all.filter((t) => hex(t.orderId).startsWith(fragment) || hex(t.orderId).endsWith(fragment));

describe('GET /events/{id}/tickets?q= (the box office search)', () => {
  it('finds a ticket by its serial number', async () => {
    const wanted = all[4]!;
    const response = await search(String(wanted.serial));
    expect(response.status).toBe(200);
    expect(ids(response.body)).toEqual([wanted.id]);
    // Tenant B's ticket with the same serial is not in A's event.
    expect(response.body.items[0].orderId).toBe(wanted.orderId);
  });

  it('finds an order’s tickets by the full order id, in any case', async () => {
    const expected = all.filter((t) => t.orderId === big).map((t) => t.id);
    expect(expected).toHaveLength(3);
    expect(ids((await search(big)).body)).toEqual(expected);
    expect(ids((await search(`  ${big.toUpperCase()} `)).body)).toEqual(expected);
    // All 32 digits without the hyphens name the same order.
    expect(ids((await search(hex(big))).body)).toEqual(expected);
  });

  it('finds tickets by the last characters of an order id, as read off a confirmation', async () => {
    const tail = hex(big).slice(-6);
    const response = await search(tail.toUpperCase());
    expect(response.status).toBe(200);
    expect(ids(response.body)).toEqual(byFragment(tail).map((t) => t.id));
    expect(ids(response.body)).toEqual(
      expect.arrayContaining(all.filter((t) => t.orderId === big).map((t) => t.id)),
    );
  });

  it('finds tickets by the first characters of an order id, hyphens typed or not', async () => {
    const head = hex(refunded).slice(0, 14);
    const withHyphens = `${refunded.slice(0, 8)}-${refunded.slice(9, 13)}-${refunded.slice(14, 15)}`;
    expect(hex(withHyphens)).toBe(hex(refunded).slice(0, 13));
    const expectedHead = byFragment(head).map((t) => t.id);
    expect(expectedHead).toEqual(
      expect.arrayContaining(all.filter((t) => t.orderId === refunded).map((t) => t.id)),
    );
    expect(ids((await search(head)).body)).toEqual(expectedHead);
    expect(ids((await search(withHyphens)).body)).toEqual(byFragment(hex(withHyphens)).map((t) => t.id));
  });

  it('needs four characters of an order id, and finds nothing for text that names no ticket', async () => {
    const three = hex(big).slice(-3);
    // Three hex digits are no order reference; they name a ticket only if they are its serial.
    const threeFound = ids((await search(three)).body);
    expect(threeFound).toEqual(all.filter((t) => String(t.serial) === three).map((t) => t.id));
    for (const nothing of ['nobody here', '100%', 'a_b', '99999', '4294967296']) {
      const response = await search(nothing);
      expect(response.status, nothing).toBe(200);
      expect(ids(response.body), nothing).toEqual(byFragment(nothing).map((t) => t.id));
    }
  });

  it('works with the filters and with keyset pages', async () => {
    const revoked = await search(refunded, '&status=revoked');
    expect(ids(revoked.body)).toEqual(all.filter((t) => t.orderId === refunded).map((t) => t.id));
    expect((await search(refunded, '&status=valid')).body.items).toEqual([]);

    const expected = all.filter((t) => t.orderId === big).map((t) => t.id);
    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 5; page++) {
      const response = await search(big, `&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.status).toBe(200);
      seen.push(...ids(response.body));
      if (!response.body.nextCursor) break;
      cursor = response.body.nextCursor;
    }
    expect(seen).toEqual(expected);
  });

  it('refuses a query that is empty, too long or holds control characters, saying why', async () => {
    const cases: Array<[string, RegExp]> = [
      ['', /q: type a name, an order reference or a serial number/],
      ['   ', /q: type a name/],
      ['x'.repeat(101), /q: at most 100 characters/],
      ['ab\u0001cd', /q: must not contain control characters/],
      ['line\nbreak', /q: must not contain control characters/],
    ];
    for (const [q, message] of cases) {
      const response = await search(q);
      expect(response.status, JSON.stringify(q)).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
      expect(response.body.error.message).toMatch(message);
    }
    // A hundred characters is still a query.
    expect((await search('x'.repeat(100))).status).toBe(200);
  });

  it('lets venue staff and admins search, not customers; another tenant’s event is 404', async () => {
    const serial = String(all[0]!.serial);
    expect((await search(serial, '', a.adminToken)).status).toBe(200);
    expect((await search(serial, '', await cloud.token('customer', a.tenant))).status).toBe(403);
    const foreignStaff = await cloud.token('venue_staff', b.tenant);
    const foreign = await search(serial, '', foreignStaff);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('NOT_FOUND');
    // B's staff searching B's own event find B's ticket of that serial, not A's.
    const own = await search(serial, '', foreignStaff, b.eventId);
    expect(own.status).toBe(200);
    expect(own.body.items).toHaveLength(1);
    expect(all.map((t) => t.id)).not.toContain(own.body.items[0].id);
  });
});

describe('an entry undone at the box office', () => {
  it('counts nowhere: the ticket is listed as never admitted, and admitted=true leaves it out', async () => {
    // Past the doors (seedEvent opens them an hour in): check a ticket in at North, then undo it.
    cloud.advance(2 * 3600_000);
    const ticket = all[1]!;
    const checkIn = await cloud.call('POST', `/api/v1/events/${a.eventId}/tickets/${ticket.id}/check-in`, {
      token: staff,
      body: { gateId: a.gateIds[0], note: 'code torn' },
    });
    expect(checkIn.body).toMatchObject({ decision: 'accept', admission: { origin: 'cloud' } });
    const serial = String(ticket.serial);
    const inside = (await search(serial)).body.items[0];
    expect(inside.admission).toMatchObject({ admitted: true, inside: true, entries: 1, exits: 0 });
    expect(ids((await search(serial, '&admitted=true')).body)).toEqual([ticket.id]);

    const undo = await cloud.call('POST', `/api/v1/events/${a.eventId}/admissions/undo`, {
      token: staff,
      body: { origin: checkIn.body.admission.origin, originSeq: checkIn.body.admission.originSeq },
    });
    expect(undo.status).toBe(200);
    const undone = (await search(serial)).body.items[0];
    expect(undone.admission).toEqual({
      admitted: false,
      inside: false,
      firstEntryAt: null,
      firstEntryGateId: null,
      firstEntryGateName: null,
      entries: 0,
      exits: 0,
    });
    expect((await search(serial, '&admitted=true')).body.items).toEqual([]);
    expect(ids((await search(serial, '&admitted=false')).body)).toEqual([ticket.id]);
  });
});

describe('searching by holder name', () => {
  it('finds tickets whose holder name contains q, any case, with % and _ meaning themselves', async () => {
    const [zoe, ana, other] = [all[0]!, all[1]!, all[6]!];
    for (const [ticket, holderName] of [
      [zoe, 'Zoë Okafor'],
      [ana, 'Ana 100% Okafor'],
      [other, 'Ana 1000 Okafor'],
    ] as const) {
      const named = await cloud.call('PATCH', `/api/v1/tickets/${ticket.id}`, {
        token: a.adminToken,
        body: { holderName },
      });
      expect(named.status).toBe(200);
    }
    const okafor = await search('okafor');
    expect(ids(okafor.body).sort()).toEqual([zoe.id, ana.id, other.id].sort());
    expect(okafor.body.items.map((t: { holderName: string }) => t.holderName).sort()).toEqual(
      ['Ana 1000 Okafor', 'Ana 100% Okafor', 'Zoë Okafor'].sort(),
    );
    expect(ids((await search('ZOË')).body)).toEqual([zoe.id]);
    expect(ids((await search('100%')).body)).toEqual([ana.id]);
    // Tenant B's tickets carry no such names; A's names never show in B's event.
    expect(
      (await search('okafor', '', await cloud.token('venue_staff', b.tenant), b.eventId)).body.items,
    ).toEqual([]);
  });
});

describe('likeLiteral (the holder-name match)', () => {
  it('makes %, _ and \\ mean themselves in PostgreSQL ILIKE', async () => {
    const matches = async (value: string, text: string) => {
      const result = await cloud.database.db.execute(
        sql`select ${value} ilike ${`%${likeLiteral(text)}%`} as hit`,
      );
      const rows = (result as unknown as { rows: Array<{ hit: boolean }> }).rows;
      return rows[0]?.hit;
    };
    expect(await matches('Ana 100% Okafor', '100%')).toBe(true);
    expect(await matches('Ana 1000 Okafor', '100%')).toBe(false);
    expect(await matches('a_b', 'A_B')).toBe(true);
    expect(await matches('axb', 'a_b')).toBe(false);
    expect(await matches('back\\slash', 'k\\s')).toBe(true);
    expect(await matches('backslash', 'k\\s')).toBe(false);
  });
});
