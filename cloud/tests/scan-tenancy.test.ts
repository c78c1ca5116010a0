/**
 * A device writes only into its own tenant's figures (security finding: a tenant-A device's upload naming
 * tenant B's event used to count as an admission at A's gate "North" in B's attendance, operations and
 * analytics). A scan naming an event the device does not serve is quarantined — kept with its reason,
 * acknowledged so the gate's queue moves on — and becomes no admission record; and every reader of
 * device_scans and admissions counts only the event's tenant's rows, also rows an older cloud stored
 * before ingestion checked the event.
 */
import { sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ScanRecord } from '../../shared/sync-protocol';
import { parseRows, sqlCount, sqlNumber } from '../db/rows';
import type { ReconciliationReport } from '../services/reconciliation';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';
import { enrollTestDevice, type TestDevice } from '../test-support/devices';
import { scanRecord } from '../test-support/scan-records';

let cloud: TestCloud;
/** The victim: a published event with sold tickets and one real admission at its own gate. */
let tenantB: SeededEvent;
/** The tenant whose device uploads. */
let tenantA: SeededEvent;
let deviceA: TestDevice;
let deviceB: TestDevice;
const CUSTOMER_B = 'customer-of-b';

function scanAt(device: TestDevice, eventId: string | null, seq: number, fields: Partial<ScanRecord> = {}) {
  return scanRecord({
    seq,
    gateId: device.enrollment.gate.id,
    eventId,
    ticketSerial: eventId === null ? null : 1,
    scannedAt: cloud.now() - 60_000 + seq,
    ...fields,
  });
}

function upload(device: TestDevice, scans: ScanRecord[]) {
  return cloud.call('POST', '/api/v1/sync/scans', { token: device.accessToken, body: { scans } });
}

async function read(path: string) {
  const response = await cloud.call('GET', path, { token: tenantB.adminToken });
  expect(response.status, path).toBe(200);
  return response.body;
}

/** Everything tenant B's admin reads about its event that gate scans feed. */
async function figuresOfB() {
  const requested = await cloud.call('POST', `/api/v1/events/${tenantB.eventId}/reconciliation`, {
    token: tenantB.adminToken,
  });
  expect(requested.status).toBe(202);
  await cloud.jobs.drain();
  const { report } = (await read(`/api/v1/events/${tenantB.eventId}/reconciliation`)) as {
    report: ReconciliationReport;
  };
  const { generatedAt: _generatedAt, run: _run, ...reconciliation } = report;
  return {
    attendance: await read(`/api/v1/events/${tenantB.eventId}/attendance`),
    operations: await read(`/api/v1/events/${tenantB.eventId}/operations`),
    venue: await read(`/api/v1/analytics/venues/${tenantB.venueId}`),
    customer: await read(`/api/v1/analytics/customers/${CUSTOMER_B}`),
    reconciliation,
  };
}

/** The admission records of an event, and its change sequence (what gates pull). */
async function historyOf(eventId: string) {
  const [row] = parseRows(
    z.object({ admissions: sqlCount, change_seq: sqlNumber }),
    await cloud.services.db.execute(sql`
      select (select count(*) from admissions where event_id = ${eventId}::uuid)::int as admissions,
             change_seq from events where id = ${eventId}::uuid`),
  );
  return row;
}

beforeAll(async () => {
  cloud = await createTestCloud();
  tenantB = await seedEvent(cloud);
  tenantA = await seedEvent(cloud);
  const customer = await cloud.token('customer', tenantB.tenant, CUSTOMER_B);
  await buyTickets(cloud, tenantB, { quantity: 3, customerToken: customer });
  await buyTickets(cloud, tenantA, { quantity: 1 });
  deviceA = await enrollTestDevice(cloud, tenantA);
  deviceB = await enrollTestDevice(cloud, tenantB);
  // B's own door admitted its ticket 1: B's figures are not zero, so "unchanged" says something.
  const admitted = await upload(deviceB, [scanAt(deviceB, tenantB.eventId, 1, { admissionSeq: 1 })]);
  expect(admitted.body).toMatchObject({ ackedSeq: 1, stored: 1 });
});
afterAll(async () => {
  await cloud?.close();
});

