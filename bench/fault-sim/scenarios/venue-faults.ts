/**
 * The venue fault scenario (SPEC section 10, issue 8): a crowd of scans of every kind of code at random
 * gates and times, while the seeded plan kills gates, stops, backs up and restores the cloud, takes
 * the venue offline, breaks single links in every way, and refunds, transfers and sells tickets. Checks
 * the six invariants of invariants.ts.
 */
import { checkInvariants } from '../checker';
import { playCrowd } from '../crowd';
import { plannedFaultPlayer } from '../fault-actions';
import { playFaults } from '../fault-lanes';
import { VENUE_INVARIANTS } from '../invariants';
import { makeFaultPlan } from '../plan';
import type { Scenario } from '../scenario';

export const venueFaults: Scenario = {
  name: 'venue-faults',
  summary: 'a crowd of scans while gates are killed, the cloud restarts and is restored, and links fail',
  plan: makeFaultPlan,
  async play(stage, plan) {
    await Promise.all([
      playCrowd(stage, plan.crowd),
      playFaults(stage, plan.faults, plannedFaultPlayer(stage)),
    ]);
  },
  check: (state) => checkInvariants(state, VENUE_INVARIANTS),
};
