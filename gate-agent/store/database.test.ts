/**
 * The store file's durability settings and migrations: what SPEC 7 requires before an accept may be
 * shown (WAL, synchronous=FULL), checked on a real file rather than assumed; and the wipe of a revoked
 * device (SPEC 4), checked against the tables the file really has.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { pullEvent } from '../sync/pull';
import { ManifestFixture } from '../test-support/manifest-fixture';
import { fixtureTransport, type TempStore, tempStore } from '../test-support/stores';
import { createScanPipeline } from '../verify/pipeline';

let temp: TempStore | undefined;
afterEach(() => temp?.cleanup());

describe('opening the store', () => {
  it('uses WAL, synchronous=FULL and a busy timeout', () => {
    temp = tempStore();
    const { sqlite } = temp.store;
    expect(sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(sqlite.pragma('synchronous', { simple: true })).toBe(2); // 2 = FULL
    expect(sqlite.pragma('busy_timeout', { simple: true })).toBe(5000);
  });

  it('applies every migration once, and again on reopen without error', () => {
    temp = tempStore();
    const tables = () =>
      temp!.store.sqlite
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .pluck()
        .all();
    const before = tables();
    expect(before).toEqual(
      expect.arrayContaining(['scans', 'tickets', 'sync_cursors', 'sync_staging', 'served_events', 'device']),
    );
    temp.reopen();
    expect(tables()).toEqual(before);
  });

  it('keeps device settings across a reopen and wipes everything on revocation', () => {
    temp = tempStore();
    temp.store.updateSettings({
      deviceId: '0190c3a4-7b2e-7cc1-9d3e-5a1b2c3d4e5f',
      privateKey: new Uint8Array(32).fill(7),
      port: 4200,
    });
    const reopened = temp.reopen();
    expect(reopened.settings).toMatchObject({ deviceId: '0190c3a4-7b2e-7cc1-9d3e-5a1b2c3d4e5f', port: 4200 });
    expect(reopened.settings.privateKey).toEqual(new Uint8Array(32).fill(7));
    reopened.wipe();
    expect(reopened.settings.deviceId).toBeNull();
    expect(reopened.settings.privateKey).toBeNull();
    expect(temp.reopen().settings.deviceId).toBeNull();
  });

  it('a wipe leaves no row in any table of the file but the device and upload-cursor rows', async () => {
    temp = tempStore();
    const { store } = temp;
    store.updateSettings({ gateId: randomUUID() }); // the device identity is TEST_DEVICE's (tempStore)
    const fixture = new ManifestFixture();
    for (let serial = 1; serial <= 5; serial++) fixture.issue(serial);
    fixture.peers = [
      {
        deviceId: randomUUID(),
        publicKey: 'A'.repeat(43),
        gateId: randomUUID(),
        gateName: 'South door',
        address: '10.0.0.2:7701',
      },
    ];
    store.addServedEvents([{ id: fixture.eventId, name: 'Test concert' }]);
    await pullEvent(fixture.eventId, {
      store,
      fetchPage: fixtureTransport(fixture),
      clock: () => fixture.cloudTime,
    });
    createScanPipeline({ store, clock: () => fixture.cloudTime }).scan(fixture.tokens.get(1)!, 'in');
    store.manifest.beginSnapshot(fixture.eventId, fixture.cloudTime);
    // Every table the migrations made, read from the file itself rather than from the schema module.
    const rowCounts = () =>
      Object.fromEntries(
        store.sqlite
          .prepare<[], { name: string }>(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%'",
          )
          .all()
          .map(({ name }) => [
            name,
            store.sqlite.prepare<[], { n: number }>(`SELECT count(*) AS n FROM "${name}"`).get()!.n,
          ]),
      );
    const before = rowCounts();
    expect(Object.keys(before).length).toBeGreaterThanOrEqual(12);
    expect(Object.entries(before).filter(([, n]) => n === 0)).toEqual([]);

    store.wipe();
    const after = rowCounts();
    expect(after).toEqual(
      Object.fromEntries(
        Object.keys(before).map((name) => [name, name === 'device' || name === 'upload_cursor' ? 1 : 0]),
      ),
    );
    expect(store.counters).toEqual({ accepted: 0, admitted: 0, exited: 0, rejected: 0, undone: 0 });
    expect(store.ackedSeq).toBe(0);
  });
});
