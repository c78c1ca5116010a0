/**
 * Manifest pages (SPEC section 6, pull): signed and compressed; pages of any size add up to one full
 * sync whose row count and checksum match; a refund reaches the next delta as a tombstone; an unknown
 * epoch or a cursor beyond the head answers 409 MANIFEST_RESET.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManifestPageVerifier, fromBase64Url, signManifestPage } from '../../shared/crypto';
import { type ManifestPage, type ManifestTicket, manifestChecksum } from '../../shared/sync-protocol';
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
  seeded = await seedEvent(cloud, { vipGate: true, capacities: [50, 10] });
  for (let i = 0; i < 4; i++) await buyTickets(cloud, seeded, { quantity: 3 });
  await buyTickets(cloud, seeded, { typeIndex: 1, quantity: 2 });
  device = await enrollTestDevice(cloud, seeded);
});
afterAll(async () => {
  await cloud?.close();
});

/** Applies pages the way a gate does (a ticket is one row, upserted by serial) until the head. */
async function syncAll(limit: number, from = new Map<number, ManifestTicket>(), after = 0, epoch?: string) {
  const rows = new Map(from);
  let last: ManifestPage | undefined;
  for (let guard = 0; guard < 1000; guard++) {
    const pulled = await pullPage(cloud, device, {
      eventId: seeded.eventId,
      after,
      limit,
      ...(epoch ? { epoch } : {}),
    });
    if (pulled.status !== 200 || !('page' in pulled) || !pulled.page)
      throw new Error(`pull ${pulled.status}`);
    expect(pulled.signed).toBe(true);
    const page = pulled.page;
    for (const ticket of page.tickets) rows.set(ticket.serial, ticket);
    after = page.nextAfter;
    last = page;
    if (!page.hasMore) break;
  }
  return { rows, page: last! };
}

describe('manifest pages', () => {
  it('serves a signed, compressed snapshot with event data, ticket types, keys and a matching summary', async () => {
    const pulled = await pullPage(cloud, device, { eventId: seeded.eventId });
    expect(pulled.status).toBe(200);
    if (!('page' in pulled) || !pulled.page) throw new Error('no page');
    expect(pulled.signed).toBe(true);
    expect(pulled.encoding).toBe('br');
    expect(pulled.bytes).toBeLessThan(pulled.body.length);
    const { page } = pulled;
    expect(page.tickets).toHaveLength(14);
    expect(page.hasMore).toBe(false);
    expect(page.event.ticketTypes.map((t) => t.gateIds)).toEqual([null, [seeded.gateIds[1]]]);
    expect(page.keys.eventKeys).toHaveLength(1);
    expect(page.keys.signingKeys[0]!.keyId).toBe(1);
    expect(page.summary).toEqual({ rowCount: 14, checksum: manifestChecksum(page.tickets) });
  });

  it('gzip when the gate does not take brotli; a changed byte breaks the signature', async () => {
    const pulled = await pullPage(cloud, device, { eventId: seeded.eventId }, 'gzip');
    if (!('page' in pulled) || !pulled.page) throw new Error('no page');
    expect(pulled.encoding).toBe('gzip');
    expect(pulled.signed).toBe(true);
    const keys = (await cloud.keyring.publicSigningKeys()).map((k) => ({
      keyId: k.keyId,
      publicKey: fromBase64Url(k.publicKey)!,
    }));
    const verify = createManifestPageVerifier(keys);
    const signature = signManifestPage(cloud.keyring.signingKey(), pulled.body).signature;
    expect(verify(1, pulled.body, signature)).toBe(true);
    const tampered = Buffer.from(pulled.body);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 5) ^ 1, tampered.length - 5);
    expect(verify(1, tampered, signature)).toBe(false);
  });

  it('adds up to the same copy in pages of any size', async () => {
    const full = await syncAll(10_000);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 20 }), async (limit) => {
        const paged = await syncAll(limit);
        expect([...paged.rows.entries()].sort(([a], [b]) => a - b)).toEqual(
          [...full.rows.entries()].sort(([a], [b]) => a - b),
        );
        expect(paged.page.summary).toEqual(full.page.summary);
        expect(manifestChecksum(paged.rows.values())).toBe(paged.page.summary!.checksum);
      }),
      { numRuns: 6 },
    );
  });

  it('carries a refund to the next delta as a tombstone, and a transfer as a new generation', async () => {
    const base = await syncAll(10_000);
    const bought = await buyTickets(cloud, seeded, { quantity: 2 });
    const refund = await cloud.call('POST', `/api/v1/orders/${bought.purchase.order.id}/refund`, {
      token: seeded.adminToken,
    });
    expect(refund.status).toBe(200);
    const delta = await syncAll(10_000, base.rows, base.page.nextAfter, base.page.epoch);
    const refunded = bought.purchase.tickets.map((t: { id: string }) => t.id);
    expect(refunded).toHaveLength(2);
    const tombstones = [...delta.rows.values()].filter((r) => r.status === 'revoked');
    expect(tombstones).toHaveLength(2);
    expect(tombstones.every((t) => t.digest === '')).toBe(true);
    expect(delta.page.summary).toEqual({ rowCount: 16, checksum: manifestChecksum(delta.rows.values()) });
  });

  it('sees a revocation made in the middle of a paginated pull by the end of that pull', async () => {
    const first = await pullPage(cloud, device, { eventId: seeded.eventId, after: 0, limit: 3 });
    if (!('page' in first) || !first.page) throw new Error('no page');
    expect(first.page.hasMore).toBe(true);
    const rows = new Map(first.page.tickets.map((t) => [t.serial, t]));
    // A refund lands while the gate is between pages.
    const bought = await buyTickets(cloud, seeded, { quantity: 1 });
    await cloud.call('POST', `/api/v1/orders/${bought.purchase.order.id}/refund`, {
      token: seeded.adminToken,
    });
    const rest = await syncAll(3, rows, first.page.nextAfter, first.page.epoch);
    const refundedSerial = [...rest.rows.values()].find(
      (r) => r.status === 'revoked' && r.seq > first.page.head,
    );
    expect(refundedSerial).toBeDefined();
    expect(rest.page.summary).toEqual({
      rowCount: rest.rows.size,
      checksum: manifestChecksum(rest.rows.values()),
    });
  });

  it('answers 409 MANIFEST_RESET for another epoch or a cursor beyond the head', async () => {
    const { page } = await syncAll(10_000);
    const wrongEpoch = await pullPage(cloud, device, {
      eventId: seeded.eventId,
      after: 1,
      epoch: 'another-history',
    });
    expect(wrongEpoch.status).toBe(409);
    expect(wrongEpoch.body.error.code).toBe('MANIFEST_RESET');
    const beyond = await pullPage(cloud, device, {
      eventId: seeded.eventId,
      after: page.head + 5,
      epoch: page.epoch,
    });
    expect(beyond.status).toBe(409);
  });

  it('refuses bad queries with the envelope', async () => {
    for (const query of [
      '',
      'eventId=nope',
      `eventId=${seeded.eventId}&after=-1`,
      `eventId=${seeded.eventId}&limit=0`,
      `eventId=${seeded.eventId}&extra=1`,
    ]) {
      const response = await cloud.app.request(`/api/v1/sync/manifest?${query}`, {
        headers: { authorization: `Bearer ${device.accessToken}` },
      });
      expect(response.status, query).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
    }
  });
});
