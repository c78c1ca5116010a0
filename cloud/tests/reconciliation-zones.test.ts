/**
 * The reconciliation report's impossible moves (issue 18), through the API and the real job runner: a
 * Hall (capacity 3) and a restricted Lounge (capacity 1, VIP tickets only) with a history that overfills
 * both (as offline gates can), lets a standard ticket into the Lounge, files an exit of a holder who never
 * came in, and undoes one move (which counts nowhere). The JSON lists each finding with the intervals over
 * capacity (start, end, seconds, peak; one still open at report time), and the CSV has a section per kind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTSIDE } from '../../shared/admission/zones';
import type { ReconciliationReport } from '../services/reconciliation';
import { issueTicketsInBulk } from '../test-support/bulk-tickets';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';
import {
  addZones,
  serialsOf,
  setTicketTypeZones,
  type TestRecord,
  writeAdmissions,
} from '../test-support/zones';

let cloud: TestCloud;
let seeded: SeededEvent;

beforeAll(async () => {
  cloud = await createTestCloud();
  seeded = await seedEvent(cloud, { capacities: [100, 50] });
});
afterAll(async () => {
  await cloud?.close();
});

describe('impossible moves in the reconciliation report', () => {
  it('lists exits without entry, entries not allowed and zones over capacity, without undone moves', async () => {
    const [hall, lounge] = await addZones(cloud, seeded, [
      { name: 'Hall', capacity: 3 },
      { name: 'Lounge', capacity: 1, restricted: true },
    ]);
    await setTicketTypeZones(cloud, seeded, seeded.ticketTypeIds[1]!, [hall!, lounge!]);
    const s = (await issueTicketsInBulk(cloud, seeded, 6)).map((ticket) => ticket.serial);
    await buyTickets(cloud, seeded, { typeIndex: 1 });
    const [vip] = await serialsOf(cloud, seeded, seeded.ticketTypeIds[1]);
    const t = cloud.now() - 3600_000;
    const at = (second: number) => t + second * 1000;
    let seq = 0;
    const record = (serial: number, second: number, from: string, to: string): TestRecord => ({
      serial,
      origin: 'gate-a',
      originSeq: ++seq,
      direction: to === OUTSIDE ? 'out' : 'in',
      at: at(second),
      fromZone: from,
      toZone: to,
    });
    await writeAdmissions(cloud, seeded, [
      record(s[0]!, 0, OUTSIDE, hall!),
      record(s[1]!, 1, OUTSIDE, hall!),
      record(s[2]!, 2, OUTSIDE, hall!),
      record(s[3]!, 3, OUTSIDE, hall!), // Hall 4 of 3: over from here
      record(s[4]!, 4, OUTSIDE, hall!), // peak 5
      record(vip!, 5, OUTSIDE, lounge!),
      record(s[2]!, 6, hall!, lounge!), // a standard ticket into the VIP Lounge; Lounge 2 of 1
      record(s[3]!, 7, hall!, lounge!), // undone below: counts nowhere
      {
        serial: s[3]!,
        origin: 'gate-a',
        originSeq: ++seq,
        direction: 'undo',
        undoes: { origin: 'gate-a', originSeq: seq - 1 },
        at: at(7.5),
      },
      { serial: s[5]!, origin: 'gate-b', originSeq: 1, direction: 'out', at: at(8) }, // never came in
      record(s[0]!, 10, hall!, OUTSIDE), // Hall back to 3: the first interval ends
      record(s[1]!, 20, hall!, OUTSIDE),
      record(s[2]!, 30, lounge!, hall!), // Lounge back to 1
      record(s[1]!, 40, OUTSIDE, hall!), // Hall 4 of 3 again, still so at report time
    ]);

    const requested = await cloud.call('POST', `/api/v1/events/${seeded.eventId}/reconciliation`, {
      token: seeded.adminToken,
    });
    expect(requested.status).toBe(202);
    await cloud.jobs.drain();
    const response = await cloud.call('GET', `/api/v1/events/${seeded.eventId}/reconciliation`, {
      token: seeded.adminToken,
    });
    expect(response.status).toBe(200);
    const report = response.body.report as ReconciliationReport;
    const moves = report.impossibleMoves!;
    expect(moves.totals).toEqual({ exitsWithoutEntry: 1, entriesNotAllowed: 1, overCapacity: 3 });
    expect(moves.exitsWithoutEntry).toEqual([
      expect.objectContaining({
        serial: s[5],
        origin: 'gate-b',
        at: new Date(at(8)).toISOString(),
        fromZone: hall,
        toZone: OUTSIDE,
      }),
    ]);
    expect(moves.entriesNotAllowed).toEqual([
      expect.objectContaining({
        serial: s[2],
        fromZone: hall,
        toZone: lounge,
        zoneName: 'Lounge',
        gateName: 'North',
      }),
    ]);
    const iso = (second: number) => new Date(at(second)).toISOString();
    expect(moves.overCapacity).toEqual([
      { zoneId: hall, zoneName: 'Hall', capacity: 3, start: iso(3), end: iso(10), seconds: 7, peak: 5 },
      { zoneId: lounge, zoneName: 'Lounge', capacity: 1, start: iso(6), end: iso(30), seconds: 24, peak: 2 },
      { zoneId: hall, zoneName: 'Hall', capacity: 3, start: iso(40), end: null, seconds: 3560, peak: 4 },
    ]);

    const csv = await cloud.call('GET', `/api/v1/events/${seeded.eventId}/reconciliation?format=csv`, {
      token: seeded.adminToken,
    });
    const text = String(csv.body);
    expect(text).toContain('# impossible moves: exits without entry\r\n');
    expect(text).toContain('# impossible moves: entries into zones not allowed\r\n');
    expect(text).toContain(
      `# impossible moves: zones over capacity\r\nzone_id,zone_name,capacity,start,end,seconds,peak\r\n${hall},Hall,3,${iso(3)},${iso(10)},7,5\r\n`,
    );
  });
});
