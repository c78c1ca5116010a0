/**
 * What a device sends that the cloud cannot store as it is never answers 5xx (security finding: six
 * inputs on the device routes answered 500). A scan row that fails the checks — a time JavaScript or
 * PostgreSQL cannot hold, a NUL in its text, a NUL or lone surrogate in an unknown field, a value nested
 * 5,000 deep — is quarantined (stored in a storable form, with its reason) and acknowledged, so the
 * gate's queue moves on; an enrollment whose name holds a NUL, or whose key cannot receive sealed event
 * keys, is refused with 400 and changes nothing.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { generateDeviceKeyPair, toBase64Url } from '../../shared/crypto';
import { MAX_EPOCH_MS, type ScanRecord } from '../../shared/sync-protocol';
import { parseRows, sqlCount } from '../db/rows';
import { MAX_RAW_DEPTH, RAW_TOO_DEEP } from '../services/scan-quarantine';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';
import { enrollmentToken, enrollTestDevice, type TestDevice } from '../test-support/devices';
import { scanRecord } from '../test-support/scan-records';

let cloud: TestCloud;
let seeded: SeededEvent;
let device: TestDevice;
/** The next sequence number the device uses: every case uploads one row after the last. */
let nextSeq = 1;

beforeAll(async () => {
  cloud = await createTestCloud();
  seeded = await seedEvent(cloud);
  await buyTickets(cloud, seeded, { quantity: 2 });
  device = await enrollTestDevice(cloud, seeded);
});
afterAll(async () => {
  await cloud?.close();
});

/** An accepted entry of ticket 1 at the device's gate, as the gate records it; `fields` override. */
function row(fields: Partial<ScanRecord> = {}): ScanRecord {
  return scanRecord({
    seq: nextSeq,
    gateId: device.enrollment.gate.id,
    eventId: seeded.eventId,
    ticketSerial: 1,
    scannedAt: cloud.now() - 1_000,
    admissionSeq: nextSeq,
    ...fields,
  });
}

/** POST /sync/scans with the exact body text given. */
function uploadText(body: string) {
  return cloud.call('POST', '/api/v1/sync/scans', { token: device.accessToken, body });
}

const StoredRow = z.object({
  quarantined: z.number(),
  quarantine_reason: z.string().nullable(),
  raw: z.unknown(),
});

async function storedRow(seq: number) {
  const [stored] = parseRows(
    StoredRow,
    await cloud.services.db.execute(sql`
      select quarantined, quarantine_reason, raw from device_scans
       where device_id = ${device.deviceId}::uuid and seq = ${seq}`),
  );
  if (!stored) throw new Error(`no row ${seq} stored`);
  return stored;
}

async function admissionCount(): Promise<number> {
  const [counted] = parseRows(
    z.object({ n: sqlCount }),
    await cloud.services.db.execute(
      sql`select count(*)::int as n from admissions where event_id = ${seeded.eventId}::uuid`,
    ),
  );
  return counted?.n ?? 0;
}

/**
 * Uploads one row (as body text, so it may be what JSON.stringify could not write) and checks the
 * outcome every such row must have: 200, the row quarantined and acknowledged, no admission, nothing
 * counted. Returns the stored row.
 */
async function expectQuarantined(rowText: string, reason: RegExp) {
  const seq = nextSeq++;
  const admissionsBefore = await admissionCount();
  const response = await uploadText(`{"scans":[${rowText}]}`);
  expect(response.status).toBe(200);
  expect(response.body).toMatchObject({ ackedSeq: seq, stored: 0, quarantined: 1, duplicates: 0 });
  const stored = await storedRow(seq);
  expect(stored).toMatchObject({ quarantined: 1, quarantine_reason: expect.stringMatching(reason) });
  expect(await admissionCount()).toBe(admissionsBefore);
  const attendance = await cloud.call('GET', `/api/v1/events/${seeded.eventId}/attendance`, {
    token: seeded.adminToken,
  });
  expect(attendance.body).toMatchObject({ admitted: 0 });
  return stored;
}

/** A row's JSON with one more member at its end (written by hand: the value may be unwritable). */
const withMember = (record: ScanRecord, member: string) =>
  `${JSON.stringify(record).slice(0, -1)},${member}}`;

