/**
 * Gate health reports (POST /api/v1/sync/report): a valid report is stored on the device row with the
 * cloud's clock; a malformed, oversized, unauthenticated or revoked one is refused and changes nothing —
 * not even the report stored before it.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REPORT_EVENTS } from '../../shared/sync-protocol';
import { devices } from '../db/schema';
import { createTestCloud, type SeededEvent, seedEvent, type TestCloud } from '../test-support/cloud';
import { enrollTestDevice, type TestDevice } from '../test-support/devices';
import { gateReport, sendGateReport } from '../test-support/gate-report';

let cloud: TestCloud;
let seeded: SeededEvent;

beforeAll(async () => {
  cloud = await createTestCloud();
  seeded = await seedEvent(cloud);
});
afterAll(async () => {
  await cloud?.close();
});

async function stored(device: TestDevice) {
  const [row] = await cloud.database.db
    .select({ report: devices.lastReport, at: devices.lastReportAt })
    .from(devices)
    .where(eq(devices.id, device.deviceId));
  return row!;
}

describe('gate health report', () => {
  it('stores the report as sent, with the cloud’s time of arrival', async () => {
    const device = await enrollTestDevice(cloud, seeded);
    const report = gateReport(cloud, {
      events: [{ eventId: seeded.eventId, manifestSeq: 12, tickets: 12, manifestAgeSeconds: 8 }],
    });
    const response = await sendGateReport(cloud, device, report);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ cloudTime: cloud.now() });
    const row = await stored(device);
    expect(row.report).toEqual(report);
    expect(row.at?.getTime()).toBe(cloud.now());

    // The next report replaces it.
    cloud.advance(30_000);
    const next = gateReport(cloud, { pendingUploads: 0 });
    expect((await sendGateReport(cloud, device, next)).status).toBe(200);
    expect((await stored(device)).report).toEqual(next);
  });

  it('refuses a malformed report with 400 and keeps the previous one', async () => {
    const device = await enrollTestDevice(cloud, seeded);
    const good = gateReport(cloud);
    expect((await sendGateReport(cloud, device, good)).status).toBe(200);
    const goodAt = (await stored(device)).at;
    cloud.advance(1_000);

    const bad: Array<[string, unknown]> = [
      ['an unknown field', { ...good, secretSauce: 1 }],
      ['an unknown reject reason', { ...good, rejectsByReason: { MAYBE: 1 } }],
      ['a negative backlog', { ...good, pendingUploads: -1 }],
      ['a fractional count', { ...good, decisions: { accepted: 1.5, rejected: 0 } }],
      ['a missing field', { ...good, online: undefined }],
      ['a wrong protocol', { ...good, protocol: 99 }],
      ['markup as the version', { ...good, agentVersion: '<script>' }],
      [
        'an event that is not a uuid',
        { ...good, events: [{ eventId: 'x', manifestSeq: 1, tickets: 1, manifestAgeSeconds: 1 }] },
      ],
      [
        'too many events',
        {
          ...good,
          events: Array.from({ length: MAX_REPORT_EVENTS + 1 }, () => ({
            eventId: seeded.eventId,
            manifestSeq: 1,
            tickets: 1,
            manifestAgeSeconds: 1,
          })),
        },
      ],
      ['an array', [good]],
      ['not JSON', '{"protocol": 1,'],
    ];
    for (const [what, body] of bad) {
      const response = await sendGateReport(cloud, device, body);
      expect(response.status, what).toBe(400);
      expect(['VALIDATION_FAILED', 'MALFORMED_JSON'], what).toContain(response.body.error.code);
    }
    const row = await stored(device);
    expect(row.report).toEqual(good);
    expect(row.at).toEqual(goodAt);
  });

  it('refuses an oversized body with 413 before reading it', async () => {
    const device = await enrollTestDevice(cloud, seeded);
    const huge = { ...gateReport(cloud), padding: 'x'.repeat(100 * 1024) };
    const response = await sendGateReport(cloud, device, huge);
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await stored(device)).report).toBeNull();
  });

  it('needs a device token: none, a user JWT, or a revoked device are refused', async () => {
    const device = await enrollTestDevice(cloud, seeded);
    const report = gateReport(cloud);
    expect((await cloud.call('POST', '/api/v1/sync/report', { body: report })).status).toBe(401);
    const asAdmin = await cloud.call('POST', '/api/v1/sync/report', {
      body: report,
      token: seeded.adminToken,
    });
    expect(asAdmin.status).toBe(401);

    const revoke = await cloud.call('POST', `/api/v1/devices/${device.deviceId}/revoke`, {
      token: seeded.adminToken,
    });
    expect(revoke.status).toBe(200);
    const refused = await sendGateReport(cloud, device, report);
    expect(refused.status).toBe(401);
    expect((await stored(device)).report).toBeNull();
  });

  it('is described in the OpenAPI document', async () => {
    const document = await cloud.call('GET', '/openapi.json');
    expect(document.body.paths['/api/v1/sync/report']?.post).toBeDefined();
  });
});
