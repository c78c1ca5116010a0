/**
 * Which clock the scanner's times are shown on (issue 17): the venue's, from the agent's status
 * (`venueTimeZone`, the IANA zone of the venue in the manifest's event header), so every time at the door
 * reads like the operations page — venue-local, 24 h (clock-time.ts) — whatever zone the device is set
 * to. Until the agent knows the zone (no manifest pulled yet, or an older agent) the scanner shows the
 * device's own time and says so with an amber "device time" chip.
 */
import type { AgentStatus } from './agent-api';

/** True when this browser can show times in `zone` (an IANA name Intl knows). */
function knownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The venue's zone from a status, when it names one this browser knows; undefined otherwise. */
export function venueTimeZoneOf(status: Pick<AgentStatus, 'venueTimeZone'>): string | undefined {
  const zone = status.venueTimeZone;
  return typeof zone === 'string' && zone !== '' && knownZone(zone) ? zone : undefined;
}

/** The time chip: hidden (null) on venue time; amber "device time" when the venue's zone is unknown. */
export function describeTimeZone(
  zone: string | undefined,
): { text: string; tone: 'warn'; title: string } | null {
  if (zone !== undefined) return null;
  return {
    text: 'device time',
    tone: 'warn',
    title:
      'The venue’s time zone is not known yet (no ticket list pulled): times are shown on this device’s clock.',
  };
}
