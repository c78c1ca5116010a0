/**
 * Reconciliation (SPEC section 8) on a scenario built through the real API and the real sync endpoints:
 * two gates offline at once both admitting one ticket, a refund a gate never saw followed by an
 * admission of that ticket, a device with a gap in its sequence, a device with a skewed clock, unreadable
 * codes inside and outside the event's window, and an online validation. Every finding is asserted
 * exactly; a second run gives the same report; the CSV carries the findings; only the tenant's admin and
 * ops may run and read it.
 */
import { sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ScanRecord } from '../../shared/sync-protocol';
import { parseRows, sqlCount, sqlNumber } from '../db/rows';
import { PermanentJobError } from '../jobs/definition';
import { createReconciliationJobs } from '../jobs/reconciliation';
import {
  csvField,
  planNightlyReconciliation,
  type ReconciliationReport,
  type ReconciliationRunView,
  reportToCsv,
  runReconciliation,
} from '../services/reconciliation';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';
import { enrollTestDevice, refreshDeviceToken, type TestDevice } from '../test-support/devices';
import { testRedisUrl, uniquePrefix } from '../test-support/redis';
import { scanRecord } from '../test-support/scan-records';

const MINUTE = 60_000;
const redisUrl = testRedisUrl();

let cloud: TestCloud;
let seeded: SeededEvent;
/** The cloud clock when the event was seeded; every scan time below is relative to it. */
let t0: number;
let serials: number[];
let ticketIds: string[];
let refunded: { serial: number; ticketId: string };
let manifestSeqBefore: number;
let revocationSeq: number;
let devices: Record<'a' | 'b' | 'c' | 'd', TestDevice>;
const offsets = { a: 200, b: -300, c: 0, d: 300_000 } as const;

const iso = (minutes: number) => new Date(t0 + minutes * MINUTE).toISOString();

async function changeHead(): Promise<number> {
  const [row] = parseRows(
    z.object({ change_seq: sqlNumber }),
    await cloud.services.db.execute(sql`select change_seq from events where id = ${seeded.eventId}::uuid`),
  );
  return Number(row?.change_seq);
}

async function reportRows(): Promise<number> {
  const [row] = parseRows(
    z.object({ n: sqlCount }),
    await cloud.services.db.execute(sql`select count(*)::int as n from reconciliation_reports`),
  );
  return row?.n ?? 0;
}

/**
 * One scan as the gate records it. `minutes` is the real (cloud) time of the scan after t0; the device
 * writes its own clock, which differs from the cloud's by its offset, so the cloud's estimate
 * (scannedAt + offset) lands exactly on that real time.
 */
function scan(
  key: keyof typeof devices,
  seq: number,
  minutes: number,
  fields: Partial<ScanRecord> & { serial?: number | null },
): ScanRecord {
  const { serial, ...rest } = fields;
  return scanRecord({
    seq,
    gateId: devices[key].enrollment.gate.id,
    eventId: serial === null ? null : seeded.eventId,
    ticketSerial: serial ?? null,
    generation: serial === null ? null : 1,
    scannedAt: t0 + minutes * MINUTE - offsets[key],
    clockOffsetMs: offsets[key],
    manifestSeq: manifestSeqBefore,
    ...rest,
  });
}

/** An unreadable code: no event, no ticket (what a gate records for a forged or damaged QR). */
const unreadable = (detail: string): Partial<ScanRecord> & { serial: null } => ({
  serial: null,
  decision: 'reject',
  reason: 'INVALID',
  detail,
});

async function upload(key: keyof typeof devices, scans: ScanRecord[]) {
  await refreshDeviceToken(cloud, devices[key]);
  const response = await cloud.call('POST', '/api/v1/sync/scans', {
    token: devices[key].accessToken,
    body: { scans },
  });
  expect(response.status).toBe(200);
  return response.body as { ackedSeq: number };
}

async function reconcile(token: string): ReturnType<TestCloud['call']> {
  const requested = await cloud.call('POST', `/api/v1/events/${seeded.eventId}/reconciliation`, { token });
  expect(requested.status).toBe(202);
  await cloud.jobs.drain();
  return cloud.call('GET', `/api/v1/events/${seeded.eventId}/reconciliation`, { token });
}

/** The report without what legitimately differs between runs (when and by which run it was made). */
function content(report: ReconciliationReport) {
  const { generatedAt: _generatedAt, run: _run, ...rest } = report;
  return rest;
}

