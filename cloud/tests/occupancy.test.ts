/**
 * `GET /events/{id}/occupancy` (issue 18) agrees with the shared fold: mixed histories — moves between
 * zones, records without zones (the default zone), exits, undo records and the records they undid, ties
 * on the corrected time broken by origin and number, rows stored out of time order — are written through
 * the cloud's admission writer, and the endpoint's count per zone is compared with
 * shared/admission/history occupancyOf over the same records; a venue without zones has one zone
 * "venue" — on a database whose collation is not C. Also: who may read it.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { occupancyOf } from '../../shared/admission/history';
import { OUTSIDE, VENUE_ZONE } from '../../shared/admission/zones';
import { issueTicketsInBulk } from '../test-support/bulk-tickets';
import { createTestCloud, type SeededEvent, seedEvent, type TestCloud } from '../test-support/cloud';
import { usingPostgres } from '../test-support/database';
import { addZones, historiesOf, type TestRecord, writeAdmissions } from '../test-support/zones';

let cloud: TestCloud;

beforeAll(async () => {
  cloud = await createTestCloud();
  // A database whose collation is not C (an en_US cluster): origins must still sort by code unit, as the
  // fold sorts them ('Gate-Z' < 'cloud' by code unit, 'cloud' < 'Gate-Z' in en-US).
  // PGlite has no ICU collations (its default is C), so there the column keeps it.
  if (usingPostgres()) {
    await cloud.database.db.execute(
      sql`alter table admissions alter column origin type text collate "en-US-x-icu"`,
    );
  }
});
afterAll(async () => {
  await cloud?.close();
});

const t = 1_800_000_000_000;
// 'Gate-Z' sorts BEFORE 'cloud' by code unit ('G' < 'c'), after it in a case-insensitive collation.
const [A, B, Z, C] = ['a-device', 'b-device', 'Gate-Z', 'cloud'];

async function occupancy(seeded: SeededEvent) {
  const response = await cloud.call('GET', `/api/v1/events/${seeded.eventId}/occupancy`, {
    token: seeded.adminToken,
  });
  expect(response.status).toBe(200);
  return response.body as {
    eventId: string;
    generatedAt: string;
    insideVenue: number;
    zones: Array<{
      id: string;
      name: string;
      inside: number;
      capacity: number | null;
      updatedAt: string | null;
    }>;
  };
}

describe('occupancy of an event', () => {
  it('counts a venue without zones as one zone "venue", like the fold (undo, undone, ties)', async () => {
    const seeded = await seedEvent(cloud);
    const s = (await issueTicketsInBulk(cloud, seeded, 6)).map((ticket) => ticket.serial);
    const history: TestRecord[] = [
      // s0: in then out at the same time; by origin a < b → in, out → outside.
      { serial: s[0]!, origin: B, originSeq: 1, direction: 'out', at: t },
      { serial: s[0]!, origin: A, originSeq: 1, direction: 'in', at: t },
      // s1: in by Gate-Z and out by cloud at the same time: 'Gate-Z' < 'cloud' → in, out → outside.
      { serial: s[1]!, origin: C, originSeq: 1, direction: 'out', at: t + 1 },
      { serial: s[1]!, origin: Z, originSeq: 1, direction: 'in', at: t + 1 },
      // s2: in, out, then the out undone → inside.
      { serial: s[2]!, origin: A, originSeq: 2, direction: 'in', at: t + 2 },
      { serial: s[2]!, origin: A, originSeq: 3, direction: 'out', at: t + 3 },
      {
        serial: s[2]!,
        origin: A,
        originSeq: 4,
        direction: 'undo',
        undoes: { origin: A, originSeq: 3 },
        at: t + 4,
      },
      // s3: its only entry undone → never came in.
      { serial: s[3]!, origin: B, originSeq: 2, direction: 'in', at: t + 2 },
      {
        serial: s[3]!,
        origin: C,
        originSeq: 2,
        direction: 'undo',
        undoes: { origin: B, originSeq: 2 },
        at: t + 9,
      },
      // s4: stored out of time order: the later entry first → out, in → inside.
      { serial: s[4]!, origin: B, originSeq: 4, direction: 'in', at: t + 20 },
      { serial: s[4]!, origin: C, originSeq: 3, direction: 'out', at: t + 10 },
      // s5: plain entry → inside.
      { serial: s[5]!, origin: Z, originSeq: 2, direction: 'in', at: t + 30 },
    ];
    await writeAdmissions(cloud, seeded, history);
    const expected = occupancyOf(await historiesOf(cloud, seeded, s));
    const answer = await occupancy(seeded);
    expect(answer.eventId).toBe(seeded.eventId);
    expect(answer.generatedAt).toBe(new Date(cloud.now()).toISOString());
    expect(answer.zones).toEqual([
      {
        id: VENUE_ZONE,
        name: 'Arena',
        inside: expected.get(VENUE_ZONE),
        capacity: null,
        restricted: false,
        updatedAt: new Date(t + 30).toISOString(),
      },
    ]);
    // Concretely: s2 (its exit undone), s4, s5.
    expect(answer.zones[0]!.inside).toBe(3);
    expect(answer.insideVenue).toBe(3);
  });

  it('follows holders from zone to zone; records without zones go to the first zone', async () => {
    const seeded = await seedEvent(cloud);
    const [hall, lounge, terrace] = await addZones(cloud, seeded, [
      { name: 'Hall', capacity: 10 },
      { name: 'Lounge', capacity: 4, restricted: true },
      { name: 'Terrace' },
    ]);
    const s = (await issueTicketsInBulk(cloud, seeded, 6)).map((ticket) => ticket.serial);
    const move = (from: string, to: string) => ({ fromZone: from, toZone: to });
    const history: TestRecord[] = [
      // s0: no zones on its entry (an old gate) → Hall; then Hall → Lounge.
      { serial: s[0]!, origin: A, originSeq: 1, direction: 'in', at: t },
      { serial: s[0]!, origin: B, originSeq: 1, direction: 'in', at: t + 5, ...move(hall!, lounge!) },
      // s1: outside → Hall → Terrace → (exit) outside.
      { serial: s[1]!, origin: A, originSeq: 2, direction: 'in', at: t + 1, ...move(OUTSIDE, hall!) },
      { serial: s[1]!, origin: A, originSeq: 3, direction: 'in', at: t + 2, ...move(hall!, terrace!) },
      { serial: s[1]!, origin: C, originSeq: 1, direction: 'out', at: t + 3, ...move(terrace!, OUTSIDE) },
      // s2: Hall → Lounge, the move undone → Hall.
      { serial: s[2]!, origin: A, originSeq: 4, direction: 'in', at: t + 1, ...move(OUTSIDE, hall!) },
      { serial: s[2]!, origin: B, originSeq: 2, direction: 'in', at: t + 7, ...move(hall!, lounge!) },
      {
        serial: s[2]!,
        origin: B,
        originSeq: 3,
        direction: 'undo',
        undoes: { origin: B, originSeq: 2 },
        at: t + 8,
      },
      // s3: an exit without zones (→ outside) tied in time with a move by a later origin.
      { serial: s[3]!, origin: A, originSeq: 5, direction: 'in', at: t + 1, ...move(OUTSIDE, hall!) },
      { serial: s[3]!, origin: C, originSeq: 2, direction: 'out', at: t + 9 },
      { serial: s[3]!, origin: Z, originSeq: 1, direction: 'in', at: t + 9, ...move(hall!, terrace!) },
      // s4, s5: in the Lounge.
      { serial: s[4]!, origin: A, originSeq: 6, direction: 'in', at: t + 4, ...move(OUTSIDE, lounge!) },
      { serial: s[5]!, origin: A, originSeq: 7, direction: 'in', at: t + 6, ...move(OUTSIDE, lounge!) },
    ];
    await writeAdmissions(cloud, seeded, history);
    const expected = occupancyOf(await historiesOf(cloud, seeded, s), hall);
    const answer = await occupancy(seeded);
    expect(answer.zones.map((zone) => [zone.name, zone.inside, zone.capacity])).toEqual([
      ['Hall', expected.get(hall!) ?? 0, 10],
      ['Lounge', expected.get(lounge!) ?? 0, 4],
      ['Terrace', expected.get(terrace!) ?? 0, null],
    ]);
    // Concretely: Hall s2; Lounge s0, s4, s5; Terrace nobody (s3's exit by cloud sorts after Gate-Z's move).
    expect(answer.zones.map((zone) => zone.inside)).toEqual([1, 3, 0]);
    expect(answer.insideVenue).toBe(4);
    expect(answer.zones.find((zone) => zone.id === lounge)).toMatchObject({ restricted: true });
    // The last move into or out of each zone (the undone move into the Lounge does not count).
    expect(answer.zones.map((zone) => zone.updatedAt)).toEqual([
      new Date(t + 9).toISOString(),
      new Date(t + 6).toISOString(),
      new Date(t + 9).toISOString(),
    ]);
  });

  it('lets admins, venue staff and ops read it; customers may not; another tenant sees 404', async () => {
    const seeded = await seedEvent(cloud);
    const path = `/api/v1/events/${seeded.eventId}/occupancy`;
    for (const token of [
      await cloud.token('venue_staff', seeded.tenant),
      await cloud.token('ops', 'platform'),
    ]) {
      const response = await cloud.call('GET', path, { token });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
    }
    expect(
      (await cloud.call('GET', path, { token: await cloud.token('customer', seeded.tenant) })).status,
    ).toBe(403);
    expect(
      (await cloud.call('GET', path, { token: await cloud.token('admin', 'another-tenant') })).status,
    ).toBe(404);
  });
});
