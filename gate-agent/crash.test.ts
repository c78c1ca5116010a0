/**
 * Power-cut behaviour of the real agent process (SPEC 10): the CLI runs as a child process and is killed
 * with SIGKILL (no handler, no flush) in the middle of work, then started again on the same data dir.
 *  - during a burst of scans: every scan that was answered `accept` is in the log after the restart,
 *    and its ticket is inside (a second `in` is ALREADY_USED);
 *  - during a large snapshot install: the restarted agent holds the old copy or the new one, never a
 *    mix, with its cursor and checksum matching the rows; once complete, it holds every admission
 *    record the cloud does (issue 14: they travel in the same pages), with the same totals.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendAdmissions, checksumOfXor } from '../cloud/services/admissions';
import { manifestTotals } from '../cloud/services/manifest-totals';
import { issueTicketsInBulk } from '../cloud/test-support/bulk-tickets';
import { buyTickets } from '../cloud/test-support/cloud';
import { manifestChecksum } from '../shared/sync-protocol/index';
import { openGateStore } from './store/gate-store';
import { type ChildAgent, post, startChildAgent } from './test-support/child-agent';
import { type RealCloud, startRealCloud } from './test-support/real-cloud';
import { makeTempDir } from './test-support/stores';

let dataDir: string;
let real: RealCloud | undefined;
const children: ChildAgent[] = [];

beforeEach(() => {
  dataDir = makeTempDir('gate-crash-');
});

afterEach(async () => {
  for (const child of children.splice(0)) await child.kill('SIGKILL');
  await real?.stop();
  real = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

async function child(args: string[]): Promise<ChildAgent> {
  const c = await startChildAgent(args);
  children.push(c);
  return c;
}

/** The event's change head in the cloud. */
async function cloudHead(cloud: RealCloud): Promise<number> {
  const result = await cloud.cloud.database.db.execute(
    sql`select change_seq from events where id = ${cloud.seeded.eventId}`,
  );
  return Number((result as unknown as { rows: Array<{ change_seq: string | number }> }).rows[0]!.change_seq);
}

/** A first start: the agent enrolls with the cloud and syncs to the event's head before it is used. */
async function enrolledChild(cloud: RealCloud): Promise<ChildAgent> {
  const first = await child([
    '--data-dir',
    dataDir,
    '--cloud',
    cloud.url,
    '--enroll',
    await cloud.enrollmentToken(),
    '--port',
    '0',
  ]);
  await syncedTo(first.url, await cloudHead(cloud));
  return first;
}

async function syncedTo(url: string, head: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const status = (await post(`${url}/api/sync`)) as { events?: { manifestSeq: number }[] } | undefined;
    // At least: the gate's own uploaded admissions move the head further (issue 14).
    if ((status?.events?.[0]?.manifestSeq ?? -1) >= head) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('agent did not sync');
}

