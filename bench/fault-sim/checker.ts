/**
 * Judges a finished simulated run: runs a scenario's invariant checks (invariants.ts for the venue
 * fault scenario) over a plain snapshot of its state (collect.ts) and lists every violation, grouped by
 * invariant in the scenario's order. Collecting and judging are separate so a test can plant a violation
 * in a real state and see the checker name exactly that one.
 */
import { type InvariantCheck, VENUE_INVARIANTS, type Violation } from './invariants';
import type { SimState } from './sim-state';

/** Checks every invariant; returns the violations found (empty when the run was clean). */
export function checkInvariants(
  state: SimState,
  invariants: readonly InvariantCheck[] = VENUE_INVARIANTS,
): Violation[] {
  return invariants.flatMap((check) => check(state));
}
