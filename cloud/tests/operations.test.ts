/**
 * The event operations view: GET /api/v1/events/:id/operations for admin and ops only (customer and
 * venue staff 403, another tenant 404), its figures from uploads, reports and attendance, device
 * judgement (online, late, offline; stale manifest, backlog, clock skew), and the static page's headers.
 */
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REASON_LABELS } from '../../shared/admission/reasons';
import type { ScanRecord } from '../../shared/sync-protocol';
import { OPS_PAGE_CSP } from '../routes/operations';
import { CHART_MINUTES, judgeDevice } from '../services/operations';
import { createTestCloud, type SeededEvent, seedEvent, type TestCloud } from '../test-support/cloud';
import { enrollTestDevice, type TestDevice } from '../test-support/devices';
import { gateReport, sendGateReport } from '../test-support/gate-report';
import { scanRecord } from '../test-support/scan-records';

let cloud: TestCloud;
let seeded: SeededEvent;

beforeAll(async () => {
  cloud = await createTestCloud();
  seeded = await seedEvent(cloud);
});
afterAll(async () => {
  await cloud?.close();
});

const operationsPath = (eventId: string) => `/api/v1/events/${eventId}/operations`;

function scan(
  device: TestDevice,
  eventId: string,
  seq: number,
  overrides: Partial<ScanRecord> = {},
): ScanRecord {
  return scanRecord({
    seq,
    gateId: device.enrollment.gate.id,
    eventId,
    ticketSerial: seq,
    // Device clock 1.5 s behind the cloud: the cloud places the scan at scannedAt + offset.
    scannedAt: cloud.now() - 1_500 - (10 - seq) * 60_000,
    clockOffsetMs: 1_500,
    manifestSeq: 10,
    ...overrides,
  });
}

describe('operations permissions', () => {
  it('admin of the tenant and ops may read it', async () => {
    const admin = await cloud.call('GET', operationsPath(seeded.eventId), { token: seeded.adminToken });
    expect(admin.status).toBe(200);
    expect(admin.headers.get('cache-control')).toBe('no-store');
    const ops = await cloud.call('GET', operationsPath(seeded.eventId), {
      token: await cloud.token('ops', 'platform'),
    });
    expect(ops.status).toBe(200);
    expect(ops.body.event.id).toBe(seeded.eventId);
  });

  it('customers and venue staff are refused (403)', async () => {
    for (const role of ['customer', 'venue_staff'] as const) {
      const response = await cloud.call('GET', operationsPath(seeded.eventId), {
        token: await cloud.token(role, seeded.tenant),
      });
      expect(response.status, role).toBe(403);
      expect(response.body.error.code).toBe('FORBIDDEN');
    }
  });

  it('another tenant’s admin gets 404, like an unknown event; no token 401; a bad id 400', async () => {
    const other = await cloud.token('admin', 'tenant-someone-else');
    const crossTenant = await cloud.call('GET', operationsPath(seeded.eventId), { token: other });
    expect(crossTenant.status).toBe(404);
    const unknown = await cloud.call('GET', operationsPath(uuidv7()), { token: seeded.adminToken });
    expect(unknown.status).toBe(404);
    expect(crossTenant.body.error.message).toBe(unknown.body.error.message);
    expect((await cloud.call('GET', operationsPath(seeded.eventId))).status).toBe(401);
    expect((await cloud.call('GET', operationsPath('nope'), { token: seeded.adminToken })).status).toBe(400);
  });
});

