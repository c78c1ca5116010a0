/**
 * A gate's moves reach the cloud (issue 18): an accepted entry or exit uploaded with the move it made
 * (`fromZone`, `toZone`) files an admission record carrying that move, so the other gates hear it in their
 * manifest and the cloud's occupancy folds the holder into the same zone the deciding gate did — a Lounge
 * entry stays a Lounge entry instead of a Hall entry. A scan without zones files a record without them.
 *
 * seedEvent's clock: doors open at t0 + 1 h.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { occupancyOf } from '../../shared/admission/history';
import { buyTickets, createTestCloud, seedEvent, type TestCloud } from '../test-support/cloud';
import { enrollTestDevice, pullPage, refreshDeviceToken } from '../test-support/devices';
import { scanRecord } from '../test-support/scan-records';

const HALL = '0190c3a4-0000-7000-8000-00000000a001';
const LOUNGE = '0190c3a4-0000-7000-8000-00000000a002';

let cloud: TestCloud;

beforeAll(async () => {
  cloud = await createTestCloud();
});

afterAll(async () => {
  await cloud?.close();
});

describe('zone moves in a gate upload', () => {
  it('are filed with their admission records and served to the other gates', async () => {
    const seeded = await seedEvent(cloud);
    const { token, purchase } = await buyTickets(cloud, seeded, { quantity: 2 });
    const [first, second] = await Promise.all(
      purchase.tickets
        .slice(0, 2)
        .map(
          async (t: { id: string }) => (await cloud.call('GET', `/api/v1/tickets/${t.id}`, { token })).body,
        ),
    );
    const device = await enrollTestDevice(cloud, seeded, 0);
    cloud.advance(2 * 3600_000);
    await refreshDeviceToken(cloud, device);
    const at = cloud.now() - 60_000;
    const place = { gateId: device.enrollment.gate.id, eventId: seeded.eventId };
    const scans = [
      scanRecord({
        ...place,
        ticketSerial: first.serial,
        seq: 1,
        admissionSeq: 1,
        scannedAt: at,
        fromZone: 'outside',
        toZone: HALL,
      }),
      scanRecord({
        ...place,
        ticketSerial: first.serial,
        seq: 2,
        admissionSeq: 2,
        scannedAt: at + 1_000,
        fromZone: HALL,
        toZone: LOUNGE,
      }),
      // A record without zones (an agent from before zones): the single-door entry.
      scanRecord({ ...place, ticketSerial: second.serial, seq: 3, admissionSeq: 3, scannedAt: at + 2_000 }),
    ];
    const upload = await cloud.call('POST', '/api/v1/sync/scans', {
      token: device.accessToken,
      body: { scans },
    });
    expect(upload.body).toMatchObject({ ackedSeq: 3, stored: 3, quarantined: 0 });

    const other = await enrollTestDevice(cloud, seeded, 1);
    const page = (await pullPage(cloud, other, { eventId: seeded.eventId })).page!;
    const bySeq = new Map(page.admissions.map((r) => [r.originSeq, r]));
    expect(bySeq.get(1)).toMatchObject({ fromZone: 'outside', toZone: HALL });
    expect(bySeq.get(2)).toMatchObject({ fromZone: HALL, toZone: LOUNGE });
    expect(bySeq.get(3)?.fromZone ?? null).toBeNull();
    // What the other gate folds from them: one holder in the Lounge, one in the Hall (the default zone).
    const records = page.admissions.map(({ undoes, ...record }) => ({
      ...record,
      ...(undoes ? { undoes } : {}),
    }));
    const histories = [
      records.filter((r) => r.serial === first.serial),
      records.filter((r) => r.serial === second.serial),
    ];
    expect(Object.fromEntries(occupancyOf(histories, HALL))).toEqual({ [LOUNGE]: 1, [HALL]: 1 });
  });
});