beforeAll(async () => {
  cloud = await createTestCloud();
  t0 = cloud.now();
  seeded = await seedEvent(cloud, { capacities: [50] });
  const bought = await buyTickets(cloud, seeded, { quantity: 6 });
  const refundable = await buyTickets(cloud, seeded, { quantity: 1 });
  const ids = [...bought.purchase.tickets, ...refundable.purchase.tickets].map((t: { id: string }) => t.id);
  const rows = parseRows(
    z.object({ id: z.string(), serial: sqlNumber }),
    await cloud.services.db.execute(
      sql`select id, serial from tickets where id = any(${sql.param(ids)}::uuid[])`,
    ),
  );
  const serialOf = new Map(rows.map((r) => [r.id, Number(r.serial)]));
  ticketIds = ids.slice(0, 6);
  serials = ticketIds.map((id) => serialOf.get(id)!);
  refunded = { ticketId: ids[6]!, serial: serialOf.get(ids[6]!)! };

  devices = {
    a: await enrollTestDevice(cloud, seeded, 0), // North
    b: await enrollTestDevice(cloud, seeded, 1), // VIP
    c: await enrollTestDevice(cloud, seeded, 0), // North, loses two scans
    d: await enrollTestDevice(cloud, seeded, 1), // VIP, clock five minutes slow
  };
  // Every gate synced before the doors opened and then lost the venue's internet.
  manifestSeqBefore = await changeHead();

  // 70 minutes in (the doors are open: only an admin's override refunds now): the last buyer's order is
  // refunded. The offline gates never learn of it.
  cloud.advance(70 * MINUTE);
  const refund = await cloud.call('POST', `/api/v1/orders/${refundable.purchase.order.id}/refund`, {
    token: seeded.adminToken,
    body: { override: true, reason: 'customer_refund' },
  });
  expect(refund.status).toBe(200);
  revocationSeq = await changeHead();
  expect(revocationSeq).toBe(manifestSeqBefore + 1);

  const [t1, t2, t3, t4, t5] = serials;
  // Four hours in the gates come back online one after another and upload what they recorded.
  cloud.advance(170 * MINUTE); // t0 + 4 h
  await upload('a', [
    scan('a', 1, -30, unreadable('signature')), // before the event's window: not this event's
    scan('a', 2, 80, { serial: t1 }),
    scan('a', 3, 90, { serial: t2 }),
    scan('a', 4, 100, { serial: refunded.serial }), // refunded at minute 70: the gate did not know
    scan('a', 5, 120, { serial: t2, direction: 'out' }),
  ]);
  cloud.advance(30 * MINUTE); // t0 + 4.5 h
  await upload('b', [
    // t1 again, five minutes after North let it in: the VIP gate reached neither the cloud nor a peer.
    scan('b', 1, 85, { serial: t1, admissionSeq: 1, unconfirmed: true }),
    scan('b', 2, 130, { serial: t2 }), // t2 re-enters after its exit: fine
  ]);
  cloud.advance(30 * MINUTE); // t0 + 5 h
  const ackC = await upload('c', [
    scan('c', 1, 65, { serial: t3 }),
    scan('c', 2, 66, unreadable('signature')),
    // seq 3 and 4 never reach the cloud
    scan('c', 5, 110, { serial: t4 }),
    scan('c', 6, 115, { serial: t3, decision: 'reject', reason: 'ALREADY_USED' }),
  ]);
  expect(ackC.ackedSeq).toBe(2);
  cloud.advance(30 * MINUTE); // t0 + 5.5 h
  await upload('d', [
    scan('d', 1, 75, unreadable('malformed')),
    scan('d', 2, 140, { serial: t3, direction: 'out' }),
    scan('d', 3, 141, unreadable('signature')),
  ]);
  // A steward validates t5 online at North at t0 + 5.75 h.
  cloud.advance(15 * MINUTE);
  const staff = await cloud.token('venue_staff', seeded.tenant);
  const qr = bought.purchase.tickets[4].qr as string;
  const online = await cloud.call('POST', '/api/v1/validate', {
    token: staff,
    body: { qr, gateId: seeded.gateIds[0], direction: 'in' },
  });
  expect(online.body.decision).toBe('accept');
  void t5;
}, 120_000);

afterAll(async () => {
  await cloud?.close();
});