describe('a device uploading a scan that names another tenant’s event', () => {
  it('is acknowledged, the row quarantined with EVENT_NOT_SERVED, and B’s figures do not move', async () => {
    const before = await figuresOfB();
    expect(before.attendance).toMatchObject({ admitted: 1 });
    const historyBefore = await historyOf(tenantB.eventId);

    const foreign = scanAt(deviceA, tenantB.eventId, 1, { ticketSerial: 2, admissionSeq: 1 });
    // The same event id in capitals: the check does not depend on how a UUID is spelt.
    const shouting = scanAt(deviceA, tenantB.eventId.toUpperCase(), 2, { ticketSerial: 3, admissionSeq: 2 });
    const own = scanAt(deviceA, tenantA.eventId, 3, { admissionSeq: 1 });
    const unreadable = scanAt(deviceA, null, 4, { decision: 'reject', reason: 'INVALID', generation: null });
    const response = await upload(deviceA, [foreign, shouting, own, unreadable]);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ ackedSeq: 4, stored: 2, quarantined: 2, duplicates: 0 });

    // Nothing of B's moved: its reports, its admission history, its change sequence (what gates pull).
    expect(await figuresOfB()).toEqual(before);
    expect(await historyOf(tenantB.eventId)).toEqual(historyBefore);

    // Kept, not lost: the raw rows with the reason, and no event of their own.
    const kept = parseRows(
      z.object({
        seq: sqlNumber,
        quarantined: z.number(),
        quarantine_reason: z.string().nullable(),
        event_id: z.string().nullable(),
        raw: z.object({ id: z.string(), eventId: z.string() }).nullable(),
      }),
      await cloud.services.db.execute(sql`
        select seq, quarantined, quarantine_reason, event_id, raw from device_scans
         where device_id = ${deviceA.deviceId}::uuid and seq in (1, 2) order by seq`),
    );
    expect(kept).toEqual([
      {
        seq: 1,
        quarantined: 1,
        quarantine_reason: expect.stringMatching(/^EVENT_NOT_SERVED: /),
        event_id: null,
        raw: expect.objectContaining({ id: foreign.id, eventId: tenantB.eventId }),
      },
      {
        seq: 2,
        quarantined: 1,
        quarantine_reason: expect.stringMatching(/^EVENT_NOT_SERVED: /),
        event_id: null,
        raw: expect.objectContaining({ id: shouting.id, eventId: tenantB.eventId.toUpperCase() }),
      },
    ]);

    // A's own scan counts where it belongs: A's attendance and A's admission history.
    const attendanceA = await cloud.call('GET', `/api/v1/events/${tenantA.eventId}/attendance`, {
      token: tenantA.adminToken,
    });
    expect(attendanceA.body).toMatchObject({ admitted: 1 });
    expect((await historyOf(tenantA.eventId))?.admissions).toBe(1);

    // A replay of the batch is all duplicates: the quarantined rows are held too.
    const replay = await upload(deviceA, [foreign, shouting, own, unreadable]);
    expect(replay.body).toMatchObject({ ackedSeq: 4, stored: 0, quarantined: 0, duplicates: 4 });
  });

  it('does not count in B’s figures when an older cloud stored it as a scan of B’s event', async () => {
    const before = await figuresOfB();
    // What ingestion stored before it checked the event: a counted, accepted row of B's event,
    // in A's tenant, at A's gate — and a rejection of B's ticket there.
    await cloud.services.db.execute(sql`
      insert into device_scans (device_id, seq, id, tenant_id, gate_id, event_id, ticket_serial, generation,
        direction, accepted, reason, detail, code_hash, scanned_at, clock_offset_ms, estimated_at,
        manifest_seq, quarantined, received_at)
      values
        (${deviceA.deviceId}::uuid, 100, ${uuidv7()}::uuid, ${tenantA.tenant}, ${deviceA.enrollment.gate.id}::uuid,
         ${tenantB.eventId}::uuid, 2, 1, 'in', 1, 'OK', null, 'AAAAAAAAAAAAAAAAAAAAAA',
         ${new Date(cloud.now()).toISOString()}::timestamptz, 0, ${new Date(cloud.now()).toISOString()}::timestamptz,
         1, 0, ${new Date(cloud.now()).toISOString()}::timestamptz),
        (${deviceA.deviceId}::uuid, 101, ${uuidv7()}::uuid, ${tenantA.tenant}, ${deviceA.enrollment.gate.id}::uuid,
         ${tenantB.eventId}::uuid, 3, 1, 'in', 0, 'ALREADY_USED', null, 'AAAAAAAAAAAAAAAAAAAAAA',
         ${new Date(cloud.now()).toISOString()}::timestamptz, 0, ${new Date(cloud.now()).toISOString()}::timestamptz,
         1, 0, ${new Date(cloud.now()).toISOString()}::timestamptz)`);
    expect(await figuresOfB()).toEqual(before);
  });
});
