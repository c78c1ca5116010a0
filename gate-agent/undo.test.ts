/**
 * Undo at the station (issue 17) through the gate's real local API over a real SQLite store: `POST
 * /api/undo {seq}` takes back an accepted scan of this station within shared/admission's rule (5 minutes
 * by the gate's corrected clock, the ticket's latest movement, once), so the same ticket is admitted
 * again; every refusal writes nothing; the undo travels up as one scan row (direction `undo`,
 * `undoesSeq`) written in the same transaction as its undo record; the door's counters stop counting the
 * undone entry; and undo records the cloud's manifest carries (an online undo) are stored, folded and
 * counted in the copy's admission totals.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { UNDO_WINDOW_MS } from '../shared/admission/undo';
import { admissionTotalsOf, ScanRecord } from '../shared/sync-protocol/index';
import type { UndoResponse } from './server/app';
import { pullEvent } from './sync/pull';
import { type LocalAppHarness, localAppHarness, postJson } from './test-support/local-app';
import { ManifestFixture } from './test-support/manifest-fixture';
import { fixtureTransport, type TempStore, tempStore } from './test-support/stores';
import { TEST_DEVICE } from './test-support/test-device';
import type { ScanResponse } from './verify/pipeline';

/** An undo answer or refusal, as the test reads it. */
type UndoBody = Partial<UndoResponse> & { error?: { code: string; message: string } };

let harness: LocalAppHarness | undefined;
let temp: TempStore | undefined;
afterEach(() => {
  harness?.temp.cleanup();
  temp?.cleanup();
  harness = undefined;
  temp = undefined;
});

/** A gate on the harness with a clock the test moves (starting at the fixture's cloud time). */
async function gate() {
  let now = 0;
  harness = await localAppHarness({ clock: () => now });
  now = harness.fixture.cloudTime;
  const h = harness;
  const ticket = (serial: number) => h.fixture.tokens.get(serial)!;
  return {
    h,
    store: h.temp.store,
    advance: (ms: number) => {
      now += ms;
    },
    async scan(serial: number, direction: 'in' | 'out' = 'in'): Promise<ScanResponse> {
      const res = await postJson(h.app, '/api/scan', { code: ticket(serial), direction });
      return (await res.json()) as ScanResponse;
    },
    async undo(seq: unknown) {
      const res = await postJson(h.app, '/api/undo', { seq });
      return { status: res.status, body: (await res.json()) as UndoBody };
    },
    /** Rows of the scan log and the admission log (what a refused undo must leave alone). */
    rows: () => ({
      scans: h.temp.store.sqlite.prepare('SELECT count(*) AS n FROM scans').get() as { n: number },
      admissions: h.temp.store.sqlite.prepare('SELECT count(*) AS n FROM admission_log').get() as {
        n: number;
      },
    }),
  };
}

