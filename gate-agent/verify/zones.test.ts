/**
 * Zones at the gate (issue 18), offline, against a real SQLite store with a manifest installed from
 * signed pages: a venue with a hall and a VIP lounge inside it; the main door is the default passage
 * (outside → hall), the lounge door a passage hall → lounge. The gate decides with the live occupancy it
 * counts from every record it holds — its own, its peers' and the cloud's.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { occupancyOf } from '../../shared/admission/history';
import { admissionTotalsOf, type ManifestZone } from '../../shared/sync-protocol/index';
import { pullEvent } from '../sync/pull';
import { ManifestFixture } from '../test-support/manifest-fixture';
import { fixtureTransport, type TempStore, tempStore } from '../test-support/stores';
import { createScanPipeline, type ScanPipeline } from './pipeline';

const MAIN_DOOR = randomUUID();
const LOUNGE_DOOR = randomUUID();
const HALL = randomUUID();
const LOUNGE = randomUUID();
const PEER = randomUUID();
const NOW = Date.UTC(2026, 5, 1, 18);

let temp: TempStore;
let pipeline: ScanPipeline;
let fixture: ManifestFixture;
let now: number;

function zone(id: string, name: string, rules: Partial<ManifestZone> = {}): ManifestZone {
  return { id, name, capacity: null, restricted: false, reentry: true, ...rules };
}

/** Installs the venue (hall, lounge with the given rules) and tickets 1–9 General, 10–12 VIP. */
async function venue(hall: Partial<ManifestZone>, lounge: Partial<ManifestZone>): Promise<void> {
  fixture.event = {
    ...fixture.event,
    zones: [zone(HALL, 'Main hall', hall), zone(LOUNGE, 'VIP lounge', lounge)],
    gates: [
      { id: MAIN_DOOR, name: 'Main door', fromZoneId: null, toZoneId: null },
      { id: LOUNGE_DOOR, name: 'Lounge door', fromZoneId: HALL, toZoneId: LOUNGE },
    ],
    ticketTypes: [
      { typeNo: 1, id: randomUUID(), name: 'General', gateIds: null, zoneIds: null, holderCode: 'allowed' },
      {
        typeNo: 2,
        id: randomUUID(),
        name: 'VIP',
        gateIds: null,
        zoneIds: [HALL, LOUNGE],
        holderCode: 'allowed',
      },
    ],
  };
  for (let serial = 1; serial <= 9; serial++) fixture.issue(serial);
  for (let serial = 10; serial <= 12; serial++) fixture.issue(serial, 2);
  await pull();
}

async function pull(): Promise<void> {
  await pullEvent(fixture.eventId, {
    store: temp.store,
    fetchPage: fixtureTransport(fixture),
    clock: () => now,
    pageLimit: 50,
  });
}

/** A scan at `gate` (this store's gate id is switched: one store standing in for the door). */
function scanAt(gate: string, serial: number, direction: 'in' | 'out' = 'in') {
  now += 1_000;
  fixture.cloudTime = now;
  temp.store.updateSettings({ gateId: gate, gateName: gate === MAIN_DOOR ? 'Main door' : 'Lounge door' });
  return pipeline.scan(fixture.tokens.get(serial)!, direction);
}

function counts(): Record<string, number> {
  return Object.fromEntries(temp.store.occupancy.counts(fixture.eventId));
}

beforeEach(() => {
  temp = tempStore();
  now = NOW;
  fixture = new ManifestFixture({ now: NOW });
  pipeline = createScanPipeline({ store: temp.store, clock: () => now });
});

afterEach(() => temp.cleanup());

