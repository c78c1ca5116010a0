/**
 * The venue fault simulation in CI (issue 8): the fault plan is a pure function of its seed; one short
 * seeded run against the real cloud (child process, PostgreSQL) and real gate agents (child processes,
 * SQLite) ends with zero violations; and the checker is shown able to fail — violations planted in that
 * run's real state (a scan deleted from the cloud, a verdict flipped in a gate's log, a manifest row
 * changed on a gate, a forged code answered accept) are each reported, and nothing else is.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { checkInvariants, type SimState, type Violation } from './checker';
import { describeFault, makeFaultPlan } from './plan';
import { type FinishedRun, type RunResult, runSimulation } from './simulation';

const databaseServer = process.env.TEST_DATABASE_URL;
if (!databaseServer && process.env.CI === 'true')
  throw new Error('CI=true but TEST_DATABASE_URL is not set: the fault simulation must not be skipped');

describe('fault plan', () => {
  it('is the same for the same seed and different for another', () => {
    const options = { seed: 42, gates: 3, scans: 300, durationS: 30 };
    const plan = makeFaultPlan(options);
    expect(makeFaultPlan({ ...options })).toEqual(plan);
    expect(makeFaultPlan({ ...options, seed: 43 })).not.toEqual(plan);
    expect(plan.crowd).toHaveLength(300);
    // Every kind of fault the issue names is in every plan.
    const kinds = new Set(plan.faults.map((f) => (f.kind === 'link' ? `link:${f.mode}` : f.kind)));
    for (const kind of [
      'kill-gate',
      'cloud-restart',
      'cloud-backup',
      'cloud-restore',
      'venue-offline',
      'revoke',
      'sell',
      'link:down',
      'link:lose-upload-answers',
      'link:replay-uploads',
      'link:cut-responses',
      'link:cut-requests',
      'link:fail-manifest',
    ])
      expect(kinds).toContain(kind);
    expect(Math.abs(plan.clockSkew.offsetMs)).toBe(3_600_000);
    const backup = plan.faults.find((f) => f.kind === 'cloud-backup')!;
    const restore = plan.faults.find((f) => f.kind === 'cloud-restore')!;
    expect(backup.at).toBeLessThan(restore.at);
    expect(plan.faults.every((f) => f.at >= 0 && f.at <= plan.durationMs)).toBe(true);
    expect(plan.faults.map(describeFault).every((line) => line.length > 0)).toBe(true);
  });

  it('refuses bad options, naming them', () => {
    expect(() => makeFaultPlan({ seed: -1, gates: 2, scans: 100, durationS: 20 })).toThrow(/seed/);
    expect(() => makeFaultPlan({ seed: 1, gates: 1, scans: 100, durationS: 20 })).toThrow(/gates/);
    expect(() => makeFaultPlan({ seed: 1, gates: 2, scans: 1.5, durationS: 20 })).toThrow(/scans/);
    expect(() => makeFaultPlan({ seed: 1, gates: 2, scans: 100, durationS: 0 })).toThrow(/durationS/);
  });
});

/** Rows of the gate's SQLite, written directly (the agent is stopped by then). */
function withGateStore<T>(path: string, fn: (db: Database.Database) => T): T {
  const db = new Database(path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

const summary = (violations: Violation[]) =>
  violations.map((v) => ({ invariant: v.invariant, gate: v.gate }));

describe.skipIf(!databaseServer)('a short seeded venue simulation (real cloud, real gates)', () => {
  it('ends with zero violations, and the checker reports each planted violation exactly', async () => {
    const log: string[] = [];
    const checks = async (run: FinishedRun) => {
      const { state, cloud, storePaths } = run;
      const accept = state.answers.find((a) => a.decision === 'accept' && a.seq !== undefined)!;
      expect(accept).toBeDefined();
      const gate = state.gates[accept.gate]!;
      const seq = accept.seq!;

      // 1. One accepted scan deleted from the cloud's database.
      const [row] = await cloud.query<{ row: unknown }>(
        'delete from device_scans where device_id = $1 and seq = $2 returning row_to_json(device_scans.*) as row',
        [gate.deviceId, seq],
      );
      expect(row).toBeDefined();
      let found = (await run.recheck()).violations;
      expect(summary(found)).toEqual([{ invariant: 'cloud-exactly-once', gate: accept.gate }]);
      expect(found[0]!.message).toContain(`seq ${seq} (accept`);
      await cloud.query(
        'insert into device_scans select * from json_populate_record(null::device_scans, $1::json)',
        [JSON.stringify(row!.row)],
      );
      expect((await run.recheck()).violations).toEqual([]);

      // 2. The verdict of that scan flipped in the gate's durable log.
      const path = storePaths[accept.gate]!;
      withGateStore(path, (db) => db.prepare("UPDATE scans SET decision = 'reject' WHERE seq = ?").run(seq));
      found = (await run.recheck()).violations;
      expect(summary(found).sort((a, b) => a.invariant.localeCompare(b.invariant))).toEqual([
        { invariant: 'accepted-scan-kept', gate: accept.gate },
        { invariant: 'cloud-exactly-once', gate: accept.gate },
      ]);
      expect(found.every((v) => v.message.includes(`seq ${seq}`))).toBe(true);
      withGateStore(path, (db) => db.prepare("UPDATE scans SET decision = 'accept' WHERE seq = ?").run(seq));

      // 3. One ticket row of a gate's live manifest changed behind its checksum.
      const changed = withGateStore(path, (db) =>
        db
          .prepare(
            `UPDATE tickets SET generation = generation + 7 WHERE rowid = (SELECT t.rowid FROM tickets t
               JOIN sync_cursors c ON c.event_id = t.event_id AND c.live_copy = t.copy LIMIT 1)`,
          )
          .run(),
      );
      expect(changed.changes).toBe(1);
      found = (await run.recheck()).violations;
      expect(summary(found)).toEqual([{ invariant: 'manifest-identical', gate: accept.gate }]);
      withGateStore(path, (db) =>
        db
          .prepare(
            `UPDATE tickets SET generation = generation - 7 WHERE rowid = (SELECT t.rowid FROM tickets t
               JOIN sync_cursors c ON c.event_id = t.event_id AND c.live_copy = t.copy LIMIT 1)`,
          )
          .run(),
      );

      // 4. A forged code answered accept, and a revoked QR accepted after the gate's manifest showed it.
      const forged: SimState = {
        ...state,
        answers: [...state.answers, { ...accept, kind: 'forged', qr: null, seq: 99_999 }],
      };
      const falseAccepts = checkInvariants(forged).filter((v) => v.invariant === 'no-false-accept');
      expect(falseAccepts).toHaveLength(1);
      expect(falseAccepts[0]!.message).toMatch(/forged code was accepted/);
      const known = state.revocations.find(
        (r) => r.lostAt === undefined && r.knownAt.some((t) => t !== undefined),
      );
      expect(known, 'some revocation reached a gate during the run').toBeDefined();
      const knownGate = known!.knownAt.findIndex((t) => t !== undefined);
      const revokedAccept: SimState = {
        ...state,
        answers: [
          ...state.answers,
          {
            ...accept,
            gate: knownGate,
            kind: 'revoked',
            qr: { serial: known!.serial, generation: known!.generation },
            sentAt: known!.knownAt[knownGate]! + 1,
          },
        ],
      };
      const revokedViolations = checkInvariants(revokedAccept).filter(
        (v) => v.invariant === 'no-false-accept',
      );
      expect(revokedViolations).toHaveLength(1);
      expect(revokedViolations[0]!.message).toContain(`serial ${known!.serial}`);

      expect((await run.recheck()).violations).toEqual([]);
    };

    const result: RunResult = await runSimulation({
      seed: 20_261_122,
      gates: 2,
      scans: 200,
      durationS: 20,
      databaseServer: databaseServer!,
      healTimeoutMs: 40_000,
      log: (line) => log.push(line),
      afterCheck: checks,
    });
    if (result.violations.length > 0) console.error(log.join('\n'));
    expect(result.violations).toEqual([]);
    expect(result.stats.settled).toBe(true);
    expect(result.stats.faultErrors).toBe(0);
    expect(result.stats.scansAnswered).toBeGreaterThan(100);
    expect(result.stats.accepted).toBeGreaterThan(10);
    expect(result.stats.byReason.REVOKED ?? 0).toBeGreaterThan(0);
    // Faults were logged with their times.
    expect(log.some((line) => /^\[\+\d+\.\ds\] kill -9 gate/.test(line))).toBe(true);
    expect(log.some((line) => /cloud restored from the backup/.test(line))).toBe(true);
  }, 150_000);
});