describe('SIGKILL in the middle of a burst of scans', () => {
  it('every answered accept survives the kill: in the log, and the ticket is inside', async () => {
    // The tickets' validity is judged by the child's real clock: the event's doors opened an hour ago.
    real = await startRealCloud({ capacities: [1000, 10], doorsOpenSinceMs: 3_600_000 });
    const cloud = real;
    const tokens = new Map<number, string>();
    for (const ticket of await issueTicketsInBulk(cloud.cloud, cloud.seeded, 400))
      tokens.set(tokens.size + 1, ticket.qr);
    const first = await enrolledChild(cloud);

    const accepted = new Map<number, number>(); // our ticket index → scan seq
    const serials = new Map<number, number>(); // our ticket index → the ticket's serial
    let next = 1;
    let answered = 0;
    let killed = false;
    const worker = async () => {
      while (next <= 400 && !killed) {
        const serial = next++;
        const answer = await post(`${first.url}/api/scan`, {
          code: tokens.get(serial),
          direction: 'in',
        });
        if (!answer) return;
        answered++;
        if (answer.decision === 'accept') {
          accepted.set(serial, answer.seq as number);
          serials.set(serial, (answer.ticket as { serial: number }).serial);
        }
        if (answered === 150 && !killed) {
          killed = true;
          await first.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    expect(killed).toBe(true);
    expect(accepted.size).toBeGreaterThanOrEqual(150);

    cloud.link = 'down'; // the restarted agent must answer from its disk alone
    const second = await child(['--data-dir', dataDir, '--port', '0']);
    for (const serial of accepted.keys()) {
      const again = await post(`${second.url}/api/scan`, {
        code: tokens.get(serial),
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
      for (const [index, seq] of accepted)
        expect(bySeq.get(seq)).toEqual({ seq, serial: serials.get(index), decision: 'accept' });
      const seqs = store.sqlite.prepare('SELECT seq FROM scans ORDER BY seq').pluck().all() as number[];
      expect(seqs.every((s, i) => s === i + 1)).toBe(true);
    } finally {
      store.close();
    }
  }, 90_000);
});

describe('SIGKILL during a large snapshot install', () => {
  it('restarts with the old copy or the new one, never a mix, and then completes', async () => {
    real = await startRealCloud({ capacities: [100_000, 10], doorsOpenSinceMs: 3_600_000 });
    const cloud = real;
    const { purchase } = await buyTickets(cloud.cloud, cloud.seeded, { quantity: 1 });
    const single = { qr: purchase.tickets[0].qr as string, orderId: purchase.order.id as string };
    await issueTicketsInBulk(cloud.cloud, cloud.seeded, 199);
    const first = await enrolledChild(cloud);
    const totals = () => manifestTotals(cloud.cloud.database.db, cloud.seeded.eventId);
    const old = await totals();

    // The cloud's history is rebuilt (a new epoch, as after a restore) and it has sold many more tickets
    // and refunded the single one: the gate must install a 60,000-row snapshot. The link is cut meanwhile:
    // an online gate would otherwise pull the refund (or the first pages of the sale) as a delta before
    // the epoch changes — on a loaded machine it often did — and hold neither the old copy nor the new.
    cloud.link = 'down';
    const refund = await cloud.cloud.call('POST', `/api/v1/orders/${single.orderId}/refund`, {
      token: cloud.seeded.adminToken,
    });
    expect(refund.status).toBe(200);
    await issueTicketsInBulk(cloud.cloud, cloud.seeded, 60_000);
    // Meanwhile 3,000 entries at other doors (online validation): they travel in the snapshot's pages.
    const at = cloud.cloud.now();
    await appendAdmissions(cloud.cloud.database.db, {
      eventId: cloud.seeded.eventId,
      now: new Date(at),
      records: Array.from({ length: 3_000 }, (_, i) => ({
        serial: 1_000 + i,
        origin: null,
        originSeq: null,
        direction: 'in' as const,
        atMs: at + i,
        gateId: cloud.seeded.gateIds[1]!,
        gateName: 'VIP',
        unconfirmed: false,
        source: 'validate' as const,
        deviceId: null,
        deviceSeq: null,
      })),
    });
    await cloud.cloud.database.db.execute(
      sql`update events set epoch = gen_random_uuid() where id = ${cloud.seeded.eventId}`,
    );
    const fresh = await totals();
    cloud.link = 'up';
    const manifestHits = () => cloud.hits.get('/api/v1/sync/manifest') ?? 0;
    const pagesBefore = manifestHits();
    void post(`${first.url}/api/sync`);
    for (let i = 0; i < 1000 && manifestHits() < pagesBefore + 5; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await first.kill('SIGKILL');
    cloud.link = 'down';

    const inspect = () => {
      const store = openGateStore(join(dataDir, 'gate.sqlite'));
      try {
        const cursor = store.manifest.cursorOf(cloud.seeded.eventId)!;
        const rows = store.manifest.liveTickets(cloud.seeded.eventId);
        return {
          cursor,
          rows,
          staging: store.manifest.stagingOf(cloud.seeded.eventId),
          actual: { checksum: manifestChecksum(rows), rowCount: rows.length },
          admissionRecords: store.sqlite
            .prepare('SELECT count(*) AS n FROM admission_log WHERE event_id = ?')
            .pluck()
            .get(cloud.seeded.eventId) as number,
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
    const answer = await post(`${second.url}/api/scan`, { code: single.qr, direction: 'out' });
    // An exit of a ticket never admitted: NOT_INSIDE while the copy holds it valid, REVOKED once revoked.
    expect(answer?.reason).toBe(afterKill.actual.rowCount === old.rowCount ? 'NOT_INSIDE' : 'REVOKED');
    await second.kill('SIGTERM');

    // With the cloud back, the install resumes (from its last page) and completes.
    cloud.link = 'up';
    const third = await child(['--data-dir', dataDir, '--port', '0']);
    await syncedTo(third.url, await cloudHead(cloud));
    await third.kill('SIGTERM');
    const done = inspect();
    expect(done.actual).toEqual(fresh);
    const kept = await cloud.cloud.database.db.execute(
      sql`select admission_count, admission_xor from events where id = ${cloud.seeded.eventId}`,
    );
    const [eventRow] = (
      kept as unknown as { rows: Array<{ admission_count: string; admission_xor: string }> }
    ).rows;
    // The 3,000, and the gate's own exit scan once it was uploaded when the link came back.
    const cloudCount = Number(eventRow!.admission_count);
    expect(cloudCount).toBeGreaterThanOrEqual(3_000);
    expect({ count: done.cursor.admissionCount, checksum: done.cursor.admissionChecksum }).toEqual({
      count: cloudCount,
      checksum: checksumOfXor(eventRow!.admission_xor),
    });
    expect(done.admissionRecords).toBe(cloudCount);
    const epoch = await cloud.cloud.database.db.execute(
      sql`select epoch from events where id = ${cloud.seeded.eventId}`,
    );
    expect(done.cursor.epoch).toBe((epoch as unknown as { rows: Array<{ epoch: string }> }).rows[0]!.epoch);
    expect(done.staging).toBeNull();
    // A 60,000-row snapshot installed twice by child processes: well over a minute on a loaded machine.
  }, 240_000);
});
