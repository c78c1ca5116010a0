/**
 * Whether the gate trusts its clock for the wallet's rotating codes (issue 20): the agent's status says
 * `clock.state`; while it is not `ok` (the offset to the cloud was never measured, or is 30 s or more) the
 * agent accepts codes from a wider window, and the steward sees an amber chip saying so — a screenshot
 * can pass for that long, and a sync (or the cloud being reachable) sets it right.
 */
import type { ClockStatus } from './agent-api';

/** "±2 min" / "±90 s": the window either side, as a steward reads it. */
export function windowText(seconds: number): string {
  return seconds >= 60 && seconds % 60 === 0 ? `±${seconds / 60} min` : `±${seconds} s`;
}

/** The clock chip: hidden (null) when the clock is trusted or the agent does not say (an older agent). */
export function describeClockTrust(
  clock: ClockStatus | undefined,
): { text: string; tone: 'warn'; title: string } | null {
  if (!clock || clock.state === 'ok') return null;
  const why =
    clock.state === 'unknown'
      ? 'This gate has not yet compared its clock with the cloud’s'
      : `This gate’s clock is ${Math.round(Math.abs(clock.offsetMs ?? 0) / 1000)} s off the cloud’s`;
  return {
    text: `Clock unsure — rotating codes ${windowText(clock.holderCodeWindowSeconds)}`,
    tone: 'warn',
    title: `${why}: wallet codes are accepted from a wider time window (${windowText(clock.holderCodeWindowSeconds)}), so an old screenshot may pass. Sync the gate to set it right.`,
  };
}