describe('operations view', () => {
  it('shows every gate, its device’s report and uploads, admissions per minute and reject reasons', async () => {
    const own = await seedEvent(cloud);
    const north = await enrollTestDevice(cloud, own, 0);
    const before = await cloud.call('GET', operationsPath(own.eventId), { token: own.adminToken });
    expect(before.status).toBe(200);
    expect(before.body.gates.map((g: { name: string }) => g.name)).toEqual(['North', 'VIP']);
    // Enrolled and never heard from since: the enrollment counts as contact, no report yet.
    expect(before.body.gates[0].devices[0].connection).toBe('online');
    expect(before.body.gates[0].devices[0].pendingUploads).toBeNull();
    expect(before.body.gates[1].health).toBe('idle');

    const unreadable = {
      decision: 'reject',
      reason: 'INVALID',
      eventId: null,
      ticketSerial: null,
      generation: null,
    } as const;
    const scans = [
      scan(north, own.eventId, 1),
      scan(north, own.eventId, 2),
      scan(north, own.eventId, 3, { decision: 'reject', reason: 'ALREADY_USED', ticketSerial: 1 }),
      scan(north, own.eventId, 4, unreadable),
      scan(north, own.eventId, 5, unreadable),
      scan(north, own.eventId, 6),
    ];
    const upload = await cloud.call('POST', '/api/v1/sync/scans', {
      token: north.accessToken,
      body: { scans },
    });
    expect(upload.status).toBe(200);
    expect(upload.body.ackedSeq).toBe(6);
    const report = gateReport(cloud, {
      pendingUploads: 0,
      events: [{ eventId: own.eventId, manifestSeq: 17, tickets: 40, manifestAgeSeconds: 12 }],
    });
    expect((await sendGateReport(cloud, north, report)).status).toBe(200);
    cloud.advance(5_000);

    const view = await cloud.call('GET', operationsPath(own.eventId), { token: own.adminToken });
    expect(view.status).toBe(200);
    const ops = view.body;
    expect(ops.event).toMatchObject({ name: 'Concert', venueName: 'Arena', timezone: 'Europe/Berlin' });
    expect(ops.generatedAt).toBe(new Date(cloud.now()).toISOString());
    const [gate, vip] = ops.gates;
    expect(gate).toMatchObject({ name: 'North', health: 'ok', admitted: 3, accepted: 3, rejected: 3 });
    expect(vip).toMatchObject({ name: 'VIP', health: 'idle', devices: [] });
    expect(gate.devices).toHaveLength(1);
    expect(gate.devices[0]).toMatchObject({
      deviceId: north.deviceId,
      connection: 'online',
      health: 'ok',
      problems: [],
      manifestSeq: 17,
      // 12 s as reported, 5 s ago.
      manifestAgeSeconds: 17,
      pendingUploads: 0,
      lastUploadAgeSeconds: 5,
      clockSkewMs: 1_500,
      agentVersion: '0.1.0-test',
      decisions: { accepted: 39, rejected: 3 },
    });
    expect(ops.totals).toMatchObject({
      admitted: 3,
      inside: 3,
      accepted: 3,
      rejected: 3,
      pendingUploads: 0,
      devices: 1,
      devicesOnline: 1,
      gates: { ok: 1, warning: 0, critical: 0, idle: 1 },
    });
    // Unreadable codes carry no event; they count for this event because its device scanned them today.
    expect(ops.rejectReasons).toEqual([
      { reason: 'INVALID', count: 2 },
      { reason: 'ALREADY_USED', count: 1 },
    ]);
    expect(ops.perMinute).toHaveLength(CHART_MINUTES);
    const last = ops.perMinute.at(-1);
    expect(Date.parse(last.minute)).toBe(Math.floor(cloud.now() / 60_000) * 60_000);
    expect(ops.perMinute.reduce((sum: number, m: { entries: number }) => sum + m.entries, 0)).toBe(3);
    // Scans placed by the cloud's estimate (scannedAt + offset): seq 1 nine minutes before seq 10's minute.
    const nonZero = ops.perMinute.filter((m: { entries: number }) => m.entries > 0);
    expect(nonZero).toHaveLength(3);

    // Ten quiet minutes later the gate is offline (red), whatever it reported before.
    cloud.advance(10 * 60_000);
    const later = await cloud.call('GET', operationsPath(own.eventId), { token: own.adminToken });
    expect(later.body.gates[0].health).toBe('critical');
    expect(later.body.gates[0].devices[0].connection).toBe('offline');
    expect(later.body.gates[0].devices[0].problems[0]).toMatch(/^no contact for 10 min$/);
    expect(later.body.totals.devicesOnline).toBe(0);
  });

  it('a device serving only another event is not shown; a revoked one neither', async () => {
    const own = await seedEvent(cloud);
    const device = await enrollTestDevice(cloud, own, 1);
    const shown = await cloud.call('GET', operationsPath(own.eventId), { token: own.adminToken });
    expect(shown.body.gates[1].devices).toHaveLength(1);
    await cloud.call('POST', `/api/v1/devices/${device.deviceId}/revoke`, { token: own.adminToken });
    const after = await cloud.call('GET', operationsPath(own.eventId), { token: own.adminToken });
    expect(after.body.gates[1].devices).toHaveLength(0);
  });
});

