/**
 * Holder names (issue 17) through the real API and database: set at purchase per ticket, changed by the
 * holder or an admin (a stranger gets 404, a revoked ticket 409, a bad name 400 with nothing changed),
 * replaced or cleared at transfer — and to the gates only ever as a box sealed to the ticket's code: the
 * manifest carries the box, never the name, and a name change reaches the change feed with a new box.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeTicketToken, openHolderName } from '../../shared/crypto';
import { type ManifestTicket, manifestChecksum } from '../../shared/sync-protocol';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';
import { enrollTestDevice, pullPage, type TestDevice } from '../test-support/devices';

let cloud: TestCloud;
let seeded: SeededEvent;
let device: TestDevice;

beforeAll(async () => {
  cloud = await createTestCloud();
  seeded = await seedEvent(cloud, { capacities: [50] });
  device = await enrollTestDevice(cloud, seeded);
});
afterAll(async () => {
  await cloud?.close();
});

interface Bought {
  id: string;
  qr: string;
  holderName: string | null;
}

/** Opens a manifest row's box with a ticket's code, as a gate does after decoding the scan. */
function openRow(row: ManifestTicket | undefined, qr: string): string | null {
  if (!row?.nameBox) return null;
  const decoded = decodeTicketToken(qr);
  if ('ok' in decoded) throw new Error('qr does not decode');
  return openHolderName(
    decoded.bytes,
    { eventId: seeded.eventId, serial: row.serial, generation: row.generation },
    row.nameBox,
  );
}

/** Every page from `after` to the head: the rows by serial, the raw bodies and the last summary. */
async function pullFrom(after: number) {
  const rows = new Map<number, ManifestTicket>();
  const bodies: Buffer[] = [];
  let cursor = after;
  for (let guard = 0; guard < 50; guard++) {
    const pulled = await pullPage(cloud, device, { eventId: seeded.eventId, after: cursor });
    if (!('page' in pulled) || !pulled.page) throw new Error(`pull ${pulled.status}`);
    bodies.push(pulled.body);
    for (const row of pulled.page.tickets) rows.set(row.serial, row);
    cursor = pulled.page.nextAfter;
    if (!pulled.page.hasMore) return { rows, bodies, head: pulled.page.head, summary: pulled.page.summary };
  }
  throw new Error('pull did not reach the head');
}

async function serialOf(ticketId: string, token: string): Promise<number> {
  return (await cloud.call('GET', `/api/v1/tickets/${ticketId}`, { token })).body.serial;
}

const patch = (ticketId: string, token: string, body: unknown) =>
  cloud.call('PATCH', `/api/v1/tickets/${ticketId}`, { token, body });

