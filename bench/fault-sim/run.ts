/**
 * CLI of the venue fault simulation (SPEC section 10, issue 8):
 *
 *   npm run fault-sim -- --seed N --runs R [--gates G] [--scans S] [--duration-s D] [--keep]
 *
 * Run r uses seed N + r, so `--seed <the failing run's seed> --runs 1` replays it. Needs PostgreSQL:
 * DATABASE_URL or TEST_DATABASE_URL (each run makes and drops its own database). Prints every fault
 * with its time, each violation with its seed, and `runs: R, violations: V`; exits 1 on any violation.
 */
import { parseArgs } from 'node:util';
import { benchDatabaseServer } from '../lib/cloud-process';
import { checkPlanOptions } from './plan';
import { runSimulation } from './simulation';

const USAGE =
  'usage: npm run fault-sim -- --seed N --runs R [--gates 3] [--scans 600] [--duration-s 45] [--keep]\n' +
  '  short CI mode: --scans 200 --gates 2 --duration-s 20';

function integer(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed)) {
    console.error(`--${name} must be a non-negative integer, got ${value}\n${USAGE}`);
    process.exit(2);
  }
  return parsed;
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        seed: { type: 'string' },
        runs: { type: 'string' },
        gates: { type: 'string' },
        scans: { type: 'string' },
        'duration-s': { type: 'string' },
        keep: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const seed = integer('seed', values.seed as string | undefined, Date.now() % 1_000_000);
  const runs = integer('runs', values.runs as string | undefined, 1);
  const gates = integer('gates', values.gates as string | undefined, 3);
  const scans = integer('scans', values.scans as string | undefined, 600);
  const durationS = integer('duration-s', values['duration-s'] as string | undefined, 45);
  if (runs < 1 || runs > 1000) {
    console.error(`--runs must be 1..1000, got ${runs}`);
    process.exit(2);
  }
  try {
    checkPlanOptions({ seed: seed + runs - 1, gates, scans, durationS });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const databaseServer = benchDatabaseServer();
  if (!databaseServer) {
    console.error('the fault simulation needs PostgreSQL: set DATABASE_URL or TEST_DATABASE_URL');
    process.exit(2);
  }

  let total = 0;
  const failed: number[] = [];
  for (let r = 0; r < runs; r++) {
    const runSeed = seed + r;
    console.log(`\n=== run ${r + 1}/${runs}, seed ${runSeed} ===`);
    // Every step is bounded; this is the last line of defence against a run that hangs anyway.
    const watchdog = setTimeout(
      () => {
        console.log(`VIOLATION seed ${runSeed} [run-failed]: the run did not finish in time`);
        console.log(`\nruns: ${r + 1}, violations: ${total + 1}`);
        process.exit(1);
      },
      durationS * 1000 + 6 * 60_000,
    );
    watchdog.unref();
    try {
      const result = await runSimulation({
        seed: runSeed,
        gates,
        scans,
        durationS,
        databaseServer,
        keepData: Boolean(values.keep),
        log: (line) => console.log(line),
      });
      const { stats } = result;
      console.log(
        `run seed ${runSeed}: ${(result.durationMs / 1000).toFixed(1)} s, ${stats.scansAnswered} scans answered ` +
          `(${stats.accepted} accepted), ${stats.faultsApplied} faults applied (${stats.faultErrors} failed), ` +
          `${stats.revocations} revocations (${stats.revocationsLost} lost in the restore, ` +
          `${stats.revocationsKnown} revocation×gate seen in a gate's manifest), ` +
          `${stats.ticketsSold} tickets sold during the run (${stats.salesLost} lost in the restore; ` +
          `${stats.lostSaleAccepts} of those QRs accepted after it), ` +
          `answers by kind of code and reason ${JSON.stringify(stats.byKind)}`,
      );
      for (const v of result.violations)
        console.log(
          `VIOLATION seed ${runSeed} [${v.invariant}]${v.gate === undefined ? '' : ` gate ${v.gate}`}: ${v.message}`,
        );
      total += result.violations.length;
      if (result.violations.length > 0) failed.push(runSeed);
    } catch (error) {
      // A run that could not complete proves nothing: count it as a violation so it is not missed.
      console.log(
        `VIOLATION seed ${runSeed} [run-failed]: ${error instanceof Error ? error.stack : String(error)}`,
      );
      total++;
      failed.push(runSeed);
    } finally {
      clearTimeout(watchdog);
    }
  }
  console.log(`\nruns: ${runs}, violations: ${total}`);
  if (failed.length > 0) {
    console.log(
      `replay: ${failed.map((s) => `npm run fault-sim -- --seed ${s} --runs 1 --gates ${gates} --scans ${scans} --duration-s ${durationS}`).join('\n        ')}`,
    );
    process.exit(1);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
