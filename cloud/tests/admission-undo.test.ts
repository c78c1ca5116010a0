/**
 * Online undo (issue 17): the box office takes back an entry or exit by the one rule every door applies
 * (shared/admission/undo.ts) — within 5 minutes (the test clock moves past it), the ticket's latest
 * movement only, once — and the undo is a record of its own that gates receive: the manifest carries it
 * with `undoes`, and the page summary, the event row's running checksum and the SQL aggregate
 * (ADMISSION_CHECKSUM_SQL) all equal the TypeScript hash over rows that include undo records. Four
 * undos of one record held at the same point (the test holds the ticket and event rows until all four
 * wait): exactly one succeeds.
 *
 * seedEvent's clock: doors open at t0 + 1 h.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UNDO_WINDOW_MS } from '../../shared/admission/undo';
import { ADMISSION_CHECKSUM_SQL, admissionTotalsOf } from '../../shared/sync-protocol';
import { parseRows, sqlCount } from '../db/rows';
import { checksumOfXor } from '../services/admissions';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';
import { usingPostgres } from '../test-support/database';
import { enrollTestDevice, pullPage, refreshDeviceToken } from '../test-support/devices';
import { scanRecord } from '../test-support/scan-records';

let cloud: TestCloud;
let seeded: SeededEvent;
let staff: string;
const STAFF_ID = 'staff-undo-1';

interface Bought {
  id: string;
  qr: string;
  serial: number;
}

async function buy(): Promise<Bought> {
  const bought = await buyTickets(cloud, seeded);
  const ticket = bought.purchase.tickets[0];
  const own = await cloud.call('GET', `/api/v1/tickets/${ticket.id}`, { token: bought.token });
  return { id: ticket.id, qr: ticket.qr, serial: own.body.serial };
}

beforeAll(async () => {
  cloud = await createTestCloud();
  seeded = await seedEvent(cloud);
  staff = await cloud.token('venue_staff', seeded.tenant, STAFF_ID);
  cloud.advance(2 * 3600_000);
});

afterAll(async () => {
  await cloud?.close();
});

const north = () => seeded.gateIds[0]!;
const validate = (ticket: Bought, direction: 'in' | 'out' = 'in') =>
  cloud.call('POST', '/api/v1/validate', {
    token: staff,
    body: { qr: ticket.qr, gateId: north(), direction },
  });
const undo = (body: object, token = staff) =>
  cloud.call('POST', `/api/v1/events/${seeded.eventId}/admissions/undo`, { token, body });

/** The admission record a `/validate` accept filed: the cloud's latest. */
async function lastCloudRecord(): Promise<number> {
  const list = await cloud.call('GET', `/api/v1/events/${seeded.eventId}/admissions?limit=200`, {
    token: staff,
  });
  const own = list.body.items.filter((item: { origin: string }) => item.origin === 'cloud');
  return own[own.length - 1].originSeq;
}

