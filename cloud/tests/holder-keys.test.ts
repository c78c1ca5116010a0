/**
 * Binding a holder's wallet device (issue 20) through the real API and database: only the ticket's owner
 * binds (someone else's ticket 404), a key that is not one of its algorithm is 400 INVALID_HOLDER_KEY with
 * nothing changed, a revoked ticket 409 TICKET_REVOKED; binding again moves bindingNo on and replaces the
 * key; a transfer clears the binding; and the gates get each binding as a change row whose `holderKey` box
 * opens, with the event key, to exactly the bound key — while a name change keeps the box on the row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHolderKey } from '../../shared/crypto';
import { type ManifestTicket, manifestChecksum } from '../../shared/sync-protocol';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';
import { enrollTestDevice, pullPage, type TestDevice } from '../test-support/devices';
import { holderDevice } from '../test-support/holder-device';

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

/** Every page from `after` to the head: the rows by serial (the last change of each wins), head, summary. */
async function pullFrom(after: number) {
  const rows = new Map<number, ManifestTicket>();
  let cursor = after;
  for (let guard = 0; guard < 50; guard++) {
    const pulled = await pullPage(cloud, device, { eventId: seeded.eventId, after: cursor });
    if (!('page' in pulled) || !pulled.page) throw new Error(`pull ${pulled.status}`);
    for (const row of pulled.page.tickets) rows.set(row.serial, row);
    cursor = pulled.page.nextAfter;
    if (!pulled.page.hasMore) return { rows, head: pulled.page.head, summary: pulled.page.summary };
  }
  throw new Error('pull did not reach the head');
}

/** Opens a manifest row's box with the event's keys, as a gate does. */
async function openRow(row: ManifestTicket | undefined) {
  if (!row?.holderKey) return undefined;
  const keys = await cloud.keyring.eventKeysOf(seeded.eventId);
  return openHolderKey(
    (version) => keys.find((key) => key.keyVersion === version)?.key,
    { eventId: seeded.eventId, serial: row.serial, generation: row.generation },
    row.holderKey,
  );
}

const bind = (ticketId: string, token: string, body: unknown) =>
  cloud.call('POST', `/api/v1/tickets/${ticketId}/holder-key`, { token, body });

async function buyOne() {
  const { token, purchase } = await buyTickets(cloud, seeded);
  const id = purchase.tickets[0].id as string;
  const view = await cloud.call('GET', `/api/v1/tickets/${id}`, { token });
  return { token, id, serial: view.body.serial as number, orderId: purchase.order.id as string };
}