describe('scan rows the cloud cannot store as they are', () => {
  it('quarantines a scannedAt of 8.64e15 (JavaScript’s last Date, not a PostgreSQL time)', async () => {
    await expectQuarantined(JSON.stringify(row({ scannedAt: 8.64e15 })), /^INVALID_ROW: scannedAt/);
    // Past the end of year 9999 is just as unstorable, however far short of 8.64e15.
    await expectQuarantined(JSON.stringify(row({ scannedAt: MAX_EPOCH_MS + 1 })), /^INVALID_ROW: scannedAt/);
  });

  it('quarantines a clockOffsetMs of 8.64e15, and any offset whose estimate is no time', async () => {
    await expectQuarantined(JSON.stringify(row({ clockOffsetMs: 8.64e15 })), /^INVALID_ROW: clockOffsetMs/);
    await expectQuarantined(
      JSON.stringify(row({ scannedAt: MAX_EPOCH_MS - 10, clockOffsetMs: 11 })),
      /^INVALID_ROW: clockOffsetMs: scannedAt \+ clockOffsetMs/,
    );
    await expectQuarantined(
      JSON.stringify(row({ clockOffsetMs: -(cloud.now() + 1) })),
      /^INVALID_ROW: clockOffsetMs: scannedAt \+ clockOffsetMs/,
    );
  });

  it('quarantines a NUL in detail, and keeps the row with the NUL replaced', async () => {
    const stored = await expectQuarantined(
      JSON.stringify(row({ decision: 'reject', reason: 'INVALID', detail: 'bad\u0000code' })),
      /^INVALID_ROW: detail: no NUL characters/,
    );
    expect(stored.raw).toMatchObject({ detail: 'bad\uFFFDcode', reason: 'INVALID' });
  });

  it('quarantines a NUL in an unknown field (the jsonb raw column), in its value and in its name', async () => {
    const value = await expectQuarantined(withMember(row(), '"extra":"x\\u0000y"'), /^INVALID_ROW: /);
    expect(value.raw).toMatchObject({ extra: 'x\uFFFDy' });
    const name = await expectQuarantined(withMember(row(), '"ex\\u0000tra":1'), /^INVALID_ROW: /);
    expect(name.raw).toMatchObject({ 'ex\uFFFDtra': 1 });
    expect(name.quarantine_reason).not.toContain('\u0000');
    // A lone surrogate has no UTF-8 form either: jsonb refuses it just the same.
    const surrogate = await expectQuarantined(withMember(row(), '"extra":"\\ud800"'), /^INVALID_ROW: /);
    expect(surrogate.raw).toMatchObject({ extra: '\uFFFD' });
  });

  it('quarantines a row nested 5,000 deep, keeping it down to the depth bound', async () => {
    const deep = `${'['.repeat(5000)}1${']'.repeat(5000)}`;
    const stored = await expectQuarantined(withMember(row(), `"extra":${deep}`), /^INVALID_ROW: /);
    // The row is level 1, `extra` level 2; below MAX_RAW_DEPTH only the marker is kept.
    let kept = (stored.raw as { extra: unknown }).extra;
    for (let level = 2; level <= MAX_RAW_DEPTH; level++) {
      expect(Array.isArray(kept)).toBe(true);
      kept = (kept as unknown[])[0];
    }
    expect(kept).toBe(RAW_TOO_DEEP);
    // Deep in a known field is the same: quarantined, never a 500.
    await expectQuarantined(
      JSON.stringify(row()).replace('"detail":null', `"detail":${deep}`),
      /^INVALID_ROW: detail/,
    );
  });

  it('still stores the good rows beside a bad one, and the gate’s queue moves past it', async () => {
    const bad = nextSeq++;
    const good = nextSeq++;
    const body = `{"scans":[${withMember(row({ seq: bad }), '"extra":"\\u0000"')},${JSON.stringify(
      row({ seq: good, ticketSerial: 2, admissionSeq: good }),
    )}]}`;
    const response = await uploadText(body);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ ackedSeq: good, stored: 1, quarantined: 1 });
    expect((await storedRow(good)).quarantined).toBe(0);
  });
});

describe('enrollment', () => {
  it('refuses a name with a NUL (or any control character) with 400, and the token stays unused', async () => {
    const { token } = await enrollmentToken(cloud, seeded);
    const keys = generateDeviceKeyPair();
    const enroll = (name: string) =>
      cloud.call('POST', '/api/v1/devices/enroll', {
        body: { enrollmentToken: token, publicKey: toBase64Url(keys.publicKey), name },
      });
    const countDevices = async () =>
      parseRows(
        z.object({ n: sqlCount }),
        await cloud.services.db.execute(sql`select count(*)::int as n from devices`),
      )[0]?.n;
    const devicesBefore = await countDevices();
    for (const name of ['Gate\u0000North', 'Gate\u0007North', 'Gate\nNorth']) {
      const refused = await enroll(name);
      expect(refused.status, JSON.stringify(name)).toBe(400);
      expect(refused.body.error.code).toBe('VALIDATION_FAILED');
    }
    expect(await countDevices()).toBe(devicesBefore);
    // Nothing was consumed: the same token enrolls a device with a proper name.
    expect((await enroll('Gate North')).status).toBe(201);
  });

  it('refuses a public key event keys cannot be sealed to (small order, not a point) with 400, token unused', async () => {
    const { token } = await enrollmentToken(cloud, seeded);
    const enroll = (publicKey: Uint8Array) =>
      cloud.call('POST', '/api/v1/devices/enroll', {
        body: { enrollmentToken: token, publicKey: toBase64Url(publicKey), name: 'Gate North' },
      });
    const identity = Uint8Array.of(1, ...new Uint8Array(31)); // the neutral point: order 1
    const notAPoint = new Uint8Array(32).fill(0xff);
    for (const key of [identity, notAPoint]) {
      const refused = await enroll(key);
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('VALIDATION_FAILED');
    }
    expect((await enroll(generateDeviceKeyPair().publicKey)).status).toBe(201);
  });
});
