/**
 * One simulated run of a venue: the real cloud (child process, own PostgreSQL database), several real
 * gate agents (child processes, own SQLite data directories) each behind its own faulty link, and a
 * scenario played on them — by default the venue fault scenario: a crowd of scans while the seeded
 * fault plan kills gates, stops, backs up and restores the cloud, and breaks links. Then everything
 * heals (links up, cloud up, bounded wait for sync), the gates stop, and the scenario's invariants are
 * checked over what is on disk and what the crowd was told.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectSimState } from './collect';
import type { Violation } from './invariants';
import type { FaultPlan, PlanOptions } from './plan';
import { revocationsKnown, watchRevocations } from './revocation-watch';
import { logRunReport } from './run-report';
import { newRunStats, type RunStats } from './run-stats';
import type { Scenario, Stage } from './scenario';
import { DEFAULT_SCENARIO } from './scenarios/index';
import { type SimCloud, startSimCloud } from './sim-cloud';
import type { SimGate } from './sim-gate';
import type { SimState } from './sim-state';
import { closeVenue, healVenue, openGates } from './venue';
import { type SimWorld, seedWorld } from './world';

export interface SimulationOptions extends PlanOptions {
  /** PostgreSQL server URL (the run creates and drops its own database on it). */
  databaseServer: string;
  /** What the run plays and checks (default: the venue fault scenario). */
  scenario?: Scenario;
  /** Receives the run's log lines (faults with their times, progress, summary). */
  log?: (line: string) => void;
  /** How long the healing phase may wait for every gate to settle (default 60 s). */
  healTimeoutMs?: number;
  /** Keep the gates' data directories (printed) instead of deleting them. */
  keepData?: boolean;
  /** Called after the check and before teardown, with everything still in place (tests plant faults here). */
  afterCheck?: (run: FinishedRun) => Promise<void>;
  /**
   * Issue 18: the venue gets a Hall and a VIP Lounge with a small capacity, and gate 1 becomes the Lounge
   * door (world.ts seedZones), so holders move between zones and ZONE_FULL is decided offline. Default:
   * the scenario's `zones`; false = the single-door venue.
   */
  zones?: boolean;
}

export interface FinishedRun {
  plan: FaultPlan;
  world: SimWorld;
  cloud: SimCloud;
  /** Each gate's SQLite file. */
  storePaths: string[];
  state: SimState;
  violations: Violation[];
  /** Collects the state again and checks it (after planting something). */
  recheck(): Promise<{ state: SimState; violations: Violation[] }>;
}

export interface RunResult {
  seed: number;
  violations: Violation[];
  stats: RunStats;
  durationMs: number;
}

/** The run's first log line: its size and the gate whose clock is off. */
function headline(plan: FaultPlan): string {
  const { clockSkew } = plan;
  return (
    `seed ${plan.seed}: ${plan.gates} gates, ${plan.crowd.length} scans over ${plan.durationMs / 1000} s, ` +
    `${plan.faults.length} faults; gate ${clockSkew.gate}'s clock ${clockSkew.offsetMs > 0 ? '+' : ''}${clockSkew.offsetMs / 60_000} min`
  );
}

/** Plays the scenario on the open venue, heals it, stops the gates; then collects and checks. */
async function playAndJudge(
  scenario: Scenario,
  plan: FaultPlan,
  stage: Stage,
  options: SimulationOptions,
  log: (line: string) => void,
): Promise<FinishedRun> {
  const { cloud, world, gates, stats } = stage;
  const stopWatching = watchRevocations(gates, world);
  try {
    await scenario.play(stage, plan);
    stage.log(
      `crowd done: ${stats.scansAnswered} answered (${stats.accepted} accepted), ` +
        `${stats.scansUnanswered} unanswered (gate down or killed)`,
    );
    const healStarted = Date.now();
    stats.settled = await healVenue(cloud, world, gates, options.healTimeoutMs ?? 60_000, log);
    stats.settleMs = Date.now() - healStarted;
    stage.log(`${stats.settled ? 'settled' : 'did NOT settle'} after ${stats.settleMs} ms of healing`);
  } finally {
    stopWatching();
  }
  stats.revocationsKnown = revocationsKnown(world);
  for (const gate of gates) await gate.stop('SIGTERM');

  const judge = async () => {
    const common = await collectSimState(stage);
    const state = scenario.collect ? await scenario.collect(stage, plan, common) : common;
    return { state, violations: scenario.check(state) };
  };
  const { state, violations } = await judge();
  logRunReport(stage, state, violations, log);
  return { plan, world, cloud, storePaths: gates.map((g) => g.storePath), state, violations, recheck: judge };
}

/** Runs one seeded simulation and returns its violations and statistics. */
export async function runSimulation(options: SimulationOptions): Promise<RunResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const scenario = options.scenario ?? DEFAULT_SCENARIO;
  const plan = scenario.plan(options);
  const stats = newRunStats(plan.crowd.length);
  log(headline(plan));

  const workDir = mkdtempSync(join(tmpdir(), `fault-sim-${plan.seed}-`));
  const cloud = await startSimCloud(options.databaseServer, 'faultsim');
  const gates: SimGate[] = [];
  let closeExtras: (() => Promise<void>) | undefined;
  try {
    const world = await seedWorld(cloud, {
      gates: plan.gates,
      ticketCount: plan.tickets,
      zones: options.zones ?? scenario.zones === true,
    });
    log(`seeded: ${world.tickets.length} tickets in ${world.orders.length} orders, event ${world.eventId}`);
    const prepare = scenario.prepareGates?.bind(scenario);
    await openGates(cloud, world, plan, workDir, gates, log, async (opened) => {
      if (prepare) closeExtras = await prepare(opened, plan);
    });
    const t0 = Date.now();
    const at = () => `+${((Date.now() - t0) / 1000).toFixed(1)}s`;
    const stage: Stage = {
      cloud,
      world,
      gates,
      t0,
      stats,
      answers: [],
      log: (line) => log(`[${at()}] ${line}`),
    };
    const run = await playAndJudge(scenario, plan, stage, options, log);
    await options.afterCheck?.(run);
    return { seed: plan.seed, violations: run.violations, stats, durationMs: Date.now() - started };
  } finally {
    await closeVenue(cloud, gates, workDir, options.keepData, log);
    await closeExtras?.().catch(() => undefined);
  }
}