describe('binding a holder key', () => {
  it.each(['Ed25519', 'ES256'] as const)(
    'binds the owner’s %s key and seals it for the gates',
    async (alg) => {
      const ticket = await buyOne();
      const before = await pullFrom(0);
      const phone = holderDevice(alg);
      const bound = await bind(ticket.id, ticket.token, { alg, publicKey: phone.publicKeyText });
      expect(bound.status).toBe(200);
      expect(bound.body).toEqual({
        ticketId: ticket.id,
        eventId: seeded.eventId,
        serial: ticket.serial,
        generation: 1,
        bindingNo: 1,
        alg,
        boundAt: new Date(cloud.now()).toISOString(),
        stepSeconds: 15,
        cloudTime: cloud.now(),
      });
      const view = await cloud.call('GET', `/api/v1/tickets/${ticket.id}`, { token: ticket.token });
      expect(view.body.holderKey).toEqual({ alg, bindingNo: 1, boundAt: bound.body.boundAt });
      expect(view.body.holderCode).toBe('allowed');
      const mine = await cloud.call('GET', '/api/v1/me/tickets', { token: ticket.token });
      expect(mine.body.items[0].holderKey).toEqual(view.body.holderKey);

      // One change row, after what the gate held, carrying a box that opens to this very key.
      const delta = await pullFrom(before.head);
      expect(delta.head).toBe(before.head + 1);
      const row = delta.rows.get(ticket.serial);
      expect(row?.holderKey).toMatch(/^hk1\./);
      expect(JSON.stringify(row)).not.toContain(phone.publicKeyText);
      const opened = await openRow(row);
      expect(opened).toMatchObject({ alg, bindingNo: 1 });
      expect(opened?.publicKey).toEqual(phone.publicKey);
      // The box belongs to this ticket: another serial's context opens nothing.
      const keys = await cloud.keyring.eventKeysOf(seeded.eventId);
      expect(
        openHolderKey(
          (v) => keys.find((k) => k.keyVersion === v)?.key,
          { eventId: seeded.eventId, serial: ticket.serial + 1, generation: 1 },
          row!.holderKey!,
        ),
      ).toBeUndefined();
      // A whole copy adds up, box included.
      const all = await pullFrom(0);
      expect(all.summary?.checksum).toBe(manifestChecksum([...all.rows.values()]));
    },
  );

  it('refuses what is not a key of its algorithm with 400 INVALID_HOLDER_KEY, and changes nothing', async () => {
    const ticket = await buyOne();
    const before = await pullFrom(0);
    const ed = holderDevice('Ed25519');
    const p256 = holderDevice('ES256');
    const offCurve = Uint8Array.from(p256.publicKey);
    offCurve[64] = offCurve[64]! ^ 1;
    const smallOrder = new Uint8Array(32);
    smallOrder[0] = 1; // the identity point
    const bad: Array<{ alg: string; publicKey: string }> = [
      { alg: 'Ed25519', publicKey: p256.publicKeyText }, // 65 bytes for a 32-byte key
      { alg: 'ES256', publicKey: ed.publicKeyText },
      { alg: 'ES256', publicKey: Buffer.from(offCurve).toString('base64url') },
      { alg: 'Ed25519', publicKey: Buffer.from(smallOrder).toString('base64url') },
      { alg: 'Ed25519', publicKey: `${ed.publicKeyText}=` }, // padded: not canonical base64url
      { alg: 'Ed25519', publicKey: 'not base64url!' },
    ];
    for (const body of bad) {
      const answer = await bind(ticket.id, ticket.token, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.code).toBe('INVALID_HOLDER_KEY');
      expect(answer.body.error.message).toContain(body.alg === 'Ed25519' ? 'Ed25519' : 'P-256');
    }
    // An unknown algorithm or a missing key is a plain validation failure.
    const noAlg = await bind(ticket.id, ticket.token, { alg: 'RS256', publicKey: ed.publicKeyText });
    expect(noAlg.status).toBe(400);
    expect(noAlg.body.error.code).toBe('VALIDATION_FAILED');
    const view = await cloud.call('GET', `/api/v1/tickets/${ticket.id}`, { token: ticket.token });
    expect(view.body.holderKey).toBeNull();
    expect((await pullFrom(before.head)).head).toBe(before.head);
  });

  it('binds only the caller’s own, valid ticket: 404 for someone else’s or a missing one, 409 once revoked', async () => {
    const ticket = await buyOne();
    const phone = holderDevice('Ed25519');
    const body = { alg: 'Ed25519', publicKey: phone.publicKeyText };
    const stranger = await cloud.token('customer', seeded.tenant);
    expect((await bind(ticket.id, stranger, body)).status).toBe(404);
    // The same user id in another tenant is someone else too.
    const ownerId = JSON.parse(Buffer.from(ticket.token.split('.')[1]!, 'base64url').toString()).sub;
    const otherTenant = await cloud.token('customer', 'tenant-elsewhere', ownerId);
    expect((await bind(ticket.id, otherTenant, body)).status).toBe(404);
    expect((await bind('0196f3a2-7c1e-7b3a-9f2d-4d5e6f708192', ticket.token, body)).status).toBe(404);
    // Staff and admins do not bind a holder's device.
    expect((await bind(ticket.id, seeded.adminToken, body)).status).toBe(403);

    const refund = await cloud.call('POST', `/api/v1/orders/${ticket.orderId}/refund`, {
      token: ticket.token,
    });
    expect(refund.status).toBe(200);
    const before = await pullFrom(0);
    const revoked = await bind(ticket.id, ticket.token, body);
    expect(revoked.status).toBe(409);
    expect(revoked.body.error.code).toBe('TICKET_REVOKED');
    expect((await pullFrom(before.head)).head).toBe(before.head);
  });

  it('binds again with the next bindingNo (a new phone), and the gates get the new key', async () => {
    const ticket = await buyOne();
    const first = holderDevice('Ed25519');
    const second = holderDevice('ES256');
    expect(
      (await bind(ticket.id, ticket.token, { alg: 'Ed25519', publicKey: first.publicKeyText })).status,
    ).toBe(200);
    const before = await pullFrom(0);
    cloud.advance(60_000);
    const again = await bind(ticket.id, ticket.token, { alg: 'ES256', publicKey: second.publicKeyText });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ bindingNo: 2, alg: 'ES256', generation: 1 });
    const view = await cloud.call('GET', `/api/v1/tickets/${ticket.id}`, { token: ticket.token });
    expect(view.body.holderKey).toEqual({ alg: 'ES256', bindingNo: 2, boundAt: again.body.boundAt });

    const delta = await pullFrom(before.head);
    expect([...delta.rows.keys()]).toEqual([ticket.serial]);
    const opened = await openRow(delta.rows.get(ticket.serial));
    expect(opened).toMatchObject({ alg: 'ES256', bindingNo: 2 });
    expect(opened?.publicKey).toEqual(second.publicKey);
  });

  it('keeps the box on the row through a name change, and a transfer clears the binding', async () => {
    const ticket = await buyOne();
    const phone = holderDevice('Ed25519');
    await bind(ticket.id, ticket.token, { alg: 'Ed25519', publicKey: phone.publicKeyText });
    const bound = await pullFrom(0);
    const renamed = await cloud.call('PATCH', `/api/v1/tickets/${ticket.id}`, {
      token: ticket.token,
      body: { holderName: 'Ada Lovelace' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.holderKey).toMatchObject({ bindingNo: 1 });
    const afterRename = await pullFrom(bound.head);
    expect(afterRename.rows.get(ticket.serial)?.nameBox).toMatch(/^hn1\./);
    expect((await openRow(afterRename.rows.get(ticket.serial)))?.publicKey).toEqual(phone.publicKey);

    const newHolder = 'user-new-holder-1';
    const transferred = await cloud.call('POST', `/api/v1/tickets/${ticket.id}/transfer`, {
      token: ticket.token,
      body: { toUserId: newHolder },
    });
    expect(transferred.status).toBe(200);
    expect(transferred.body).toMatchObject({ generation: 2, holderKey: null });
    const afterTransfer = await pullFrom(afterRename.head);
    const row = afterTransfer.rows.get(ticket.serial);
    expect(row).toMatchObject({ generation: 2, status: 'valid' });
    expect(row?.holderKey).toBeUndefined();
    const all = await pullFrom(0);
    expect(all.summary?.checksum).toBe(manifestChecksum([...all.rows.values()]));

    // The new holder claims it anew: the number moves on, the box is sealed to generation 2.
    const newToken = await cloud.token('customer', seeded.tenant, newHolder);
    const claimed = await bind(ticket.id, newToken, {
      alg: 'Ed25519',
      publicKey: holderDevice('Ed25519').publicKeyText,
    });
    expect(claimed.body).toMatchObject({ generation: 2, bindingNo: 2 });
    // The previous holder no longer owns it.
    expect(
      (await bind(ticket.id, ticket.token, { alg: 'Ed25519', publicKey: phone.publicKeyText })).status,
    ).toBe(404);
  });
});

