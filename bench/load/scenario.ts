/** What every load scenario hands back: its request series and its own counters. */
import { Series } from './generator';

export interface ScenarioResult {
  name: string;
  series: Series[];
  /** Scenario-specific counts (decisions by reason, dropped arrivals, abandoned iterations). */
  counters: Record<string, number>;
  /** Wall time the scenario ran, seconds (set by the runner). */
  seconds: number;
}

/**
 * A new, empty result with one series per request kind, then one per `derived` measure (e.g. a whole
 * hold + purchase flow: reported beside the requests, not counted as a request).
 */
export function scenario(
  name: string,
  requests: readonly string[],
  derived: readonly string[] = [],
): ScenarioResult {
  return {
    name,
    series: [...requests.map((s) => new Series(s)), ...derived.map((s) => new Series(s, false))],
    counters: {},
    seconds: 0,
  };
}