describe('reconciliation report', () => {
  let first: {
    run: ReconciliationRunView;
    newerRun: ReconciliationRunView | null;
    report: ReconciliationReport;
  };

  it('says clearly that there is no report before the first run', async () => {
    const response = await cloud.call('GET', `/api/v1/events/${seeded.eventId}/reconciliation`, {
      token: seeded.adminToken,
    });
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('RECONCILIATION_NOT_READY');
  });

  it('finds the double admission, the revoked admission, the gap, the skewed clock and the bad codes', async () => {
    const response = await reconcile(seeded.adminToken);
    expect(response.status).toBe(200);
    first = response.body;
    const { report, run } = first;
    expect(run).toMatchObject({ status: 'done', trigger: 'manual' });
    expect(first.newerRun).toBeNull();
    expect(report.run.id).toBe(run.id);
    // The head as of the report: the revocation, then the admission records the uploads added.
    expect(report.event).toMatchObject({
      id: seeded.eventId,
      tenantId: seeded.tenant,
      changeSeq: await changeHead(),
    });
    expect(report.event.changeSeq).toBeGreaterThan(revocationSeq);
    const [t1, t2, t3, t4, , t6] = serials;
    void t2;
    void t3;
    void t4;

    expect(report.tickets).toEqual({
      issued: 7,
      valid: 6,
      revoked: 1,
      revokedByReason: [{ reason: 'customer_refund', count: 1 }],
      transfers: 0,
    });
    // Admitted: t1..t5 and the refunded ticket; t6 never came.
    expect(report.admissions).toEqual({
      uniqueAdmissions: 6,
      noShows: 1,
      entries: 8,
      exits: 2,
      onlineEntries: 1,
    });
    expect(t6).toBeDefined();

    const a = devices.a;
    const b = devices.b;
    expect(report.doubleAdmissions).toEqual([
      {
        ticketId: ticketIds[0],
        serial: t1,
        secondsApart: 300,
        first: {
          source: 'device',
          scanId: expect.any(String),
          deviceId: a.deviceId,
          deviceName: 'Gate 0',
          seq: 2,
          gateId: seeded.gateIds[0],
          gateName: 'North',
          direction: 'in',
          at: iso(80),
          deviceClockAt: new Date(t0 + 80 * MINUTE - offsets.a).toISOString(),
          uploadedAt: iso(240),
          uploadLagSeconds: 160 * 60,
          unconfirmed: false,
        },
        second: {
          source: 'device',
          scanId: expect.any(String),
          deviceId: b.deviceId,
          deviceName: 'Gate 1',
          seq: 1,
          gateId: seeded.gateIds[1],
          gateName: 'VIP',
          direction: 'in',
          at: iso(85),
          deviceClockAt: new Date(t0 + 85 * MINUTE - offsets.b).toISOString(),
          uploadedAt: iso(270),
          uploadLagSeconds: 185 * 60,
          unconfirmed: true,
        },
        unconfirmed: true,
      },
    ]);
    expect(report.revokedAdmissions).toEqual([
      {
        ticketId: refunded.ticketId,
        serial: refunded.serial,
        generation: 1,
        admission: expect.objectContaining({ deviceId: a.deviceId, seq: 4, gateName: 'North', at: iso(100) }),
        revocation: { op: 'revoke', seq: revocationSeq, at: iso(70), reason: 'customer_refund' },
        gateManifestSeq: manifestSeqBefore,
        changesBehind: 1,
        gateManifestAsOf: iso(0),
        secondsAfterRevocation: 30 * 60,
      },
    ]);
    expect(report.doubleAdmissionsTruncated).toBe(false);
    expect(report.revokedAdmissionsTruncated).toBe(false);

    // Unreadable codes at this venue's doors during the event: C's one and D's two (A's was before it).
    expect(report.invalidTokenAttempts).toEqual({
      total: 3,
      byReason: [
        { reason: 'INVALID', detail: 'signature', count: 2 },
        { reason: 'INVALID', detail: 'malformed', count: 1 },
      ],
      byGate: [
        { gateId: seeded.gateIds[1], gateName: 'VIP', count: 2 },
        { gateId: seeded.gateIds[0], gateName: 'North', count: 1 },
      ],
    });
    expect(report.rejections.total).toBe(4);
    expect(report.rejections.byReason).toContainEqual({ reason: 'ALREADY_USED', detail: null, count: 1 });
    expect(report.rejections.byGate).toContainEqual({
      gateId: seeded.gateIds[0],
      gateName: 'North',
      reason: 'ALREADY_USED',
      count: 1,
    });

    const byId = new Map(report.devices.map((d) => [d.deviceId, d]));
    expect(report.devices).toHaveLength(4);
    expect(byId.get(a.deviceId)).toMatchObject({
      scans: 4,
      accepted: 4,
      rejected: 0,
      ackedSeq: 5,
      highestSeq: 5,
      gaps: [],
      clockOffsetMs: 200,
      clockSkewed: false,
      lastUploadAt: iso(240),
    });
    expect(byId.get(b.deviceId)).toMatchObject({ scans: 2, gaps: [], clockSkewed: false });
    expect(byId.get(devices.c.deviceId)).toMatchObject({
      scans: 4,
      accepted: 2,
      rejected: 2,
      ackedSeq: 2,
      highestSeq: 6,
      gaps: [{ fromSeq: 3, toSeq: 4, missing: 2, after: iso(66), before: iso(110) }],
      missingScans: 2,
      clockSkewed: false,
      lastUploadAt: iso(300),
    });
    expect(byId.get(devices.d.deviceId)).toMatchObject({
      scans: 3,
      accepted: 1,
      rejected: 2,
      gaps: [],
      clockOffsetMs: 300_000,
      minClockOffsetMs: 300_000,
      maxClockOffsetMs: 300_000,
      clockSkewed: true,
      firstScanAt: iso(75),
      lastScanAt: iso(141),
    });
    expect(report.summary).toEqual({
      doubleAdmissions: 1,
      revokedAdmissions: 1,
      invalidTokenAttempts: 3,
      sequenceGaps: 1,
      missingScans: 2,
      skewedDevices: 1,
      quarantinedScans: 0,
    });
  });

  it('gives the same report on a second run, and leaves a done run alone', async () => {
    const again = await reconcile(seeded.adminToken);
    expect(again.status).toBe(200);
    expect(again.body.run.id).not.toBe(first.run.id);
    expect(content(again.body.report)).toEqual(content(first.report));

    const before = await cloud.call('GET', `/api/v1/events/${seeded.eventId}/reconciliation`, {
      token: seeded.adminToken,
    });
    const rerun = await runReconciliation(cloud.services, again.body.run.id);
    expect(rerun.ok && rerun.run.finishedAt).toBe(again.body.run.finishedAt);
    const after = await cloud.call('GET', `/api/v1/events/${seeded.eventId}/reconciliation`, {
      token: seeded.adminToken,
    });
    expect(after.body).toEqual(before.body);
  });

  it('downloads as one sectioned, quoted CSV with the findings', async () => {
    const response = await cloud.call('GET', `/api/v1/events/${seeded.eventId}/reconciliation?format=csv`, {
      token: seeded.adminToken,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(response.headers.get('content-disposition')).toMatch(
      new RegExp(`^attachment; filename="reconciliation-${seeded.eventId}-\\d{4}-\\d{2}-\\d{2}\\.csv"$`),
    );
    const csv = response.body as string;
    const lines = csv.split('\r\n');
    const sectionOf = (name: string) => {
      const start = lines.indexOf(`# ${name}`);
      expect(start).toBeGreaterThanOrEqual(0);
      const end = lines.indexOf('', start);
      return { header: lines[start + 1]!.split(','), rows: lines.slice(start + 2, end) };
    };
    const doubles = sectionOf('double admissions');
    expect(doubles.rows).toHaveLength(1);
    expect(doubles.rows[0]).toContain(`${serials[0]},300,device,${devices.a.deviceId},Gate 0,2,`);
    expect(doubles.rows[0]).toContain(`device,${devices.b.deviceId},Gate 1,1,`);
    expect(doubles.rows[0]!.endsWith(',true')).toBe(true); // unconfirmed: the VIP gate decided alone
    const revoked = sectionOf('admissions of revoked tickets');
    expect(revoked.rows).toHaveLength(1);
    expect(revoked.rows[0]).toContain(
      `revoke,${revocationSeq},${iso(70)},customer_refund,${manifestSeqBefore},1,`,
    );
    const gaps = sectionOf('sequence gaps');
    expect(gaps.rows).toEqual([`${devices.c.deviceId},Gate 0,3,4,2,${iso(66)},${iso(110)}`]);
    const summary = sectionOf('report');
    expect(summary.rows).toContain('double_admissions,1');
    expect(summary.rows).toContain('skewed_devices,1');
    const devicesSection = sectionOf('devices');
    const clockColumn = devicesSection.header.indexOf('clock_skewed');
    const skewed = devicesSection.rows.filter((row) => row.split(',')[clockColumn] === 'true');
    expect(skewed).toEqual([expect.stringContaining(devices.d.deviceId)]);
  });

  it('keeps the CSV layout: its sections, their columns and the report’s fields, in order', () => {
    const lines = reportToCsv(first.report).split('\r\n');
    const headers = new Map<string, string>();
    lines.forEach((line, i) => {
      if (line.startsWith('# ')) headers.set(line.slice(2), lines[i + 1]!);
    });
    const scan = (side: string) =>
      [
        'source',
        'device_id',
        'device_name',
        'seq',
        'gate_id',
        'gate_name',
        'at',
        'device_clock_at',
        'uploaded_at',
        'upload_lag_s',
      ].map((column) => `${side}_${column}`);
    expect([...headers]).toEqual([
      ['report', 'field,value'],
      ['revoked tickets by reason', 'reason,count'],
      [
        'double admissions',
        ['ticket_id', 'serial', 'seconds_apart', ...scan('first'), ...scan('second'), 'unconfirmed'].join(
          ',',
        ),
      ],
      [
        'admissions of revoked tickets',
        [
          'ticket_id',
          'serial',
          'generation',
          ...scan('admission'),
          'revocation_op',
          'revocation_seq',
          'revocation_at',
          'revocation_reason',
          'gate_manifest_seq',
          'changes_behind',
          'gate_manifest_as_of',
          'seconds_after_revocation',
        ].join(','),
      ],
      ['invalid token attempts by reason', 'reason,detail,count'],
      ['invalid token attempts by gate', 'gate_id,gate_name,count'],
      ['rejections by reason', 'reason,detail,count'],
      ['rejections by gate', 'gate_id,gate_name,reason,count'],
      [
        'devices',
        'device_id,name,gate_id,gate_name,status,scans,accepted,rejected,quarantined,first_scan_at,' +
          'last_scan_at,acked_seq,highest_seq,gaps,missing_scans,last_upload_at,last_seen_at,clock_offset_ms,' +
          'min_clock_offset_ms,max_clock_offset_ms,clock_skewed,max_upload_lag_s',
      ],
      ['sequence gaps', 'device_id,device_name,from_seq,to_seq,missing,after,before'],
      [
        'undone admissions',
        'ticket_id,serial,undone_origin,undone_origin_seq,undone_direction,undone_at,undone_gate_id,' +
          'undone_gate_name,undo_origin,undo_origin_seq,undo_at,undo_recorded_by,undo_device_id,' +
          'undo_device_name,undo_note',
      ],
      [
        'impossible moves: exits without entry',
        'ticket_id,serial,origin,origin_seq,at,gate_id,gate_name,from_zone,to_zone',
      ],
      [
        'impossible moves: entries into zones not allowed',
        'ticket_id,serial,origin,origin_seq,at,gate_id,gate_name,from_zone,to_zone,type_no,zone_name',
      ],
      ['impossible moves: zones over capacity', 'zone_id,zone_name,capacity,start,end,seconds,peak'],
    ]);
    const fields = lines.slice(2, lines.indexOf('')).map((line) => line.split(',')[0]);
    expect(fields).toEqual([
      'version',
      'generated_at',
      'run_id',
      'trigger',
      'run_key',
      'requested_by',
      'requested_at',
      'event_id',
      'event_name',
      'event_status',
      'venue_name',
      'timezone',
      'doors_open_at',
      'starts_at',
      'ends_at',
      'manifest_change_seq',
      'tickets_issued',
      'tickets_valid',
      'tickets_revoked',
      'tickets_transferred',
      'unique_admissions',
      'no_shows',
      'entries',
      'exits',
      'online_entries',
      'double_admissions',
      'revoked_admissions',
      'invalid_token_attempts',
      'sequence_gaps',
      'missing_scans',
      'skewed_devices',
      'quarantined_scans',
    ]);
    expect(lines).toContain(`tickets_issued,${first.report.tickets.issued}`);
  });

  it('quotes what needs quoting and defuses spreadsheet formulas', () => {
    expect(csvField('North, upper')).toBe('"North, upper"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('-1')).toBe("'-1");
    expect(csvField(-1)).toBe('-1');
    expect(csvField(null)).toBe('');
    const report = structuredClone(first.report);
    report.devices[0]!.name = 'Gate "A", left';
    expect(reportToCsv(report)).toContain('"Gate ""A"", left"');
  });
});

describe('who may reconcile', () => {
  const path = () => `/api/v1/events/${seeded.eventId}/reconciliation`;

  it('lets ops of any tenant read and run it', async () => {
    const ops = await cloud.token('ops', 'platform');
    const read = await cloud.call('GET', path(), { token: ops });
    expect(read.status).toBe(200);
    expect(read.body.report.event.id).toBe(seeded.eventId);
    const run = await cloud.call('POST', path(), { token: ops });
    expect(run.status).toBe(202);
    expect(run.body).toMatchObject({ eventId: seeded.eventId, status: 'pending', trigger: 'manual' });
    await cloud.jobs.drain();
  });

  it('refuses customers and venue staff (403) and hides the event from other tenants (404)', async () => {
    const rows = await reportRows();
    for (const role of ['customer', 'venue_staff'] as const) {
      const token = await cloud.token(role, seeded.tenant);
      expect((await cloud.call('GET', path(), { token })).status).toBe(403);
      expect((await cloud.call('POST', path(), { token })).status).toBe(403);
    }
    const stranger = await cloud.token('admin', 'another-tenant');
    const read = await cloud.call('GET', path(), { token: stranger });
    const missing = await cloud.call('GET', `/api/v1/events/${uuidv7()}/reconciliation`, { token: stranger });
    expect(read.status).toBe(404);
    expect(read.body.error.code).toBe('NOT_FOUND');
    expect(missing.body.error).toEqual({ ...read.body.error, requestId: missing.body.error.requestId });
    expect((await cloud.call('POST', path(), { token: stranger })).status).toBe(404);
    expect(await reportRows()).toBe(rows);
  });

  it('answers bad and unknown ids with 400 / 404 and writes nothing', async () => {
    const rows = await reportRows();
    for (const id of ['not-a-uuid', '1', "x' or 1=1 --"]) {
      const post = await cloud.call('POST', `/api/v1/events/${encodeURIComponent(id)}/reconciliation`, {
        token: seeded.adminToken,
      });
      expect(post.status).toBe(400);
      expect(post.body.error.code).toBe('VALIDATION_FAILED');
    }
    expect(
      (await cloud.call('POST', `/api/v1/events/${uuidv7()}/reconciliation`, { token: seeded.adminToken }))
        .status,
    ).toBe(404);
    expect((await cloud.call('GET', `${path()}?format=xml`, { token: seeded.adminToken })).status).toBe(400);
    expect(await reportRows()).toBe(rows);
  });
});

describe('reconciliation jobs', () => {
  it('plans the nightly runs of a venue once per local date and runs them through the job queue', async () => {
    // A draft event of the same venue is never reconciled.
    const draft = await cloud.call('POST', '/api/v1/events', {
      token: seeded.adminToken,
      body: {
        venueId: seeded.venueId,
        name: 'Draft',
        startsAt: new Date(t0).toISOString(),
        endsAt: new Date(t0 + 3_600_000).toISOString(),
      },
    });
    expect(draft.status).toBe(201);
    // 02:30 in Berlin on the next day (CEST, UTC+2).
    const night = Date.parse('2027-05-02T00:30:00Z');
    // The job plans with the cloud's clock: move it to that night.
    cloud.advance(night - cloud.now());
    const venue = { tenantId: seeded.tenant, venueId: seeded.venueId };
    const plan = await planNightlyReconciliation(cloud.services, venue, night);
    expect(plan).toMatchObject({ ok: true, runKey: 'nightly-2027-05-02' });
    if (!plan.ok) return;
    expect(plan.reportIds).toHaveLength(1);
    // Delivered twice: the same pending run, no second row.
    const again = await planNightlyReconciliation(cloud.services, venue, night);
    expect(again).toMatchObject({ ok: true, reportIds: plan.reportIds });

    await cloud.jobs.enqueue('nightly-reconciliation', venue);
    await cloud.jobs.drain();
    const [row] = parseRows(
      z.object({ status: z.string(), trigger: z.string(), event_id: z.string() }),
      await cloud.services.db.execute(
        sql`select status, trigger, event_id from reconciliation_reports where id = ${plan.reportIds[0]}::uuid`,
      ),
    );
    expect(row).toEqual({ status: 'done', trigger: 'nightly', event_id: seeded.eventId });
    // Once done, the night has nothing left to queue; a week later the event is no longer picked.
    expect(await planNightlyReconciliation(cloud.services, venue, night + 3_600_000)).toMatchObject({
      reportIds: [],
    });
    const later = await planNightlyReconciliation(cloud.services, venue, night + 8 * 86_400_000);
    expect(later).toMatchObject({ ok: true, reportIds: [] });
    expect(
      (
        await planNightlyReconciliation(
          cloud.services,
          { tenantId: 'someone-else', venueId: seeded.venueId },
          night,
        )
      ).ok,
    ).toBe(false);
  });

  it('gives up at once on a run that does not exist', async () => {
    const jobs = createReconciliationJobs(cloud.services);
    await expect(
      jobs['reconcile-event'].run(
        { tenantId: seeded.tenant, reportId: uuidv7() },
        { attempt: 1, attempts: 4, jobId: 'x' },
      ),
    ).rejects.toBeInstanceOf(PermanentJobError);
  });
});

describe('documentation', () => {
  it('documents the report, its CSV form and the analytics in OpenAPI', async () => {
    const response = await cloud.call('GET', '/openapi.json');
    expect(response.status).toBe(200);
    const { paths, components } = response.body;
    const get = paths['/api/v1/events/{id}/reconciliation'].get;
    expect(Object.keys(get.responses['200'].content).sort()).toEqual(['application/json', 'text/csv']);
    expect(paths['/api/v1/events/{id}/reconciliation'].post.responses['202']).toBeDefined();
    expect(paths['/api/v1/analytics/venues/{id}'].get).toBeDefined();
    expect(paths['/api/v1/analytics/customers/{id}'].get).toBeDefined();
    expect(Object.keys(components.schemas.ReconciliationReport.properties)).toContain('doubleAdmissions');
  });
});

describe.skipIf(!redisUrl)('reconciliation on BullMQ', () => {
  let bull: TestCloud | undefined;
  afterAll(async () => {
    await bull?.close();
  });

  it('runs a requested reconciliation and a venue’s nightly one on real Redis workers', async () => {
    bull = await createTestCloud({ REDIS_URL: redisUrl!, JOBS_PREFIX: uniquePrefix('reconciliation') });
    expect(bull.jobs.kind).toBe('bullmq');
    const event = await seedEvent(bull, { capacities: [5] });
    const bought = await buyTickets(bull, event, { quantity: 1 });
    const [row] = parseRows(
      z.object({ serial: sqlNumber }),
      await bull.services.db.execute(
        sql`select serial from tickets where id = ${bought.purchase.tickets[0].id}::uuid`,
      ),
    );
    const serial = Number(row?.serial);
    const north = await enrollTestDevice(bull, event, 0);
    const vip = await enrollTestDevice(bull, event, 1);
    bull.advance(2 * 3_600_000); // doors are open
    for (const [device, minutes] of [
      [north, 70],
      [vip, 75],
    ] as const) {
      await refreshDeviceToken(bull, device);
      const record = scanRecord({
        seq: 1,
        gateId: device.enrollment.gate.id,
        eventId: event.eventId,
        ticketSerial: serial,
        scannedAt: bull.now() - 2 * 3_600_000 + minutes * MINUTE,
      });
      const upload = await bull.call('POST', '/api/v1/sync/scans', {
        token: device.accessToken,
        body: { scans: [record] },
      });
      expect(upload.status).toBe(200);
    }
    const path = `/api/v1/events/${event.eventId}/reconciliation`;
    expect((await bull.call('POST', path, { token: event.adminToken })).status).toBe(202);
    const read = async () => bull!.call('GET', path, { token: event.adminToken });
    const deadline = Date.now() + 20_000;
    let latest = await read();
    while (latest.status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      latest = await read();
    }
    expect(latest.status).toBe(200);
    expect(latest.body.report.summary.doubleAdmissions).toBe(1);
    expect(latest.body.report.doubleAdmissions[0].serial).toBe(serial);

    // The nightly job of the venue plans a run for the event and queues it on the same workers.
    await bull.jobs.enqueue('nightly-reconciliation', { tenantId: event.tenant, venueId: event.venueId });
    const nightly = async () =>
      parseRows(
        z.object({ status: z.string() }),
        await bull!.services.db.execute(
          sql`select status from reconciliation_reports where event_id = ${event.eventId}::uuid and trigger = 'nightly'`,
        ),
      );
    while ((await nightly())[0]?.status !== 'done' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await nightly()).toEqual([{ status: 'done' }]);
  }, 60_000);
});

describe('a transferred ticket', () => {
  it('reports the old QR let in after the transfer, and the new holder let in too', async () => {
    const event = await seedEvent(cloud, { capacities: [5] });
    const bought = await buyTickets(cloud, event, { quantity: 1 });
    const ticketId = bought.purchase.tickets[0].id as string;
    const [row] = parseRows(
      z.object({ serial: sqlNumber }),
      await cloud.services.db.execute(sql`select serial from tickets where id = ${ticketId}::uuid`),
    );
    const serial = Number(row?.serial);
    const north = await enrollTestDevice(cloud, event, 0);
    const vip = await enrollTestDevice(cloud, event, 1);
    const [head] = parseRows(
      z.object({ change_seq: sqlNumber }),
      await cloud.services.db.execute(sql`select change_seq from events where id = ${event.eventId}::uuid`),
    );
    const synced = Number(head?.change_seq);
    cloud.advance(90 * MINUTE); // doors open
    const transferredAt = cloud.now();
    const transfer = await cloud.call('POST', `/api/v1/tickets/${ticketId}/transfer`, {
      token: bought.token,
      body: { toUserId: 'friend-1' },
    });
    expect(transfer.status).toBe(200);
    cloud.advance(30 * MINUTE);
    const record = (device: TestDevice, generation: number, manifestSeq: number, at: number) =>
      scanRecord({
        seq: 1,
        gateId: device.enrollment.gate.id,
        eventId: event.eventId,
        ticketSerial: serial,
        generation,
        scannedAt: at,
        manifestSeq,
      });
    // North never synced after the transfer and let the old QR in; VIP had the new one and let it in.
    for (const [device, entry] of [
      [north, record(north, 1, synced, transferredAt + 5 * MINUTE)],
      [vip, record(vip, 2, synced + 1, transferredAt + 10 * MINUTE)],
    ] as const) {
      await refreshDeviceToken(cloud, device);
      const upload = await cloud.call('POST', '/api/v1/sync/scans', {
        token: device.accessToken,
        body: { scans: [entry] },
      });
      expect(upload.status).toBe(200);
    }
    const requested = await cloud.call('POST', `/api/v1/events/${event.eventId}/reconciliation`, {
      token: event.adminToken,
    });
    expect(requested.status).toBe(202);
    await cloud.jobs.drain();
    const response = await cloud.call('GET', `/api/v1/events/${event.eventId}/reconciliation`, {
      token: event.adminToken,
    });
    const report = response.body.report as ReconciliationReport;
    expect(report.tickets.transfers).toBe(1);
    expect(report.revokedAdmissions).toEqual([
      expect.objectContaining({
        serial,
        generation: 1,
        revocation: {
          op: 'transfer',
          seq: synced + 1,
          at: new Date(transferredAt).toISOString(),
          reason: null,
        },
        gateManifestSeq: synced,
        changesBehind: 1,
        secondsAfterRevocation: 300,
      }),
    ]);
    expect(report.doubleAdmissions).toHaveLength(1);
    expect(report.doubleAdmissions[0]).toMatchObject({
      serial,
      first: { deviceId: north.deviceId },
      second: { deviceId: vip.deviceId },
      secondsApart: 300,
    });
  });
});

describe('repeated requests', () => {
  it('answers a run still pending instead of starting a second one, unless it has been stuck for an hour', async () => {
    const event = await seedEvent(cloud);
    const path = `/api/v1/events/${event.eventId}/reconciliation`;
    const pending = async (id: string, requestedAt: number) =>
      cloud.services.db.execute(sql`
        insert into reconciliation_reports (id, tenant_id, event_id, trigger, run_key, status, requested_at)
        values (${id}::uuid, ${event.tenant}, ${event.eventId}::uuid, 'manual', ${`manual-${id}`}, 'pending',
                ${new Date(requestedAt).toISOString()}::timestamptz)`);
    // A run whose job was lost two hours ago is left alone: a new one starts.
    const stuck = uuidv7();
    await pending(stuck, cloud.now() - 2 * 3_600_000);
    const fresh = await cloud.call('POST', path, { token: event.adminToken });
    expect(fresh.status).toBe(202);
    expect(fresh.body.id).not.toBe(stuck);
    await cloud.jobs.drain();
    // A run asked for a minute ago and not yet started is the answer to a second request, and is queued.
    const recent = uuidv7();
    await pending(recent, cloud.now() - MINUTE);
    const again = await cloud.call('POST', path, { token: event.adminToken });
    expect(again.body).toMatchObject({ id: recent, status: 'pending' });
    await cloud.jobs.drain();
    const statuses = parseRows(
      z.object({ id: z.string(), status: z.string() }),
      await cloud.services.db.execute(
        sql`select id::text, status from reconciliation_reports where event_id = ${event.eventId}::uuid`,
      ),
    );
    expect(new Map(statuses.map((r) => [r.id, r.status]))).toEqual(
      new Map([
        [stuck, 'pending'],
        [fresh.body.id, 'done'],
        [recent, 'done'],
      ]),
    );
    const latest = await cloud.call('GET', path, { token: event.adminToken });
    expect(latest.body.run.id).toBe(recent);
  });
});