describe('the holder-code policy of a ticket type', () => {
  it('is set on create and PATCH, listed, shown on tickets, and carried in the manifest', async () => {
    const created = await cloud.call('POST', `/api/v1/events/${seeded.eventId}/ticket-types`, {
      token: seeded.adminToken,
      body: { name: 'Wallet only', priceCents: 1000, currency: 'EUR', capacity: 10, holderCode: 'required' },
    });
    expect(created.status).toBe(201);
    expect(created.body.holderCode).toBe('required');
    const bad = await cloud.call('POST', `/api/v1/events/${seeded.eventId}/ticket-types`, {
      token: seeded.adminToken,
      body: { name: 'Bad', priceCents: 1000, currency: 'EUR', capacity: 10, holderCode: 'sometimes' },
    });
    expect(bad.status).toBe(400);

    const typesOf = async () => (await pullPage(cloud, device, { eventId: seeded.eventId })).page?.event;
    const listed = await cloud.call('GET', `/api/v1/events/${seeded.eventId}/ticket-types`, {
      token: seeded.adminToken,
    });
    expect(listed.body.items.map((t: { holderCode: string }) => t.holderCode)).toEqual([
      'allowed',
      'required',
    ]);
    const manifestTypes = (await typesOf())?.ticketTypes ?? [];
    expect(manifestTypes.find((t) => t.name === 'Wallet only')?.holderCode).toBe('required');

    const { token, purchase } = await buyTickets(cloud, { ...seeded, ticketTypeIds: [created.body.id] });
    const view = await cloud.call('GET', `/api/v1/tickets/${purchase.tickets[0].id}`, { token });
    expect(view.body.holderCode).toBe('required');

    const headBefore = (await pullFrom(0)).head;
    const patched = await cloud.call(
      'PATCH',
      `/api/v1/events/${seeded.eventId}/ticket-types/${created.body.id}`,
      {
        token: seeded.adminToken,
        body: { holderCode: 'allowed' },
      },
    );
    expect(patched.status).toBe(200);
    expect(patched.body.holderCode).toBe('allowed');
    // The gates decide by it: the head moves so they pull the new policy now.
    expect((await pullFrom(0)).head).toBeGreaterThan(headBefore);
    expect((await typesOf())?.ticketTypes.find((t) => t.name === 'Wallet only')?.holderCode).toBe('allowed');
  });
});
