/**
 * Online validation files its admission AFTER the ticket's latest record (shared/admission/history
 * admissionTimeAfter): a gate whose clock estimate runs ahead uploads an exit stamped a little in the
 * cloud's future; the re-entry `/validate` then accepts must still sort after that exit, or the history
 * would fold into "outside" and a second `/validate` would admit the same ticket again.
 *
 * seedEvent's clock: doors open at t0 + 1 h.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buyTickets, createTestCloud, seedEvent, type TestCloud } from '../test-support/cloud';
import { enrollTestDevice, refreshDeviceToken } from '../test-support/devices';
import { scanRecord } from '../test-support/scan-records';

const MINUTE = 60_000;

let cloud: TestCloud;

beforeAll(async () => {
  cloud = await createTestCloud();
});

afterAll(async () => {
  await cloud?.close();
});

describe('online validation after a gate with a fast clock', () => {
  it('admits the re-entry once: its record follows the exit the gate stamped in the future', async () => {
    const t0 = cloud.now();
    const seeded = await seedEvent(cloud);
    const { token, purchase } = await buyTickets(cloud, seeded);
    const ticket = await cloud.call('GET', `/api/v1/tickets/${purchase.tickets[0].id}`, { token });
    const gate = await enrollTestDevice(cloud, seeded, 0);
    cloud.advance(t0 + 90 * MINUTE - cloud.now());
    await refreshDeviceToken(cloud, gate);
    const place = { gateId: seeded.gateIds[0]!, eventId: seeded.eventId, ticketSerial: ticket.body.serial };
    const uploaded = await cloud.call('POST', '/api/v1/sync/scans', {
      token: gate.accessToken,
      body: {
        scans: [
          scanRecord({ ...place, seq: 1, admissionSeq: 1, scannedAt: cloud.now() - 10 * MINUTE }),
          // The gate's clock estimate is 30 s ahead of the cloud: its exit is stamped in the future.
          scanRecord({
            ...place,
            seq: 2,
            admissionSeq: 2,
            direction: 'out',
            scannedAt: cloud.now(),
            clockOffsetMs: 30_000,
          }),
        ],
      },
    });
    expect(uploaded.body).toMatchObject({ ackedSeq: 2, stored: 2 });

    const staff = await cloud.token('venue_staff', seeded.tenant);
    const validate = () =>
      cloud.call('POST', '/api/v1/validate', {
        token: staff,
        body: { qr: purchase.tickets[0].qr, gateId: seeded.gateIds[1] ?? seeded.gateIds[0], direction: 'in' },
      });
    expect((await validate()).body).toMatchObject({ decision: 'accept' });
    expect((await validate()).body).toMatchObject({ decision: 'reject', reason: 'ALREADY_USED' });
  });
});
