/**
 * A gate's Undo reaches the cloud (issue 17): the gate uploads the undo as a scan row (direction `undo`,
 * decision accept, reason OK, detail `undo`, admissionSeq its own number, undoesSeq the record it takes
 * back); the cloud stores it as a scan and files an undo record under (device, admissionSeq) naming
 * (device, undoesSeq). The ticket is then admitted again online, the other gates receive the undo in
 * their manifest, and a replayed batch files nothing twice. An undo row missing what it names is kept in
 * quarantine and still acknowledged.
 *
 * seedEvent's clock: doors open at t0 + 1 h.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admissionTotalsOf } from '../../shared/sync-protocol';
import { buyTickets, createTestCloud, seedEvent, type TestCloud } from '../test-support/cloud';
import { enrollTestDevice, pullPage, refreshDeviceToken } from '../test-support/devices';
import { scanRecord } from '../test-support/scan-records';

let cloud: TestCloud;

beforeAll(async () => {
  cloud = await createTestCloud();
});

afterAll(async () => {
  await cloud?.close();
});

describe('undo rows in a gate upload', () => {
  it('are stored and filed as undo records that gates and /validate honour', async () => {
    const seeded = await seedEvent(cloud);
    const { token, purchase } = await buyTickets(cloud, seeded);
    const ticket = await cloud.call('GET', `/api/v1/tickets/${purchase.tickets[0].id}`, { token });
    const device = await enrollTestDevice(cloud, seeded, 0);
    cloud.advance(2 * 3600_000);
    await refreshDeviceToken(cloud, device);
    const place = {
      gateId: device.enrollment.gate.id,
      eventId: seeded.eventId,
      ticketSerial: ticket.body.serial,
    };
    const scans = [
      scanRecord({ ...place, seq: 1, admissionSeq: 1, scannedAt: cloud.now() - 60_000 }),
      scanRecord({
        ...place,
        seq: 2,
        direction: 'undo',
        detail: 'undo',
        admissionSeq: 2,
        undoesSeq: 1,
        scannedAt: cloud.now() - 30_000,
      }),
      // An undo row that names no record: quarantined, still acknowledged.
      scanRecord({
        ...place,
        seq: 3,
        direction: 'undo',
        detail: 'undo',
        admissionSeq: 3,
        scannedAt: cloud.now(),
      }),
    ];
    const upload = () =>
      cloud.call('POST', '/api/v1/sync/scans', { token: device.accessToken, body: { scans } });
    const first = await upload();
    expect(first.body).toMatchObject({ ackedSeq: 3, stored: 2, quarantined: 1 });
    expect((await upload()).body).toMatchObject({ ackedSeq: 3, stored: 0, quarantined: 0, duplicates: 3 });

    const list = await cloud.call('GET', `/api/v1/events/${seeded.eventId}/admissions`, {
      token: seeded.adminToken,
    });
    expect(list.body.items).toEqual([
      expect.objectContaining({ origin: device.deviceId, originSeq: 1, direction: 'in', undoes: null }),
      expect.objectContaining({
        origin: device.deviceId,
        originSeq: 2,
        direction: 'undo',
        undoes: { origin: device.deviceId, originSeq: 1 },
        source: 'gate',
        recordedBy: null,
      }),
    ]);

    const staff = await cloud.token('venue_staff', seeded.tenant);
    const validated = await cloud.call('POST', '/api/v1/validate', {
      token: staff,
      body: { qr: purchase.tickets[0].qr, gateId: seeded.gateIds[1] },
    });
    expect(validated.body).toMatchObject({ decision: 'accept', reason: 'OK' });

    const other = await enrollTestDevice(cloud, seeded, 1);
    const page = (await pullPage(cloud, other, { eventId: seeded.eventId })).page!;
    expect(page.admissions.find((r) => r.direction === 'undo')).toMatchObject({
      origin: device.deviceId,
      originSeq: 2,
      undoes: { origin: device.deviceId, originSeq: 1 },
    });
    expect(page.summary?.admissions).toEqual(admissionTotalsOf(page.admissions));
  });
});
