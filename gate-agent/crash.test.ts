/**
 * Power-cut behaviour of the real agent process (SPEC 10): the CLI runs as a child process and is killed
 * with SIGKILL (no handler, no flush) in the middle of work, then started again on the same data dir.
 *  - during a burst of scans: every scan that was answered `accept` is in the log after the restart,
 *    and its ticket is inside (a second `in` is ALREADY_USED);
 *  - during a large snapshot install: the restarted agent holds the old copy or the new one, never a
 *    mix, with its cursor and checksum matching the rows.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manifestChecksum } from '../shared/sync-protocol/index';
import { openGateStore } from './store/gate-store';
import { type ChildAgent, post, startChildAgent } from './test-support/child-agent';
import { FakeCloud } from './test-support/fake-cloud';
import { ManifestFixture } from './test-support/manifest-fixture';
import { makeTempDir } from './test-support/stores';

let dataDir: string;
let cloud: FakeCloud;
let fixture: ManifestFixture;
const children: ChildAgent[] = [];

beforeEach(() => {
  dataDir = makeTempDir('gate-crash-');
});

afterEach(async () => {
  for (const child of children.splice(0)) await child.kill('SIGKILL');
  await cloud?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function child(args: string[]): Promise<ChildAgent> {
  const c = await startChildAgent(args);
  children.push(c);
  return c;
}

async function syncedTo(url: string, head: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const status = (await post(`${url}/api/sync`)) as { events?: { manifestSeq: number }[] } | undefined;
    if (status?.events?.[0]?.manifestSeq === head) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('agent did not sync');
}

describe('SIGKILL in the middle of a burst of scans', () => {
  it('every answered accept survives the kill: in the log, and the ticket is inside', async () => {
    // The tickets' validity is judged by the child's real clock: make the event current now.
    fixture = new ManifestFixture({ now: Date.now() });
    for (let serial = 1; serial <= 400; serial++) fixture.issue(serial);
    cloud = new FakeCloud({ fixtures: [fixture] });
    await cloud.start();
    const first = await child([
      '--data-dir',
      dataDir,
      '--cloud',
      cloud.url,
      '--enroll',
      cloud.newEnrollmentToken(),
      '--port',
      '0',
    ]);
    await syncedTo(first.url, fixture.head);

    const accepted = new Map<number, number>(); // serial → seq
    let next = 1;
    let answered = 0;
    let killed = false;
    const worker = async () => {
      while (next <= 400 && !killed) {
        const serial = next++;
        const answer = await post(`${first.url}/api/scan`, {
          code: fixture.tokens.get(serial),
          direction: 'in',
        });
        if (!answer) return;
        answered++;
        if (answer.decision === 'accept') accepted.set(serial, answer.seq as number);
        if (answered === 150 && !killed) {
          killed = true;
          await first.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    expect(killed).toBe(true);
    expect(accepted.size).toBeGreaterThanOrEqual(150);

    await cloud.stop(); // the restarted agent must answer from its disk alone
    const second = await child(['--data-dir', dataDir, '--port', '0']);
    for (const serial of accepted.keys()) {
      const again = await post(`${second.url}/api/scan`, {
        code: fixture.tokens.get(serial),
        direction: 'in',
      });
      expect(again).toMatchObject({ decision: 'reject', reason: 'ALREADY_USED' });
    }
    await second.kill('SIGTERM');

    const store = openGateStore(join(dataDir, 'gate.sqlite'));
    try {
      const log = store.sqlite
        .prepare("SELECT seq, serial, decision FROM scans WHERE reason = 'OK' ORDER BY seq")
        .all() as { seq: number; serial: number; decision: string }[];
      const bySeq = new Map(log.map((r) => [r.seq, r]));
      for (const [serial, seq] of accepted)
        expect(bySeq.get(seq)).toEqual({ seq, serial, decision: 'accept' });
      const seqs = store.sqlite.prepare('SELECT seq FROM scans ORDER BY seq').pluck().all() as number[];
      expect(seqs.every((s, i) => s === i + 1)).toBe(true);
    } finally {
      store.close();
    }
  }, 90_000);
});

describe('SIGKILL during a large snapshot install', () => {
  it('restarts with the old copy or the new one, never a mix, and then completes', async () => {
    fixture = new ManifestFixture({ now: Date.now() });
    for (let serial = 1; serial <= 200; serial++) fixture.issue(serial);
    cloud = new FakeCloud({ fixtures: [fixture] });
    await cloud.start();
    const first = await child([
      '--data-dir',
      dataDir,
      '--cloud',
      cloud.url,
      '--enroll',
      cloud.newEnrollmentToken(),
      '--port',
      '0',
    ]);
    await syncedTo(first.url, fixture.head);
    const old = { checksum: fixture.checksum(), rowCount: fixture.rows.size };

    // The cloud is restored from a backup and has since sold many more tickets: a 60,000-row snapshot.
    fixture.restoreFromBackup();
    fixture.revoke(1);
    for (let serial = 201; serial <= 60_200; serial++) fixture.issueSynthetic(serial);
    const fresh = { checksum: fixture.checksum(), rowCount: fixture.rows.size };
    const pagesBefore = cloud.hits.get('manifest') ?? 0;
    void post(`${first.url}/api/sync`);
    for (let i = 0; i < 400 && (cloud.hits.get('manifest') ?? 0) < pagesBefore + 5; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await first.kill('SIGKILL');
    await cloud.stop();

    const inspect = () => {
      const store = openGateStore(join(dataDir, 'gate.sqlite'));
      try {
        const cursor = store.cursorOf(fixture.eventId)!;
        const rows = store.liveTickets(fixture.eventId);
        return {
          cursor,
          rows,
          staging: store.stagingOf(fixture.eventId),
          actual: { checksum: manifestChecksum(rows), rowCount: rows.length },
        };
      } finally {
        store.close();
      }
    };
    const afterKill = inspect();
    // The cursor's totals describe exactly the rows on disk…
    expect(afterKill.actual).toEqual({
      checksum: afterKill.cursor.checksum,
      rowCount: afterKill.cursor.rowCount,
    });
    // …and those rows are the old copy or the new one.
    expect([old, fresh]).toContainEqual(afterKill.actual);
    // The kill landed mid-install (5 of some 30 requests served): the staging copy is there, the old one is live.
    expect(afterKill.staging?.after).toBeGreaterThan(0);
    expect(afterKill.actual).toEqual(old);

    // Restarted without the cloud: it scans from that copy.
    const second = await child(['--data-dir', dataDir, '--port', '0']);
    const answer = await post(`${second.url}/api/scan`, { code: fixture.tokens.get(1), direction: 'out' });
    expect(answer?.reason).toBe(afterKill.actual.rowCount === old.rowCount ? 'OK' : 'REVOKED');
    await second.kill('SIGTERM');

    // With the cloud back, the install resumes (from its last page) and completes.
    await cloud.start();
    const third = await child(['--data-dir', dataDir, '--port', '0']);
    await syncedTo(third.url, fixture.head);
    await third.kill('SIGTERM');
    const done = inspect();
    expect(done.actual).toEqual(fresh);
    expect(done.cursor.epoch).toBe(fixture.epoch);
    expect(done.staging).toBeNull();
  }, 120_000);
});
