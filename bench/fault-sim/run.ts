/**
 * CLI of the venue fault simulation (SPEC section 10, issue 8):
 *
 *   npm run fault-sim -- --seed N --runs R [--gates G] [--scans S] [--duration-s D] [--keep] [--scenario NAME] [--single-door]
 *
 * Run r uses seed N + r, so `--seed <the failing run's seed> --runs 1` replays it. Needs PostgreSQL:
 * DATABASE_URL or TEST_DATABASE_URL (each run makes and drops its own database). Prints every fault
 * with its time, each violation with its seed, and `runs: R, violations: V`; exits 1 on any violation.
 */
import { parseArgs } from 'node:util';
import { benchDatabaseServer } from '../lib/cloud-process';
import { checkPlanOptions, type PlanOptions } from './plan';
import type { Scenario } from './scenario';
import { DEFAULT_SCENARIO, SCENARIOS, scenarioNamed } from './scenarios/index';
import { type RunResult, runSimulation } from './simulation';

const USAGE =
  'usage: npm run fault-sim -- --seed N --runs R [--gates 3] [--scans 600] [--duration-s 45] [--keep]\n' +
  '  short CI mode: --scans 200 --gates 2 --duration-s 20\n' +
  '  --single-door: a venue without zones (venue-faults has a Hall and a small VIP Lounge, gate 1 its door)\n' +
  `  --scenario NAME: ${SCENARIOS.map((s) => `${s.name}${s === DEFAULT_SCENARIO ? ' (default)' : ''}: ${s.summary}`).join('; ')}`;

interface CliOptions extends Omit<PlanOptions, 'seed'> {
  /** The first run's seed; run r uses seed + r. */
  seed: number;
  runs: number;
  keep: boolean;
  scenario: Scenario;
  /** `--single-door`: the venue without zones, whatever the scenario's default. */
  singleDoor: boolean;
}

function usageError(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function integer(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed))
    usageError(`--${name} must be a non-negative integer, got ${value}`);
  return parsed;
}

/** The command line's options, checked; exits 2 naming a bad one; undefined after printing `--help`. */
function parseCli(): CliOptions | undefined {
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
        'single-door': { type: 'boolean' },
        scenario: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    usageError((error as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    return undefined;
  }
  const options: CliOptions = {
    seed: integer('seed', values.seed as string | undefined, Date.now() % 1_000_000),
    runs: integer('runs', values.runs as string | undefined, 1),
    gates: integer('gates', values.gates as string | undefined, 3),
    scans: integer('scans', values.scans as string | undefined, 600),
    durationS: integer('duration-s', values['duration-s'] as string | undefined, 45),
    keep: Boolean(values.keep),
    singleDoor: Boolean(values['single-door']),
    scenario: DEFAULT_SCENARIO,
  };
  if (values.scenario !== undefined) {
    const scenario = scenarioNamed(values.scenario as string);
    if (!scenario) usageError(`--scenario: no scenario named ${values.scenario}`);
    options.scenario = scenario;
  }
  if (options.runs < 1 || options.runs > 1000) {
    console.error(`--runs must be 1..1000, got ${options.runs}`);
    process.exit(2);
  }
  try {
    checkPlanOptions({ ...options, seed: options.seed + options.runs - 1 });
  } catch (error) {
    usageError((error as Error).message);
  }
  return options;
}

/** The run's summary line and one line per violation. */
function printRun(runSeed: number, result: RunResult): void {
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
}

/** Runs seed `runSeed` under a watchdog; its number of violations (a run that cannot complete is one). */
async function runOne(options: CliOptions, databaseServer: string, runSeed: number, onTimeout: () => never) {
  // Every step is bounded; this is the last line of defence against a run that hangs anyway.
  const watchdog = setTimeout(onTimeout, options.durationS * 1000 + 6 * 60_000);
  watchdog.unref();
  try {
    const result = await runSimulation({
      seed: runSeed,
      gates: options.gates,
      scans: options.scans,
      durationS: options.durationS,
      databaseServer,
      scenario: options.scenario,
      keepData: options.keep,
      ...(options.singleDoor ? { zones: false } : {}),
      log: (line) => console.log(line),
    });
    printRun(runSeed, result);
    return result.violations.length;
  } catch (error) {
    // A run that could not complete proves nothing: count it as a violation so it is not missed.
    console.log(
      `VIOLATION seed ${runSeed} [run-failed]: ${error instanceof Error ? error.stack : String(error)}`,
    );
    return 1;
  } finally {
    clearTimeout(watchdog);
  }
}

/** The command that replays `seed` alone with the same options. */
function replayCommand(options: CliOptions, seed: number): string {
  const scenario = options.scenario === DEFAULT_SCENARIO ? '' : ` --scenario ${options.scenario.name}`;
  return `npm run fault-sim -- --seed ${seed} --runs 1 --gates ${options.gates} --scans ${options.scans} --duration-s ${options.durationS}${scenario}${options.singleDoor ? ' --single-door' : ''}`;
}

async function main(): Promise<void> {
  const options = parseCli();
  if (!options) return;
  const databaseServer = benchDatabaseServer();
  if (!databaseServer) {
    console.error('the fault simulation needs PostgreSQL: set DATABASE_URL or TEST_DATABASE_URL');
    process.exit(2);
  }
  const { runs } = options;
  let total = 0;
  const failed: number[] = [];
  for (let r = 0; r < runs; r++) {
    const runSeed = options.seed + r;
    console.log(`\n=== run ${r + 1}/${runs}, seed ${runSeed} ===`);
    const violations = await runOne(options, databaseServer, runSeed, () => {
      console.log(`VIOLATION seed ${runSeed} [run-failed]: the run did not finish in time`);
      console.log(`\nruns: ${r + 1}, violations: ${total + 1}`);
      process.exit(1);
    });
    total += violations;
    if (violations > 0) failed.push(runSeed);
  }
  console.log(`\nruns: ${runs}, violations: ${total}`);
  if (failed.length > 0) {
    console.log(`replay: ${failed.map((seed) => replayCommand(options, seed)).join('\n        ')}`);
    process.exit(1);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
