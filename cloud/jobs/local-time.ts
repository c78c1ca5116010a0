/**
 * Venue-local wall-clock arithmetic for the nightly reconciliation, with Intl only (no date library):
 * the next instant a venue's clock shows HH:MM, and the cron pattern BullMQ's scheduler uses for it.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

/** The wall-clock fields a time zone shows at an instant. */
function wallClock(instant: number, timeZone: string) {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts['year']!,
    month: parts['month']!,
    day: parts['day']!,
    hour: parts['hour']!,
    minute: parts['minute']!,
    second: parts['second']!,
  };
}

/** Milliseconds the zone's wall clock is ahead of UTC at `instant`. */
function offsetAt(instant: number, timeZone: string): number {
  const w = wallClock(instant, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(instant / 1000) * 1000;
}

/** The instant the zone's clock shows the given wall time (the later one when DST makes it ambiguous). */
function instantOf(
  wall: { year: number; month: number; day: number; hour: number; minute: number },
  timeZone: string,
): number {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
  // Two rounds settle the offset on both sides of a DST change.
  let instant = asUtc - offsetAt(asUtc, timeZone);
  instant = asUtc - offsetAt(instant, timeZone);
  return instant;
}

/** Parses "HH:MM" (validated by config). */
export function parseLocalTime(text: string): { hour: number; minute: number } {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!match) throw new Error(`not a HH:MM time: ${text}`);
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

/** The venue-local calendar date (YYYY-MM-DD) at an instant. */
export function localDate(instant: number, timeZone: string): string {
  const w = wallClock(instant, timeZone);
  return `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}

/** The first instant strictly after `now` at which the zone's clock shows `localTime` (HH:MM). */
export function nextLocalTime(now: number, localTime: string, timeZone: string): number {
  const { hour, minute } = parseLocalTime(localTime);
  const today = wallClock(now, timeZone);
  for (let days = 0; days < 3; days++) {
    // Date.UTC normalises day overflow (31 + 1 → the 1st of the next month).
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + days));
    const candidate = instantOf(
      { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), hour, minute },
      timeZone,
    );
    if (candidate > now) return candidate;
  }
  throw new Error(`no next ${localTime} in ${timeZone}`);
}

/** The BullMQ cron pattern (minute hour, every day) for a local time; the zone goes in `tz`. */
export function dailyCronPattern(localTime: string): string {
  const { hour, minute } = parseLocalTime(localTime);
  return `${minute} ${hour} * * *`;
}
