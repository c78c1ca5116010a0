// @ts-check
/**
 * The "Occupancy" panel of the operations page (issue 18): how many people are in each zone of the venue
 * right now, from the operations JSON's `occupancy` (the cloud's count over every admission it holds).
 * A zone with a capacity shows "inside / capacity" and a bar: amber "Nearly full" from
 * OCCUPANCY_WARNING_RATIO of it (served beside this file from its one source, shared/admission/zones.ts),
 * red "Full — stop entry" at the capacity and over it; a zone without one shows its count only. Times are
 * the venue's (./venue-time.js). Values reach the page through textContent; bar widths through the CSSOM.
 */
import { OCCUPANCY_WARNING_RATIO } from './occupancy-rules.js';
import { venueTimeFormat } from './venue-time.js';

/**
 * @typedef {{ id: string, name: string, inside: number, capacity: number | null, restricted: boolean,
 *   updatedAt: string | null }} ZoneOccupancy
 * @typedef {{ insideVenue: number, zones: ZoneOccupancy[] }} Occupancy
 * @typedef {'open' | 'warning' | 'full' | 'uncapped'} ZoneState
 */

const number = new Intl.NumberFormat('en-GB');
const percent = new Intl.NumberFormat('en-GB', { style: 'percent', maximumFractionDigits: 0 });

const STATE_WORDS = { open: '', warning: 'Nearly full', full: 'Full — stop entry', uncapped: '' };

/** @param {ZoneOccupancy} zone @returns {ZoneState} */
export function zoneState(zone) {
  if (zone.capacity === null) return 'uncapped';
  // A zone of capacity 0 is full from the start.
  if (zone.inside >= zone.capacity) return 'full';
  return zone.inside >= zone.capacity * OCCUPANCY_WARNING_RATIO ? 'warning' : 'open';
}

/**
 * @param {string} tag
 * @param {string} className
 * @param {string} [text]
 */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** @param {ZoneOccupancy} zone */
function bar(zone) {
  const track = el('div', 'zone-track');
  const fill = el('div', 'zone-fill');
  const capacity = zone.capacity ?? 0;
  fill.style.width = `${capacity === 0 ? 100 : Math.min(100, (zone.inside / capacity) * 100)}%`;
  track.append(fill);
  track.setAttribute('role', 'meter');
  track.setAttribute('aria-valuemin', '0');
  track.setAttribute('aria-valuemax', String(capacity));
  track.setAttribute('aria-valuenow', String(Math.min(zone.inside, capacity)));
  track.setAttribute('aria-label', `${zone.name}: inside of capacity`);
  return track;
}

/**
 * Draws the panel into `root` (the section #occupancy); returns the zones that are full, for the page's
 * announcement.
 * @param {HTMLElement} root
 * @param {Occupancy} occupancy
 * @param {string} timeZone the venue's
 * @returns {string[]}
 */
export function renderOccupancy(root, occupancy, timeZone) {
  const clock = venueTimeFormat(timeZone);
  const title = el('h2', '', 'Occupancy');
  title.id = 'occupancy-title';
  const total = el('p', 'occupancy-total', `${number.format(occupancy.insideVenue)} inside the venue`);
  const full = [];
  const rows = occupancy.zones.map((zone) => {
    const state = zoneState(zone);
    if (state === 'full') full.push(zone.name);
    const row = el('li', 'zone');
    row.dataset['zoneId'] = zone.id;
    row.dataset['state'] = state;
    const count =
      zone.capacity === null
        ? `${number.format(zone.inside)} inside`
        : `${number.format(zone.inside)} / ${number.format(zone.capacity)}`;
    const head = el('div', 'zone-head');
    head.append(el('span', 'zone-name', zone.restricted ? `${zone.name} (restricted)` : zone.name));
    head.append(el('span', 'zone-count', count));
    row.append(head);
    if (STATE_WORDS[state]) row.append(el('p', 'zone-badge', STATE_WORDS[state]));
    if (zone.capacity !== null) row.append(bar(zone));
    const share =
      zone.capacity !== null && zone.capacity > 0
        ? `${percent.format(zone.inside / zone.capacity).replace('%', ' %')} · `
        : '';
    const moved = zone.updatedAt ? `last move ${clock.format(new Date(zone.updatedAt))}` : 'no moves yet';
    row.append(el('p', 'zone-meta', `${share}${moved}`));
    return row;
  });
  const list = el('ul', 'zones');
  list.setAttribute('aria-labelledby', 'occupancy-title');
  list.replaceChildren(...rows);
  root.replaceChildren(title, total, list);
  return full;
}
