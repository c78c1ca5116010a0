/**
 * Manifest pages (SPEC section 6, pull): signed and compressed; pages of any size add up to one full
 * sync whose row count and checksum match; a refund reaches the next delta as a tombstone; an unknown
 * epoch or a cursor beyond the head answers 409 MANIFEST_RESET; the event keys travel sealed to the
 * requesting device, never readable in the body.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createManifestPageVerifier,
  fromBase64Url,
  KeyUnwrapError,
  signManifestPage,
  unwrapEventKeyForDevice,
} from '../../shared/crypto';
import {
  EMPTY_ADMISSION_TOTALS,
  type ManifestPage,
  type ManifestTicket,
  manifestChecksum,
} from '../../shared/sync-protocol';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';
import { enrollTestDevice, pullPage, type TestDevice } from '../test-support/devices';
import { gateReport, sendGateReport } from '../test-support/gate-report';

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
    expect(page.summary).toEqual({
      rowCount: 14,
      checksum: manifestChecksum(page.tickets),
      admissions: EMPTY_ADMISSION_TOTALS,
    });
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
    expect(delta.page.summary).toEqual({
      rowCount: 16,
      checksum: manifestChecksum(delta.rows.values()),
      admissions: EMPTY_ADMISSION_TOTALS,
    });
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
      admissions: EMPTY_ADMISSION_TOTALS,
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

describe('the peer list and the gates of the venue (issue 14)', () => {
  async function lastPage(of: TestDevice): Promise<ManifestPage> {
    const pulled = await pullPage(cloud, of, { eventId: seeded.eventId });
    if (pulled.status !== 200 || !('page' in pulled) || !pulled.page)
      throw new Error(`pull ${pulled.status}`);
    return pulled.page;
  }

  it('lists the other active devices of the venue with their keys, gates and reported addresses; a revoked one drops off at once', async () => {
    const north = await enrollTestDevice(cloud, seeded, 0);
    const headBefore = (await lastPage(north)).head;
    const vipDevice = await enrollTestDevice(cloud, seeded, 1);
    let page = await lastPage(north);
    // Enrolling a device moves the head (no row): the venue's gates pull the new list at once.
    expect(page.head).toBeGreaterThan(headBefore);
    expect(page.event.gates.map((g) => g.name).sort()).toEqual(['North', 'VIP']);
    const listed = page.peers.find((p) => p.deviceId === vipDevice.deviceId);
    expect(listed).toMatchObject({ gateId: seeded.gateIds[1], gateName: 'VIP', address: null });
    expect(listed!.publicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(page.peers.some((p) => p.deviceId === north.deviceId)).toBe(false); // never itself

    const report = gateReport(cloud, { peerAddress: '10.0.4.17:7701' });
    expect((await sendGateReport(cloud, vipDevice, report)).status).toBe(200);
    page = await lastPage(north);
    expect(page.peers.find((p) => p.deviceId === vipDevice.deviceId)?.address).toBe('10.0.4.17:7701');

    const revoked = await cloud.call('POST', `/api/v1/devices/${vipDevice.deviceId}/revoke`, {
      token: seeded.adminToken,
    });
    expect(revoked.status).toBe(200);
    const afterRevoke = await lastPage(north);
    expect(afterRevoke.head).toBeGreaterThan(page.head);
    expect(afterRevoke.peers.some((p) => p.deviceId === vipDevice.deviceId)).toBe(false);
  });

  it('refuses a peer address that is not host:port', async () => {
    const north = await enrollTestDevice(cloud, seeded, 0);
    const bad = gateReport(cloud, { peerAddress: 'http://10.0.0.1:80/x' });
    expect((await sendGateReport(cloud, north, bad)).status).toBe(400);
  });
});

describe('event keys in the page (issue 15, finding 9)', () => {
  async function pageFor(of: TestDevice) {
    const pulled = await pullPage(cloud, of, { eventId: seeded.eventId });
    if (pulled.status !== 200 || !('page' in pulled) || !pulled.page)
      throw new Error(`pull ${pulled.status}`);
    return { page: pulled.page };
  }

  it('are sealed to the requesting device: the body holds no event key in any form, another device’s key opens none', async () => {
    const realKeys = await cloud.keyring.eventKeysOf(seeded.eventId);
    expect(realKeys.length).toBeGreaterThan(0);
    // The body as it leaves the cloud (uncompressed), read before any parsing.
    const response = await cloud.app.request(`/api/v1/sync/manifest?eventId=${seeded.eventId}`, {
      headers: { authorization: `Bearer ${device.accessToken}`, 'accept-encoding': 'identity' },
    });
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    const text = body.toString('utf8').toLowerCase();
    for (const { key } of realKeys) {
      const bytes = Buffer.from(key);
      expect(body.includes(bytes)).toBe(false);
      for (const form of ['base64url', 'base64', 'hex'] as const) {
        expect(text.includes(bytes.toString(form).toLowerCase()), form).toBe(false);
      }
    }
    const { page } = await pageFor(device);

    const other = await enrollTestDevice(cloud, seeded);
    expect(page.keys.eventKeys.map((k) => k.keyVersion)).toEqual(realKeys.map((k) => k.keyVersion));
    for (const sealed of page.keys.eventKeys) {
      const real = realKeys.find((k) => k.keyVersion === sealed.keyVersion)!;
      const context = { eventId: seeded.eventId, keyVersion: sealed.keyVersion, deviceId: device.deviceId };
      const opened = unwrapEventKeyForDevice(device.privateKey, sealed.wrapped, context);
      expect(Buffer.from(opened)).toEqual(Buffer.from(real.key));
      // Another enrolled device of the same venue and event cannot open this device's page.
      expect(() => unwrapEventKeyForDevice(other.privateKey, sealed.wrapped, context)).toThrow(
        KeyUnwrapError,
      );
      const asOther = { ...context, deviceId: other.deviceId };
      expect(() => unwrapEventKeyForDevice(other.privateKey, sealed.wrapped, asOther)).toThrow(
        KeyUnwrapError,
      );
    }

    // Its own page carries its own wraps, which open only with its key.
    const theirs = (await pageFor(other)).page.keys.eventKeys[0]!;
    expect(theirs.wrapped).not.toBe(page.keys.eventKeys[0]!.wrapped);
    const theirContext = { eventId: seeded.eventId, keyVersion: theirs.keyVersion, deviceId: other.deviceId };
    const opened = unwrapEventKeyForDevice(other.privateKey, theirs.wrapped, theirContext);
    expect(Buffer.from(opened)).toEqual(Buffer.from(realKeys[0]!.key));
    expect(() => unwrapEventKeyForDevice(device.privateKey, theirs.wrapped, theirContext)).toThrow(
      KeyUnwrapError,
    );
  });
});
