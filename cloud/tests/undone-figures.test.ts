/**
 * An undone admission counts nowhere (issue 17): after one of two checked-in tickets has its entry undone
 * (online, at the box office) and another ticket's gate entry is undone at the gate (an uploaded undo
 * row), the operations arrivals, the attendance report, the organiser's ticket list (summary and the
 * admitted filter), the reconciliation figures and the venue analytics count the one ticket still in —
 * and reconciliation lists both undone admissions with who undid them. Each figure read the admission
 * history without leaving undone records out before; these numbers fail then.
 *
 * seedEvent's clock: doors open at t0 + 1 h.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';
import { csvRecords } from '../test-support/csv';
import { enrollTestDevice, refreshDeviceToken } from '../test-support/devices';
import { scanRecord } from '../test-support/scan-records';

let cloud: TestCloud;
let seeded: SeededEvent;
let staff: string;
const STAFF_ID = 'staff-figures-1';
let tickets: Array<{ id: string; serial: number }>;
let deviceId: string;

beforeAll(async () => {
  cloud = await createTestCloud();
  seeded = await seedEvent(cloud);
  staff = await cloud.token('venue_staff', seeded.tenant, STAFF_ID);
  const bought = await buyTickets(cloud, seeded, { quantity: 3 });
  tickets = [];
  for (const ticket of bought.purchase.tickets as Array<{ id: string }>) {
    const own = await cloud.call('GET', `/api/v1/tickets/${ticket.id}`, { token: bought.token });
    tickets.push({ id: ticket.id, serial: own.body.serial });
  }
  const device = await enrollTestDevice(cloud, seeded, 0);
  deviceId = device.deviceId;
  cloud.advance(2 * 3600_000);
  await refreshDeviceToken(cloud, device);

  // t0 and t1 checked in at the box office; t1's entry undone there.
  for (const ticket of tickets.slice(0, 2)) {
    const checked = await cloud.call(
      'POST',
      `/api/v1/events/${seeded.eventId}/tickets/${ticket.id}/check-in`,
      {
        token: staff,
        body: { gateId: seeded.gateIds[0] },
      },
    );
    expect(checked.body.decision).toBe('accept');
  }
  cloud.advance(30_000);
  const undone = await cloud.call('POST', `/api/v1/events/${seeded.eventId}/admissions/undo`, {
    token: staff,
    body: { origin: 'cloud', originSeq: 2, note: 'Let in on the wrong ticket' },
  });
  expect(undone.status).toBe(200);
  // t2 let in at the gate, and undone there.
  const place = {
    gateId: device.enrollment.gate.id,
    eventId: seeded.eventId,
    ticketSerial: tickets[2]!.serial,
  };
  const upload = await cloud.call('POST', '/api/v1/sync/scans', {
    token: device.accessToken,
    body: {
      scans: [
        scanRecord({ ...place, seq: 1, admissionSeq: 1, scannedAt: cloud.now() - 20_000 }),
        scanRecord({
          ...place,
          seq: 2,
          direction: 'undo',
          detail: 'undo',
          admissionSeq: 2,
          undoesSeq: 1,
          scannedAt: cloud.now() - 10_000,
        }),
      ],
    },
  });
  expect(upload.body).toMatchObject({ ackedSeq: 2, stored: 2 });
});

afterAll(async () => {
  await cloud?.close();
});

const get = (path: string) => cloud.call('GET', `/api/v1${path}`, { token: seeded.adminToken });

describe('undone admissions', () => {
  it('are out of the operations arrivals and the gate decision counts', async () => {
    const operations = await get(`/events/${seeded.eventId}/operations`);
    expect(operations.status).toBe(200);
    expect(operations.body.arrivals).toMatchObject({ sold: 3, arrived: 1, inside: 1 });
  });

  it('are out of attendance', async () => {
    const attendance = await get(`/events/${seeded.eventId}/attendance`);
    expect(attendance.body).toMatchObject({ admitted: 1, inside: 1 });
    expect(attendance.body.byGate).toEqual([expect.objectContaining({ admitted: 1 })]);
    expect(attendance.body.perMinute.reduce((n: number, m: { entries: number }) => n + m.entries, 0)).toBe(1);
  });

  it('are out of the ticket list’s summary and its admitted filter', async () => {
    const list = await get(`/events/${seeded.eventId}/tickets`);
    const byId = new Map(list.body.items.map((t: { id: string; admission: unknown }) => [t.id, t.admission]));
    expect(byId.get(tickets[0]!.id)).toMatchObject({ admitted: true, inside: true, entries: 1 });
    for (const undone of [tickets[1]!, tickets[2]!]) {
      expect(byId.get(undone.id)).toMatchObject({ admitted: false, inside: false, entries: 0, exits: 0 });
    }
    const admitted = await get(`/events/${seeded.eventId}/tickets?admitted=true`);
    expect(admitted.body.items.map((t: { id: string }) => t.id)).toEqual([tickets[0]!.id]);
  });

  it('are out of the venue analytics', async () => {
    const analytics = await get(`/analytics/venues/${seeded.venueId}`);
    expect(analytics.status).toBe(200);
    expect(JSON.stringify(analytics.body)).toContain('"admitted":1');
  });

  it('are out of the reconciliation figures and listed in their own section, JSON and CSV', async () => {
    const requested = await cloud.call('POST', `/api/v1/events/${seeded.eventId}/reconciliation`, {
      token: seeded.adminToken,
    });
    expect(requested.status).toBe(202);
    await cloud.jobs.drain();
    const report = (await get(`/events/${seeded.eventId}/reconciliation`)).body.report;
    expect(report.admissions).toMatchObject({ uniqueAdmissions: 1, entries: 1, noShows: 2 });
    // Earliest undo first: the gate's (10 s before) before the box office's.
    expect(report.undoneAdmissions).toEqual([
      {
        ticketId: tickets[2]!.id,
        serial: tickets[2]!.serial,
        undone: expect.objectContaining({ origin: deviceId, originSeq: 1, direction: 'in' }),
        undo: expect.objectContaining({ origin: deviceId, originSeq: 2, recordedBy: null, deviceId }),
      },
      {
        ticketId: tickets[1]!.id,
        serial: tickets[1]!.serial,
        undone: expect.objectContaining({
          origin: 'cloud',
          originSeq: 2,
          direction: 'in',
          gateName: 'North',
        }),
        undo: expect.objectContaining({
          origin: 'cloud',
          originSeq: 3,
          recordedBy: STAFF_ID,
          deviceId: null,
          note: 'Let in on the wrong ticket',
        }),
      },
    ]);
    const csv = await cloud.call('GET', `/api/v1/events/${seeded.eventId}/reconciliation?format=csv`, {
      token: seeded.adminToken,
    });
    const text = String(csv.body);
    // The section runs to the blank line before the next one (issue 18's sections follow it).
    const section = text.slice(text.indexOf('# undone admissions')).split('\r\n\r\n')[0]!;
    const { header, records } = csvRecords(`${section.slice(section.indexOf('\r\n') + 2)}\r\n`);
    expect(header.slice(0, 4)).toEqual(['ticket_id', 'serial', 'undone_origin', 'undone_origin_seq']);
    expect(records[1]).toMatchObject({ undo_recorded_by: STAFF_ID, undo_note: 'Let in on the wrong ticket' });
    expect(records).toHaveLength(2);
  });
});