describe('holder names', () => {
  const names = ['Zoë Ångström', null, '李小龙 🐉'];

  it('are set per ticket at purchase, and reach the manifest only as boxes the code opens', async () => {
    const bought = await buyTickets(cloud, seeded, { quantity: 3, holderNames: names });
    const tickets = bought.purchase.tickets as Bought[];
    expect(tickets.map((t) => t.holderName)).toEqual(names);
    const read = await cloud.call('GET', `/api/v1/tickets/${tickets[0]!.id}`, { token: bought.token });
    expect(read.body.holderName).toBe('Zoë Ångström');
    const order = await cloud.call('GET', `/api/v1/orders/${bought.purchase.order.id}`, {
      token: bought.token,
    });
    expect(order.body.tickets.map((t: { holderName: string | null }) => t.holderName)).toEqual(names);

    const snapshot = await pullFrom(0);
    const serials = await Promise.all(tickets.map((t) => serialOf(t.id, bought.token)));
    const rows = serials.map((serial) => snapshot.rows.get(serial));
    expect(rows[0]?.nameBox).toMatch(/^hn1\./);
    expect(rows[1]?.nameBox).toBeUndefined();
    expect(rows[2]?.nameBox).toMatch(/^hn1\./);
    expect(tickets.map((t, i) => openRow(rows[i], t.qr))).toEqual(names);
    // Another ticket's code opens nothing.
    expect(openRow(rows[0], tickets[2]!.qr)).toBeNull();
    // The page holds no name, and a row without a box carries no nameBox key at all.
    const body = Buffer.concat(snapshot.bodies);
    for (const name of ['Zoë', 'Ångström', '李小龙']) expect(body.includes(Buffer.from(name))).toBe(false);
    expect(body.toString('utf8')).not.toContain('"nameBox":null');
    // The summary the gate checks its copy against counts the boxes as the rows hash them.
    expect(snapshot.summary?.checksum).toBe(manifestChecksum([...snapshot.rows.values()]));
  });

  it('refuses a purchase whose names do not line up with its tickets, or are no names (400, nothing bought)', async () => {
    const token = await cloud.token('customer', seeded.tenant);
    const hold = await cloud.call('POST', `/api/v1/events/${seeded.eventId}/reservations`, {
      token,
      body: { items: [{ ticketTypeId: seeded.ticketTypeIds[0], quantity: 2 }] },
    });
    const purchase = (holderNames: unknown, key: string) =>
      cloud.call('POST', `/api/v1/reservations/${hold.body.id}/purchase`, {
        token,
        headers: { 'idempotency-key': key },
        body: { paymentToken: 'tok_visa', holderNames },
      });
    const short = await purchase(['Ann'], 'names-key-0001');
    expect(short.status).toBe(400);
    expect(short.body.error.message).toContain('1 names for 2 tickets');
    const control = await purchase(['Ann', 'Bob\u0007'], 'names-key-0002');
    expect(control.status).toBe(400);
    expect(control.body.error.message).toContain('holderNames.1');
    expect((await purchase(['x'.repeat(101), null], 'names-key-0003')).status).toBe(400);
    expect((await cloud.call('GET', '/api/v1/me/tickets', { token })).body.items).toEqual([]);
    const ok = await purchase(['  Ann  ', ''], 'names-key-0004');
    expect(ok.status).toBe(201);
    expect(ok.body.tickets.map((t: Bought) => t.holderName)).toEqual(['Ann', null]);
  });

  it('are changed by the holder or an admin; a stranger gets 404, staff 403, a bad name 400 and nothing changes', async () => {
    const bought = await buyTickets(cloud, seeded, { quantity: 1, holderNames: ['Ann'] });
    const [ticket] = bought.purchase.tickets as Bought[];
    const id = ticket!.id;
    const changed = await patch(id, bought.token, { holderName: '  Zoe\u0308 Smith ' });
    expect(changed.status).toBe(200);
    expect(changed.body.holderName).toBe('Zoë Smith'); // trimmed, NFC
    expect(changed.body.holderName).toBe('Zo\u00eb Smith');

    const stranger = await cloud.token('customer', seeded.tenant);
    const hidden = await patch(id, stranger, { holderName: 'Mallory' });
    expect(hidden.status).toBe(404);
    expect(
      (await patch(id, await cloud.token('admin', 'tenant-elsewhere'), { holderName: 'M' })).status,
    ).toBe(404);
    expect(
      (await patch(id, await cloud.token('venue_staff', seeded.tenant), { holderName: 'M' })).status,
    ).toBe(403);
    for (const bad of [{ holderName: 'a'.repeat(101) }, { holderName: 'A\nB' }, { holderName: 7 }, {}]) {
      const refused = await patch(id, bought.token, bad);
      expect(refused.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await patch(id, bought.token, { holderName: 'a'.repeat(101) })).body.error.message).toContain(
      'holderName: at most 100 characters',
    );
    expect((await cloud.call('GET', `/api/v1/tickets/${id}`, { token: bought.token })).body.holderName).toBe(
      'Zoë Smith',
    );

    const byAdmin = await patch(id, seeded.adminToken, { holderName: 'Grace Hopper' });
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.holderName).toBe('Grace Hopper');
    const list = await cloud.call('GET', `/api/v1/events/${seeded.eventId}/tickets?limit=100`, {
      token: seeded.adminToken,
    });
    expect(list.body.items.find((t: { id: string }) => t.id === id).holderName).toBe('Grace Hopper');
    const removed = await patch(id, bought.token, { holderName: null });
    expect(removed.status).toBe(200);
    expect(removed.body.holderName).toBeNull();
  });

  it('a name change reaches the gates’ change feed as a new box; an unchanged name appends nothing', async () => {
    const bought = await buyTickets(cloud, seeded, { quantity: 1, holderNames: ['Ann'] });
    const [ticket] = bought.purchase.tickets as Bought[];
    const serial = await serialOf(ticket!.id, bought.token);
    const before = await pullFrom(0);
    const oldBox = before.rows.get(serial)?.nameBox;

    expect((await patch(ticket!.id, bought.token, { holderName: 'Ann Lee' })).status).toBe(200);
    const delta = await pullFrom(before.head);
    expect(delta.head).toBe(before.head + 1);
    const row = delta.rows.get(serial);
    expect(row?.nameBox).toBeDefined();
    expect(row?.nameBox).not.toBe(oldBox);
    expect(openRow(row, ticket!.qr)).toBe('Ann Lee');
    expect(row?.digest).toBe(before.rows.get(serial)?.digest); // the code itself did not change
    // The gate's copy with the new row adds up to the cloud's summary.
    const copy = new Map(before.rows).set(serial, row!);
    expect(delta.summary?.checksum).toBe(manifestChecksum([...copy.values()]));

    expect((await patch(ticket!.id, bought.token, { holderName: ' Ann Lee ' })).status).toBe(200);
    expect((await pullFrom(delta.head)).head).toBe(delta.head);

    expect((await patch(ticket!.id, bought.token, { holderName: null })).status).toBe(200);
    const cleared = await pullFrom(delta.head);
    expect(cleared.rows.get(serial)?.nameBox).toBeUndefined();
    expect(cleared.summary?.checksum).toBe(
      manifestChecksum([...new Map(copy).set(serial, cleared.rows.get(serial)!).values()]),
    );
  });

  it('a refunded ticket’s name cannot change (409 TICKET_NOT_EDITABLE)', async () => {
    const bought = await buyTickets(cloud, seeded, { quantity: 1, holderNames: ['Ann'] });
    const refund = await cloud.call('POST', `/api/v1/orders/${bought.purchase.order.id}/refund`, {
      token: bought.token,
    });
    expect(refund.status).toBe(200);
    const refused = await patch(bought.purchase.tickets[0].id, bought.token, { holderName: 'Bob' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('TICKET_NOT_EDITABLE');
  });

  it('a transfer replaces the name with the new holder’s, or clears it — never passes the old one on', async () => {
    const bought = await buyTickets(cloud, seeded, { quantity: 2, holderNames: ['Ann', 'Ann'] });
    const [first, second] = bought.purchase.tickets as Bought[];
    const before = await pullFrom(0);

    const named = await cloud.call('POST', `/api/v1/tickets/${first!.id}/transfer`, {
      token: bought.token,
      body: { toUserId: 'friend-1', holderName: 'Beatrix Quill' },
    });
    expect(named.status).toBe(200);
    expect(named.body.holderName).toBe('Beatrix Quill');
    const plain = await cloud.call('POST', `/api/v1/tickets/${second!.id}/transfer`, {
      token: bought.token,
      body: { toUserId: 'friend-2' },
    });
    expect(plain.status).toBe(200);
    expect(plain.body.holderName).toBeNull();

    const delta = await pullFrom(before.head);
    const namedRow = delta.rows.get(named.body.serial);
    expect(openRow(namedRow, named.body.qr)).toBe('Beatrix Quill');
    expect(openRow(namedRow, first!.qr)).toBeNull(); // the previous holder's code opens nothing
    expect(delta.rows.get(plain.body.serial)?.nameBox).toBeUndefined();
    const badName = await cloud.call('POST', `/api/v1/tickets/${named.body.id}/transfer`, {
      token: await cloud.token('customer', seeded.tenant, 'friend-1'),
      body: { toUserId: 'friend-3', holderName: 'A\u0000B' },
    });
    expect(badName.status).toBe(400);
  });

  it('online /validate names the holder of the ticket it identified, null when there is none', async () => {
    const bought = await buyTickets(cloud, seeded, { quantity: 2, holderNames: ['Ana Okafor', null] });
    const [named, unnamed] = bought.purchase.tickets as Bought[];
    const staff = await cloud.token('venue_staff', seeded.tenant);
    const validate = (qr: string) =>
      cloud.call('POST', '/api/v1/validate', { token: staff, body: { qr, gateId: seeded.gateIds[0] } });
    const first = await validate(named!.qr);
    expect(first.status).toBe(200);
    expect(first.body.ticket).toBeDefined();
    expect(first.body.holderName).toBe('Ana Okafor');
    expect((await validate(unnamed!.qr)).body.holderName).toBeNull();
    // A code that identifies no ticket names nobody.
    expect((await validate('not a ticket')).body).not.toHaveProperty('holderName');
  });

  it('never writes a name into a log line', () => {
    const logs = cloud.logLines.join('\n');
    for (const name of ['Zoë', 'Grace Hopper', 'Mallory', 'Beatrix Quill']) expect(logs).not.toContain(name);
  });
});