describe('POST /api/undo', () => {
  it('undoes an accepted entry: the same ticket is admitted again, and the counters do not count it', async () => {
    const g = await gate();
    const first = await g.scan(1);
    expect(first).toMatchObject({ decision: 'accept', reason: 'OK' });
    g.advance(30_000);
    const undone = await g.undo(first.seq);
    expect(undone.status).toBe(200);
    expect(undone.body).toMatchObject({
      undone: { origin: TEST_DEVICE.deviceId, originSeq: 1, direction: 'in' },
      undo: { origin: TEST_DEVICE.deviceId, originSeq: 2 },
      ticket: { eventId: g.h.fixture.eventId, serial: 1 },
      seq: first.seq! + 1,
    });
    expect(undone.body.undo!.at).toBeGreaterThan(undone.body.undone!.at);
    expect(g.store.counters).toMatchObject({ accepted: 0, admitted: 0, undone: 1 });
    g.advance(1_000);
    expect(await g.scan(1)).toMatchObject({ decision: 'accept', reason: 'OK' });
    expect(g.store.counters).toMatchObject({ accepted: 1, admitted: 1, rejected: 0, undone: 1 });
    // Recounted from the log (a restart) the same.
    g.store.reloadCounters();
    expect(g.store.counters).toMatchObject({ accepted: 1, admitted: 1, rejected: 0, undone: 1 });
    const metrics = await (await g.h.app.request('/metrics', { headers: { host: '127.0.0.1' } })).text();
    expect(metrics).toMatch(/^gate_admissions_undone_total 1$/m);
    expect(metrics).toMatch(/^gate_admitted 1$/m);
  });

  it('after the 5-minute window by the gate’s clock: 409 UNDO_WINDOW_PASSED and nothing written', async () => {
    const g = await gate();
    const first = await g.scan(2);
    g.advance(UNDO_WINDOW_MS + 1);
    const before = g.rows();
    const late = await g.undo(first.seq);
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: 'UNDO_WINDOW_PASSED' });
    expect(g.rows()).toEqual(before);
    expect(g.store.counters).toMatchObject({ admitted: 1, undone: 0 });
    expect((await g.scan(2)).reason).toBe('ALREADY_USED');
  });

  it('only the latest movement: an entry followed by an exit is 409 ADMISSION_NOT_LATEST', async () => {
    const g = await gate();
    const entry = await g.scan(3, 'in');
    g.advance(1_000);
    expect((await g.scan(3, 'out')).decision).toBe('accept');
    const before = g.rows();
    const refused = await g.undo(entry.seq);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'ADMISSION_NOT_LATEST' });
    expect(g.rows()).toEqual(before);
  });

  it('once: a second undo of the same scan is 409 ADMISSION_ALREADY_UNDONE', async () => {
    const g = await gate();
    const entry = await g.scan(4);
    expect((await g.undo(entry.seq)).status).toBe(200);
    const before = g.rows();
    const again = await g.undo(entry.seq);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'ADMISSION_ALREADY_UNDONE' });
    expect(g.rows()).toEqual(before);
    expect(g.store.counters).toMatchObject({ undone: 1 });
  });

  it('404 for an unknown seq, a rejected scan and an undo row; 400 for a body without a seq', async () => {
    const g = await gate();
    const entry = await g.scan(5);
    g.advance(1_000);
    const used = await g.scan(5);
    expect(used.reason).toBe('ALREADY_USED');
    expect((await g.undo(999)).status).toBe(404);
    const rejected = await g.undo(used.seq);
    expect(rejected.status).toBe(404);
    expect(rejected.body.error).toMatchObject({ code: 'ADMISSION_NOT_FOUND' });
    const done = await g.undo(entry.seq);
    expect((await g.undo(done.body.seq)).status).toBe(404);
    expect((await g.undo('1')).status).toBe(400);
    expect((await g.undo(0)).status).toBe(400);
  });

  it('the undo waits in the upload queue once: direction undo, the undone record’s number, same code hash', async () => {
    const g = await gate();
    const entry = await g.scan(1);
    g.advance(10_000);
    await g.undo(entry.seq);
    const queued = g.store.scansToUpload(100);
    expect(queued).toHaveLength(2);
    const [accept, undo] = queued;
    expect(undo).toMatchObject({
      seq: accept!.seq + 1,
      direction: 'undo',
      decision: 'accept',
      reason: 'OK',
      detail: 'undo',
      eventId: accept!.eventId,
      ticketSerial: 1,
      admissionSeq: 2,
      undoesSeq: accept!.admissionSeq,
      codeHash: accept!.codeHash,
    });
    expect(accept).not.toHaveProperty('undoesSeq');
    // What the cloud estimates for the row is the undo record's corrected time.
    const record = g.store.admissions.history(g.h.fixture.eventId, 1).find((r) => r.direction === 'undo');
    expect(undo!.scannedAt + undo!.clockOffsetMs).toBe(record!.at);
    expect(record!.undoes).toEqual({ origin: TEST_DEVICE.deviceId, originSeq: 1 });
    expect(ScanRecord.safeParse(undo).success).toBe(true);
  });

  it('the undo record and its scan row are one transaction: a failed write leaves neither', async () => {
    const g = await gate();
    const entry = await g.scan(2);
    // The disk refuses the undo record (written after its scan row): the scan row must go too.
    g.store.sqlite.exec(`CREATE TRIGGER refuse_undo BEFORE INSERT ON admission_log
      WHEN NEW.direction = 'undo' BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    const before = g.rows();
    const failed = await postJson(g.h.app, '/api/undo', { seq: entry.seq });
    expect(failed.status).toBe(500);
    expect(g.rows()).toEqual(before);
    expect(g.store.counters).toMatchObject({ admitted: 1, undone: 0 });
    g.store.sqlite.exec('DROP TRIGGER refuse_undo');
    expect((await g.undo(entry.seq)).status).toBe(200);
  });
});

describe('undo records from the cloud’s manifest', () => {
  it('an online undo is stored, folded (the gate admits again) and counted in the admission totals', async () => {
    temp = tempStore();
    const fixture = new ManifestFixture();
    fixture.issue(1);
    const entry = fixture.admit(1, { origin: 'cloud' });
    const undo = fixture.undo(entry, { at: fixture.cloudTime + 1_000 });
    const clock = () => fixture.cloudTime;
    await pullEvent(fixture.eventId, { store: temp.store, fetchPage: fixtureTransport(fixture), clock });
    const history = temp.store.admissions.history(fixture.eventId, 1);
    expect(history).toHaveLength(2);
    expect(history.find((r) => r.direction === 'undo')).toMatchObject({
      origin: 'cloud',
      originSeq: undo.originSeq,
      undoes: { origin: 'cloud', originSeq: entry.originSeq },
    });
    expect(temp.store.lastAdmission(fixture.eventId, 1)).toBeUndefined();
    // The page's summary covers the undo record: the copy adds up (no re-snapshot asked for).
    const cursor = temp.store.sqlite
      .prepare(
        'SELECT admission_count AS count, admission_checksum AS checksum, needs_snapshot FROM sync_cursors',
      )
      .get() as { count: number; checksum: string; needs_snapshot: number };
    expect(cursor).toEqual({ ...admissionTotalsOf([entry, undo]), needs_snapshot: 0 });
    expect(temp.store.syncStates()[0]!.needsSnapshot).toBe(false);
  });
});
