/**
 * The one way the scanner shows a time of day: 24-hour "HH:mm" (no AM/PM, whatever the browser's
 * locale), in the zone given — the venue's, from the agent's status (venue-time.ts) — or the device's
 * own while the venue's is unknown. Used by the verdict ("… at East Gate (18:42)") and the status bar
 * ("list from 18:02").
 */

export interface ClockOptions {
  /** IANA time zone; the device's own when omitted. */
  timeZone?: string;
}

/** "18:02" for unix ms `at`. */
export function clockTime(at: number, options: ClockOptions = {}): string {
  return new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    ...(options.timeZone ? { timeZone: options.timeZone } : {}),
  }).format(at);
}