describe('device judgement', () => {
  const now = Date.parse('2027-05-01T20:00:00Z');
  const eventId = '0190f7a0-0000-7000-8000-000000000001';
  const base = {
    id: '0190f7a0-0000-7000-8000-0000000000aa',
    name: 'North 1',
    lastSeenAt: new Date(now - 10_000),
    lastUploadAt: new Date(now - 10_000),
    lastReportAt: new Date(now - 10_000),
    clockOffsetMs: 0,
    report: undefined,
  };
  const reportWith = (overrides: object) => ({
    protocol: 1 as const,
    agentVersion: '1',
    deviceTime: now,
    startedAt: now,
    clockOffsetMs: 0,
    online: true,
    offlineSeconds: 0,
    pendingUploads: 0,
    lastScanSeq: 0,
    lastUploadAt: null,
    lastScanAt: null,
    decisions: { accepted: 0, rejected: 0 },
    rejectsByReason: {},
    syncFailures: { pull: 0, upload: 0 },
    events: [{ eventId, manifestSeq: 1, tickets: 1, manifestAgeSeconds: 5 }],
    ...overrides,
  });

  it('online, late and offline by the last contact of any kind', () => {
    expect(judgeDevice(now, eventId, base).connection).toBe('online');
    const late = { ...base, lastSeenAt: new Date(now - 120_000), lastUploadAt: null, lastReportAt: null };
    expect(judgeDevice(now, eventId, late)).toMatchObject({ connection: 'late', health: 'warning' });
    const gone = { ...late, lastSeenAt: new Date(now - 3_600_000) };
    expect(judgeDevice(now, eventId, gone)).toMatchObject({
      connection: 'offline',
      health: 'critical',
      problems: ['no contact for 60 min'],
    });
    const never = { ...late, lastSeenAt: null };
    expect(judgeDevice(now, eventId, never)).toMatchObject({ connection: 'never', health: 'critical' });
  });

  it('warns about a stale manifest, a backlog that does not drain, a far-off clock, a missing event', () => {
    const stale = judgeDevice(now, eventId, {
      ...base,
      report: reportWith({ events: [{ eventId, manifestSeq: 1, tickets: 1, manifestAgeSeconds: 900 }] }),
    });
    expect(stale).toMatchObject({ health: 'warning', problems: ['manifest 15 min old'] });
    const draining = judgeDevice(now, eventId, { ...base, report: reportWith({ pendingUploads: 20 }) });
    expect(draining.health).toBe('ok');
    const stuck = judgeDevice(now, eventId, {
      ...base,
      lastUploadAt: new Date(now - 600_000),
      report: reportWith({ pendingUploads: 20 }),
    });
    expect(stuck.problems).toEqual(['20 scans waiting for upload']);
    const big = judgeDevice(now, eventId, { ...base, report: reportWith({ pendingUploads: 500 }) });
    expect(big.problems).toEqual(['500 scans waiting for upload']);
    const skewed = judgeDevice(now, eventId, { ...base, report: reportWith({ clockOffsetMs: -600_000 }) });
    expect(skewed.problems).toEqual(['clock 10 min ahead']);
    const elsewhere = judgeDevice(now, eventId, { ...base, report: reportWith({ events: [] }) });
    expect(elsewhere.problems).toEqual(['holds no manifest of this event']);
  });
});

describe('operations page', () => {
  it('serves the page and its assets with a strict CSP and no inline code', async () => {
    const page = await cloud.call('GET', `/ops/events/${seeded.eventId}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toBe(OPS_PAGE_CSP);
    expect(OPS_PAGE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    const html = String(page.body);
    // Scripts only by src, styles only by link: the CSP would block anything inline anyway.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    const script = await cloud.call('GET', '/ops/assets/ops.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(String(script.body)).not.toMatch(/innerHTML|eval\(|new Function/);
    // The reasons' words reach the page from their one source, as a module beside its script.
    expect(String(script.body)).toContain("from './reasons.js'");
    const labels = await cloud.call('GET', '/ops/assets/reasons.js');
    expect(labels.status).toBe(200);
    expect(labels.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(labels.headers.get('content-security-policy')).toBe(OPS_PAGE_CSP);
    const served = await import(`data:text/javascript,${encodeURIComponent(String(labels.body))}`);
    expect(served.REASON_LABELS).toEqual(REASON_LABELS);
    expect((await cloud.call('GET', '/ops/assets/ops.css')).status).toBe(200);
    expect((await cloud.call('GET', '/ops/events/not-an-id')).status).toBe(404);
    expect((await cloud.call('GET', '/ops/assets/../../config.ts')).status).toBe(404);
  });
});
