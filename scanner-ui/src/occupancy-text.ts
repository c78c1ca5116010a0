/**
 * Words for the zone strip under the status chips (issue 18): the passage this door guards ("Hall → VIP
 * Lounge"), how full the zone it leads into is ("VIP Lounge 38 / 40", "Nearly full" from 90 %, "Full"
 * from 100 %), the venue's other zones small, and how old the count is ("count as of 3 min ago" — amber
 * once it is as old as a stale ticket list, since moves made at other doors since then are missing).
 * Pure: the clock is a parameter. An agent that sends none of these fields gets no strip at all.
 */
import { OCCUPANCY_WARNING_RATIO } from '../../shared/admission/zones';
import type { AgentStatus, EventStatus, ManifestThresholds, ZoneStatus } from './agent-api';
import type { Tone } from './status-text';
import { agoText } from './verdict';

/** The implicit zone of a venue without zones, and the implicit outside (shared/admission/zones.ts). */
const VENUE_ZONE = 'venue';
const OUTSIDE = 'outside';

/** How full a zone is: `ok` below the warning ratio (or no limit), `warn` from it, `full` at capacity. */
export type ZoneLevel = 'ok' | 'warn' | 'full';

export interface ZoneLine {
  id: string;
  name: string;
  /** "38 / 40", or "312" for a zone without a limit. */
  count: string;
  level: ZoneLevel;
  /** "Full", "Nearly full", or '' — the level in words, not colour alone. */
  state: string;
}

export interface OccupancyText {
  /** "Hall → VIP Lounge"; null for a single-door venue (outside → its one implicit zone). */
  passage: string | null;
  /** The zone this door leads into; null when the agent does not count it. */
  target: ZoneLine | null;
  /** The venue's other zones, small. */
  others: ZoneLine[];
  /** "count as of 3 min ago"; amber from the stale threshold, red from the very-stale one. */
  age: { text: string; tone: Tone };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function zoneName(zone: { id: string; name?: unknown }): string {
  // The one implicit zone of a venue without zones is the venue itself (the agent names it after the
  // event): "Inside 312" says what the count is.
  if (zone.id === VENUE_ZONE) return 'Inside';
  const name = typeof zone.name === 'string' ? zone.name.trim() : '';
  if (name) return name;
  return zone.id === OUTSIDE ? 'Outside' : 'Zone';
}

/** One zone's line: its count against its limit and the level it is at. */
export function describeZone(zone: ZoneStatus): ZoneLine {
  const name = zoneName(zone);
  const inside = zone.inside;
  if (!isCount(zone.capacity)) return { id: zone.id, name, count: String(inside), level: 'ok', state: '' };
  const count = `${inside} / ${zone.capacity}`;
  if (inside >= zone.capacity) return { id: zone.id, name, count, level: 'full', state: 'Full' };
  if (inside >= zone.capacity * OCCUPANCY_WARNING_RATIO)
    return { id: zone.id, name, count, level: 'warn', state: 'Nearly full' };
  return { id: zone.id, name, count, level: 'ok', state: '' };
}

/** How old the count is, in words, against the ticket list's thresholds (minutes). */
export function describeOccupancyAge(
  asOf: number | null | undefined,
  now: number,
  thresholds: ManifestThresholds,
): OccupancyText['age'] {
  if (typeof asOf !== 'number' || !Number.isFinite(asOf))
    return { text: 'count not synced yet — other doors not heard', tone: 'warn' };
  const age = Math.max(0, now - asOf);
  const text = `count as of ${agoText(age)}`;
  if (age >= thresholds.veryStaleAfterMinutes * 60_000)
    return { text: `${text} — other doors not heard`, tone: 'bad' };
  if (age >= thresholds.staleAfterMinutes * 60_000) return { text: `${text} — may be behind`, tone: 'warn' };
  return { text, tone: 'ok' };
}

/** The event whose zones the strip shows: the first that has any zone field. */
function zonedEvent(status: AgentStatus): EventStatus | undefined {
  return status.events.find((event) => event.passage !== undefined || Array.isArray(event.zones));
}

function validZones(zones: unknown): ZoneStatus[] {
  if (!Array.isArray(zones)) return [];
  return zones.filter(
    (zone): zone is ZoneStatus =>
      typeof zone === 'object' && zone !== null && typeof zone.id === 'string' && isCount(zone.inside),
  );
}

/**
 * The strip's words, or null (no strip) when the agent sends neither a passage nor zones. The count and
 * its age are on the agent's clock; `now` is the page's, which on a station is the same machine's.
 */
export function describeOccupancy(
  status: AgentStatus,
  now: number,
  thresholds: ManifestThresholds,
): OccupancyText | null {
  const event = zonedEvent(status);
  if (!event) return null;
  const zones = validZones(event.zones);
  const passage = event.passage;
  const toId = passage?.to?.id ?? zones[0]?.id;
  const target = zones.find((zone) => zone.id === toId);
  // A single-door venue's passage (outside → its one implicit zone) says nothing a steward needs.
  const passageText =
    passage?.from && passage.to && !(passage.from.id === OUTSIDE && passage.to.id === VENUE_ZONE)
      ? `${zoneName(passage.from)} → ${zoneName(passage.to)}`
      : null;
  if (!passageText && !target) return null;
  return {
    passage: passageText,
    target: target ? describeZone(target) : null,
    others: zones.filter((zone) => zone !== target).map(describeZone),
    age: describeOccupancyAge(event.occupancyAsOf, now, thresholds),
  };
}