describe('POST /events/{id}/admissions/undo', () => {
  it('takes an entry back: the ticket is admitted again, and a second undo is refused', async () => {
    const ticket = await buy();
    expect((await validate(ticket)).body).toMatchObject({ decision: 'accept' });
    const entry = await lastCloudRecord();
    cloud.advance(60_000);
    const undone = await undo({ origin: 'cloud', originSeq: entry, note: 'Wrong ticket' });
    expect(undone.status, JSON.stringify(undone.body)).toBe(200);
    expect(undone.body).toEqual({
      undone: { origin: 'cloud', originSeq: entry },
      undo: { origin: 'cloud', originSeq: entry + 1, at: new Date(cloud.now()).toISOString() },
    });
    expect((await validate(ticket)).body).toMatchObject({ decision: 'accept', reason: 'OK' });

    const twice = await undo({ origin: 'cloud', originSeq: entry });
    expect(twice.status).toBe(409);
    expect(twice.body.error).toMatchObject({
      code: 'ADMISSION_ALREADY_UNDONE',
      message: 'This admission was already undone.',
    });
    // The undo record itself cannot be undone, nor a record nobody made.
    const ofUndo = await undo({ origin: 'cloud', originSeq: entry + 1 });
    expect([ofUndo.status, ofUndo.body.error.code]).toEqual([404, 'ADMISSION_NOT_FOUND']);
    const none = await undo({ origin: 'cloud', originSeq: 9999 });
    expect([none.status, none.body.error.code]).toEqual([404, 'ADMISSION_NOT_FOUND']);

    const list = await cloud.call('GET', `/api/v1/events/${seeded.eventId}/admissions?limit=200`, {
      token: staff,
    });
    expect(list.body.items.find((i: { originSeq: number }) => i.originSeq === entry + 1)).toMatchObject({
      direction: 'undo',
      undoes: { origin: 'cloud', originSeq: entry },
      source: 'undo',
      recordedBy: STAFF_ID,
      note: 'Wrong ticket',
    });
  });

  it('refuses after the window, and an entry the ticket has moved on from', async () => {
    const late = await buy();
    await validate(late);
    const entry = await lastCloudRecord();
    cloud.advance(UNDO_WINDOW_MS + 1);
    const passed = await undo({ origin: 'cloud', originSeq: entry });
    expect([passed.status, passed.body.error.code]).toEqual([409, 'UNDO_WINDOW_PASSED']);

    const moved = await buy();
    await validate(moved);
    const movedEntry = await lastCloudRecord();
    cloud.advance(1000);
    expect((await validate(moved, 'out')).body).toMatchObject({ decision: 'accept' });
    const notLatest = await undo({ origin: 'cloud', originSeq: movedEntry });
    expect([notLatest.status, notLatest.body.error.code]).toEqual([409, 'ADMISSION_NOT_LATEST']);
  });

  // It holds row locks in one transaction while the undos wait on them: PGlite has one connection, so
  // nothing can wait beside an open transaction there. PostgreSQL only.
  it.runIf(usingPostgres())('lets exactly one of concurrent undos of one record through', async () => {
    const ticket = await buy();
    await validate(ticket);
    const entry = await lastCloudRecord();
    // Hold the ticket and event rows so every undo is under way before any may finish: without the
    // ticket lock each would read a history with no undo yet, and all would file one.
    const waiting = sql`select count(*)::int as n from pg_stat_activity
      where wait_event_type = 'Lock' and datname = current_database()`;
    let pending: Promise<Array<{ status: number; body: { error?: { code: string } } }>> | undefined;
    await cloud.database.db.transaction(async (tx) => {
      await tx.execute(sql`select id from tickets where id = ${ticket.id}::uuid for update`);
      await tx.execute(sql`select id from events where id = ${seeded.eventId}::uuid for update`);
      pending = Promise.all(Array.from({ length: 4 }, () => undo({ origin: 'cloud', originSeq: entry })));
      // Until all four wait on a lock (bounded: 5 s), then let them go.
      for (let attempt = 0; attempt < 200; attempt++) {
        const [row] = parseRows(z.object({ n: sqlCount }), await cloud.database.db.execute(waiting));
        if ((row?.n ?? 0) >= 4) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    });
    const answers = await pending!;
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409]);
    for (const a of answers.filter((x) => x.status === 409)) {
      expect(a.body.error?.code).toBe('ADMISSION_ALREADY_UNDONE');
    }
  });

  it('undoes a gate’s record, and the undo reaches the gates with a matching checksum', async () => {
    const ticket = await buy();
    const device = await enrollTestDevice(cloud, seeded, 0);
    await refreshDeviceToken(cloud, device);
    const uploaded = await cloud.call('POST', '/api/v1/sync/scans', {
      token: device.accessToken,
      body: {
        scans: [
          scanRecord({
            seq: 1,
            admissionSeq: 1,
            gateId: device.enrollment.gate.id,
            eventId: seeded.eventId,
            ticketSerial: ticket.serial,
            scannedAt: cloud.now() - 30_000,
          }),
        ],
      },
    });
    expect(uploaded.body).toMatchObject({ ackedSeq: 1, stored: 1 });
    const undone = await undo({ origin: device.deviceId.toUpperCase(), originSeq: 1 });
    expect(undone.status, JSON.stringify(undone.body)).toBe(200);
    expect(undone.body.undone).toEqual({ origin: device.deviceId, originSeq: 1 });

    const other = await enrollTestDevice(cloud, seeded, 1);
    const pulled = await pullPage(cloud, other, { eventId: seeded.eventId });
    const page = pulled.page!;
    const undoRow = page.admissions.find((r) => r.direction === 'undo' && r.serial === ticket.serial);
    expect(undoRow).toMatchObject({
      origin: 'cloud',
      undoes: { origin: device.deviceId, originSeq: 1 },
      gateId: device.enrollment.gate.id,
    });
    const totals = admissionTotalsOf(page.admissions);
    expect(page.admissions.filter((r) => r.direction === 'undo').length).toBeGreaterThanOrEqual(2);
    expect(page.summary?.admissions).toEqual(totals);
    // The SQL aggregate over the table equals the TypeScript hash, undo rows included.
    const [row] = parseRows(
      z.object({ n: sqlCount, checksum: z.string(), xor: z.union([z.string(), z.number(), z.bigint()]) }),
      await cloud.database.db.execute(sql`
        select (select count(*)::int from admissions where event_id = ${seeded.eventId}::uuid) as n,
               (select ${sql.raw(ADMISSION_CHECKSUM_SQL)} from admissions where event_id = ${seeded.eventId}::uuid)
                 as checksum,
               (select admission_xor from events where id = ${seeded.eventId}::uuid) as xor`),
    );
    expect({ count: row!.n, checksum: row!.checksum }).toEqual(totals);
    expect(checksumOfXor(row!.xor)).toBe(totals.checksum);
  });

  it('is 404 for another tenant’s staff, 403 for a customer, 400 on bad input', async () => {
    const other = await seedEvent(cloud);
    const foreign = await cloud.token('venue_staff', other.tenant);
    const answer = await undo({ origin: 'cloud', originSeq: 1 }, foreign);
    expect([answer.status, answer.body.error.code]).toEqual([404, 'NOT_FOUND']);
    const customer = await cloud.token('customer', seeded.tenant);
    expect((await undo({ origin: 'cloud', originSeq: 1 }, customer)).status).toBe(403);
    expect((await undo({ origin: 'gate-7', originSeq: 1 })).status).toBe(400);
    expect((await undo({ origin: 'cloud', originSeq: 0 })).status).toBe(400);
    expect((await undo({ origin: 'cloud', originSeq: 1, note: 'x'.repeat(501) })).status).toBe(400);
  });
});
