/**
 * The scenarios `npm run fault-sim -- --scenario NAME` can run; the first is the default. A new scenario
 * is one module beside this one, exporting a `Scenario` (scenario.ts), and one line here.
 */
import type { Scenario } from '../scenario';
import { sameTicket } from './same-ticket';
import { venueFaults } from './venue-faults';

export const SCENARIOS: readonly Scenario[] = [venueFaults, sameTicket];

export const DEFAULT_SCENARIO: Scenario = venueFaults;

/** The scenario registered as `name`, or undefined. */
export function scenarioNamed(name: string): Scenario | undefined {
  return SCENARIOS.find((scenario) => scenario.name === name);
}
