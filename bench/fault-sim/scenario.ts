/**
 * What a scenario of the fault simulation is: a seeded plan (its presentations and its faults), how the
 * plan is played on a running venue, and the invariants checked once the venue has healed. The harness
 * (simulation.ts) does the rest the same for every scenario: the cloud, the world, the gates and their
 * links, healing, collecting the state and reporting. Scenarios are registered in scenarios/index.ts.
 */
import type { Violation } from './invariants';
import type { FaultPlan, PlanOptions } from './plan';
import type { RunStats } from './run-stats';
import type { SimCloud } from './sim-cloud';
import type { SimGate } from './sim-gate';
import type { CrowdAnswer, SimState } from './sim-state';
import type { SimWorld } from './world';

/** The running venue a scenario plays on, the run's clock, and the records the play fills. */
export interface Stage {
  readonly cloud: SimCloud;
  readonly world: SimWorld;
  readonly gates: readonly SimGate[];
  /** Driver clock (ms) when the play started: the plan's times are offsets from it. */
  readonly t0: number;
  readonly stats: RunStats;
  /** What the crowd was told, in the order the answers arrived (the invariants judge them). */
  readonly answers: CrowdAnswer[];
  /** Logs a line, prefixed with the time since t0. */
  log(line: string): void;
}

/**
 * A scenario. Members are methods so a scenario with a richer plan (`P`) or state (`S`) still fits the
 * registry's `Scenario`.
 */
export interface Scenario<P extends FaultPlan = FaultPlan, S extends SimState = SimState> {
  /** The name `--scenario` takes. */
  readonly name: string;
  /** One line for `--help`. */
  readonly summary: string;
  /** The venue has zones (issue 18, world.ts seedZones) unless the run says `--single-door`. */
  readonly zones?: boolean;
  /** The plan of one run: a pure function of the options (the same seed gives the same plan). */
  plan(options: PlanOptions): P;
  /**
   * Called once the gates exist and before they start (and enroll): what they need beyond their cloud
   * link, e.g. peer links (`SimGate.extraArgs`). Returns what closes it; the harness calls that at teardown.
   */
  prepareGates?(gates: readonly SimGate[], plan: P): Promise<() => Promise<void>>;
  /** Plays the plan from `stage.t0` on: presentations and faults; resolves when both are done. */
  play(stage: Stage, plan: P): Promise<void>;
  /**
   * Adds what this scenario's invariants need beyond the common snapshot (read after healing, the
   * gates stopped). Without it the common snapshot is checked.
   */
  collect?(stage: Stage, plan: P, common: SimState): Promise<S>;
  /** Every violation of this scenario's invariants in `state`, grouped by invariant. */
  check(state: S): Violation[];
}
