/**
 * The store file's durability settings and migrations: what SPEC 7 requires before an accept may be
 * shown (WAL, synchronous=FULL), checked on a real file rather than assumed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type TempStore, tempStore } from '../test-support/stores';

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
});