describe('zone rules at the gate, offline', () => {
  it('ZONE_FULL counts the records of peers and the cloud, with and without zones', async () => {
    await venue({ capacity: 3 }, {});
    // The cloud carried one entry with its move, and one from before zones (outside → the first zone).
    fixture.admit(1, { fromZone: 'outside', toZone: HALL });
    fixture.admit(2, { at: NOW - 1_000 });
    await pull();
    // The gate's admission totals (moves hashed in) equal the cloud's summary: the copy stays as it is.
    const cursor = temp.store.manifest.cursorOf(fixture.eventId)!;
    expect(cursor.needsSnapshot).toBe(false);
    expect(cursor.admissionChecksum).toBe(admissionTotalsOf(fixture.admissions).checksum);
    // A peer's entry, heard on the LAN.
    temp.store.admissions.storeRecords(
      [
        {
          eventId: fixture.eventId,
          serial: 3,
          origin: PEER,
          originSeq: 1,
          direction: 'in',
          at: NOW,
          gateId: MAIN_DOOR,
          unconfirmed: true,
          fromZone: 'outside',
          toZone: HALL,
          signature: null,
        },
      ],
      'peer',
      NOW,
    );
    expect(counts()).toEqual({ [HALL]: 3 });
    const full = scanAt(MAIN_DOOR, 4);
    expect(full).toMatchObject({
      decision: 'reject',
      reason: 'ZONE_FULL',
      zone: { id: HALL, name: 'Main hall', capacity: 3, inside: 3 },
    });
    // One leaves: the next is let in, and the answer names the zone and its count before the move.
    expect(scanAt(MAIN_DOOR, 1, 'out')).toMatchObject({ decision: 'accept', reason: 'OK' });
    expect(scanAt(MAIN_DOOR, 4)).toMatchObject({ decision: 'accept', zone: { id: HALL, inside: 2 } });
    expect(counts()).toEqual({ [HALL]: 3 });
  });

  it('entering the lounge from the hall leaves the hall, and the records carry the moves', async () => {
    await venue({}, { restricted: true });
    expect(scanAt(MAIN_DOOR, 10).reason).toBe('OK');
    expect(counts()).toEqual({ [HALL]: 1 });
    expect(scanAt(LOUNGE_DOOR, 10)).toMatchObject({ reason: 'OK', zone: { id: LOUNGE, inside: 0 } });
    expect(counts()).toEqual({ [LOUNGE]: 1 });
    const history = temp.store.admissions.history(fixture.eventId, 10);
    expect(history.map((r) => [r.fromZone, r.toZone])).toEqual([
      ['outside', HALL],
      [HALL, LOUNGE],
    ]);
    const uploads = temp.store.scansToUpload(10);
    expect(uploads.map((s) => [s.fromZone, s.toZone])).toEqual([
      ['outside', HALL],
      [HALL, LOUNGE],
    ]);
  });

  it('the way back into a full hall is let through: nobody is trapped in the lounge', async () => {
    await venue({ capacity: 1 }, {});
    expect(scanAt(MAIN_DOOR, 1).reason).toBe('OK');
    expect(scanAt(LOUNGE_DOOR, 1).reason).toBe('OK');
    expect(scanAt(MAIN_DOOR, 2).reason).toBe('OK'); // the hall is full again
    expect(scanAt(MAIN_DOOR, 3).reason).toBe('ZONE_FULL');
    const back = scanAt(LOUNGE_DOOR, 1, 'out');
    expect(back).toMatchObject({ decision: 'accept', reason: 'OK' });
    expect(counts()).toEqual({ [HALL]: 2 });
  });

  it('ZONE_NOT_ALLOWED for a type without the restricted lounge; a VIP goes in', async () => {
    await venue({}, { restricted: true });
    expect(scanAt(MAIN_DOOR, 1).reason).toBe('OK');
    expect(scanAt(LOUNGE_DOOR, 1)).toMatchObject({
      reason: 'ZONE_NOT_ALLOWED',
      zone: { id: LOUNGE, name: 'VIP lounge' },
    });
    expect(counts()).toEqual({ [HALL]: 1 });
    // A record at a venue without zones would carry none; a rejected scan uploads none.
    expect(temp.store.scansToUpload(10)[1]).not.toHaveProperty('fromZone');
  });

  it('a copy at the main door while the holder is in the lounge is ALREADY_USED', async () => {
    await venue({}, {});
    scanAt(MAIN_DOOR, 10);
    scanAt(LOUNGE_DOOR, 10);
    const copy = scanAt(MAIN_DOOR, 10);
    expect(copy).toMatchObject({ reason: 'ALREADY_USED', detail: 'inside-elsewhere' });
    expect(copy.alreadyUsed?.gateName).toBe('Main door');
    expect(counts()).toEqual({ [LOUNGE]: 1 });
  });

  it('no re-entry to a lounge that does not allow it', async () => {
    await venue({}, { reentry: false });
    scanAt(MAIN_DOOR, 10);
    expect(scanAt(LOUNGE_DOOR, 10).reason).toBe('OK');
    expect(scanAt(LOUNGE_DOOR, 10, 'out').reason).toBe('OK');
    expect(scanAt(LOUNGE_DOOR, 10)).toMatchObject({ reason: 'ALREADY_USED', detail: 'no-reentry' });
    expect(counts()).toEqual({ [HALL]: 1 });
  });

  it('an undo moves the holder back; a restart rebuilds the same counts from the log', async () => {
    await venue({}, {});
    for (const serial of [1, 2, 3, 10, 11]) scanAt(MAIN_DOOR, serial);
    scanAt(LOUNGE_DOOR, 10);
    const lounge = scanAt(LOUNGE_DOOR, 11);
    scanAt(MAIN_DOOR, 2, 'out');
    const undone = temp.store.undoScan(lounge.seq!, now);
    expect(undone.ok).toBe(true);
    const before = counts();
    expect(before).toEqual({ [HALL]: 3, [LOUNGE]: 1 });
    temp.reopen();
    expect(counts()).toEqual(before);
  });

  it('a venue without zones records no zones and counts its one implicit zone', async () => {
    fixture.issue(1);
    await pull();
    expect(scanAt(MAIN_DOOR, 1).reason).toBe('OK');
    expect(temp.store.admissions.history(fixture.eventId, 1)[0]).not.toHaveProperty('fromZone');
    expect(temp.store.scansToUpload(1)[0]).not.toHaveProperty('fromZone');
    expect(counts()).toEqual({ venue: 1 });
    expect(occupancyOf([temp.store.admissions.history(fixture.eventId, 1)])).toEqual(new Map([['venue', 1]]));
  });
});
