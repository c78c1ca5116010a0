/**
 * The venue fault scenario (SPEC section 10, issue 8): a crowd of scans of every kind of code at random
 * gates and times, while the seeded plan kills gates, stops, backs up and restores the cloud, takes
 * the venue offline, breaks single links in every way, and refunds, transfers and sells tickets. Checks
 * the six invariants of invariants.ts, and (issue 18) the occupancy invariants of occupancy-checks.ts
 * once the venue has healed: counts within their bounds on every side, every gate's equal to the cloud's.
 * The venue has a Hall and a small VIP Lounge with gate 1 its door (world.ts seedZones; `--single-door`
 * plays the venue without zones).
 */
import { checkInvariants } from '../checker';
import { playCrowd } from '../crowd';
import { plannedFaultPlayer } from '../fault-actions';
import { playFaults } from '../fault-lanes';
import { VENUE_INVARIANTS } from '../invariants';
import {
  OCCUPANCY_INVARIANTS,
  occupancyOfRecords,
  readCloudOccupancy,
  readGateRecords,
  type WithOccupancy,
} from '../occupancy-checks';
import { type FaultPlan, makeFaultPlan } from '../plan';
import type { Scenario } from '../scenario';
import type { SimState } from '../sim-state';

export type VenueState = SimState & WithOccupancy;

export const venueFaults: Scenario<FaultPlan, VenueState> = {
  name: 'venue-faults',
  summary: 'a crowd of scans while gates are killed, the cloud restarts and is restored, and links fail',
  zones: true,
  plan: makeFaultPlan,
  async play(stage, plan) {
    await Promise.all([
      playCrowd(stage, plan.crowd),
      playFaults(stage, plan.faults, plannedFaultPlayer(stage)),
    ]);
  },
  async collect(stage, _plan, common) {
    const { world } = stage;
    const cloud = await readCloudOccupancy(stage.cloud, {
      tenantId: world.tenant,
      eventId: world.eventId,
      venueId: world.venueId,
    });
    // Tickets issued: every serial the run handed out, also sales a restore made the cloud forget.
    const handedOut = new Set(world.tickets.map((ticket) => ticket.serial)).size;
    const gates = stage.gates.map((gate) => ({
      gate: gate.index,
      records: readGateRecords(gate.storePath, world.eventId),
    }));
    const names = new Map([
      [world.zones?.hallId, 'Hall'],
      [world.zones?.loungeId, `Lounge (capacity ${world.zones?.loungeCapacity})`],
    ]);
    const counted = Object.entries(occupancyOfRecords(cloud.cloud, cloud.defaultZone)).map(
      ([zone, inside]) => `${names.get(zone) ?? zone} ${inside}`,
    );
    stage.log(
      `occupancy: the cloud's ${counted.join(', ') || 'nobody inside'} (${cloud.cloud.length} records)`,
    );
    return {
      ...common,
      occupancy: { ...cloud, ticketsIssued: Math.max(cloud.ticketsIssued, handedOut), gates },
    };
  },
  check: (state) => [
    ...checkInvariants(state, VENUE_INVARIANTS),
    ...OCCUPANCY_INVARIANTS.flatMap((check) => check(state)),
  ],
};
