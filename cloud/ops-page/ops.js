// @ts-check
/**
 * The event operations page (served by the cloud at /ops/events/:id). Asks once for a bearer token
 * (kept in sessionStorage: this tab only, never in an address), fetches
 * /api/v1/events/:id/operations every 5 s and draws gate tiles, totals, an admitted-per-minute chart
 * (inline SVG), arrived of sold per ticket type (./arrivals.js), occupancy per zone (./occupancy.js) and
 * reject reasons. Every time is the
 * venue's local time in 24-hour form (./venue-time.js), whatever the browser's zone. Every value reaches the page through textContent, never as markup.
 * The reasons' words come from their one source (shared/admission/reasons.ts), which the cloud serves
 * beside this file as the module `./reasons.js`.
 */
import { renderArrivals } from './arrivals.js';
import { renderOccupancy } from './occupancy.js';
import { REASON_LABELS } from './reasons.js';
import { venueDateTimeFormat, venueMinute, venueTimeFormat } from './venue-time.js';

const POLL_MS = 5_000;
// Generous: the next poll starts 5 s after an answer, so a slow answer slows the refresh, never piles up.
const REQUEST_TIMEOUT_MS = 15_000;
const TOKEN_KEY = 'ops-bearer-token';
const SVG = 'http://www.w3.org/2000/svg';

const HEALTH_WORDS = {
  ok: '✓ All good',
  warning: '! Attention',
  critical: '✕ Down',
  idle: '– No device',
};
const CONNECTION_WORDS = { online: 'online', late: 'late', offline: 'offline', never: 'never seen' };

/** @param {string} id */
const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const eventId = /^\/ops\/events\/([0-9a-fA-F-]{36})\/?$/.exec(location.pathname)?.[1] ?? '';
let timer = 0;
/** @type {number | null} when the last good answer arrived (browser clock) */
let lastGoodAt = null;

/** @param {number | null | undefined} seconds */
function age(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** @param {number | null | undefined} ms */
function skew(ms) {
  if (ms === null || ms === undefined) return '—';
  const s = ms / 1000;
  if (Math.abs(s) < 1) return 'in sync';
  return `${age(Math.abs(s))} ${s > 0 ? 'behind' : 'ahead'}`;
}

const number = new Intl.NumberFormat();

/**
 * @param {string} tag
 * @param {{ className?: string, text?: string | number }} [options]
 * @param {Node[]} [children]
 */
function el(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined) node.textContent = String(options.text);
  for (const child of children) node.append(child);
  return node;
}

/**
 * @param {string} tag
 * @param {Record<string, string | number>} attributes
 * @param {string} [text]
 */
function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** @param {Array<[string, string]>} pairs */
function facts(pairs) {
  const list = el('dl', { className: 'facts' });
  for (const [term, value] of pairs) list.append(el('dt', { text: term }), el('dd', { text: value }));
  return list;
}

function showLogin(message = '') {
  clearTimeout(timer);
  byId('board').hidden = true;
  byId('sign-out').hidden = true;
  byId('login').hidden = false;
  byId('login-error').textContent = message;
  setFreshness('idle', 'Not connected');
  /** @type {HTMLInputElement} */ (byId('token')).focus();
}

/**
 * @param {'idle' | 'ok' | 'stale' | 'error'} state
 * @param {string} text
 */
function setFreshness(state, text) {
  const node = byId('freshness');
  node.dataset['state'] = state;
  node.textContent = text;
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

async function poll() {
  clearTimeout(timer);
  const bearer = token();
  if (!bearer) return showLogin();
  let response;
  try {
    response = await fetch(`/api/v1/events/${eventId}/operations`, {
      headers: { authorization: `Bearer ${bearer}`, accept: 'application/json' },
      cache: 'no-store',
      credentials: 'omit',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch {
    stale('Cannot reach the cloud');
    timer = window.setTimeout(poll, POLL_MS);
    return;
  }
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    return showLogin('The token was refused: it is wrong or has expired.');
  }
  if (response.status === 403) {
    sessionStorage.removeItem(TOKEN_KEY);
    return showLogin('This token may not see operations: an admin or ops token is needed.');
  }
  if (response.status === 404) {
    sessionStorage.removeItem(TOKEN_KEY);
    return showLogin('No such event for this token’s organiser.');
  }
  if (!response.ok) {
    stale(`The cloud answered ${response.status}`);
    const retryAfter = Number(response.headers.get('retry-after'));
    timer = window.setTimeout(
      poll,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : POLL_MS,
    );
    return;
  }
  try {
    render(await response.json());
    lastGoodAt = Date.now();
  } catch (error) {
    stale('Unexpected answer from the cloud');
    console.error(error);
  }
  timer = window.setTimeout(poll, POLL_MS);
}

/** @param {string} why */
function stale(why) {
  const since =
    lastGoodAt === null ? '' : ` — showing data from ${age((Date.now() - lastGoodAt) / 1000)} ago`;
  setFreshness(lastGoodAt === null ? 'error' : 'stale', `${why}${since}`);
  byId('announcer').textContent = why;
}

/**
 * @typedef {{ deviceId: string, name: string, connection: keyof typeof CONNECTION_WORDS,
 *   health: string, problems: string[], lastContactAgeSeconds: number | null,
 *   manifestAgeSeconds: number | null, manifestSeq: number | null, pendingUploads: number | null,
 *   lastUploadAgeSeconds: number | null, clockSkewMs: number | null, agentVersion: string | null }} Device
 * @typedef {{ gateId: string, name: string, zone: string | null, health: keyof typeof HEALTH_WORDS,
 *   admitted: number, accepted: number, rejected: number, devices: Device[] }} Gate
 * @typedef {{ event: { name: string, status: string, venueName: string, timezone: string,
 *   startsAt: string, endsAt: string, doorsOpenAt: string | null },
 *   arrivals: import('./arrivals.js').Arrivals, occupancy: import('./occupancy.js').Occupancy,
 *   generatedAt: string, totals: { admitted: number, inside: number, accepted: number, rejected: number,
 *   pendingUploads: number, devices: number, devicesOnline: number,
 *   gates: { ok: number, warning: number, critical: number, idle: number } },
 *   gates: Gate[], perMinute: Array<{ minute: string, entries: number }>,
 *   rejectReasons: Array<{ reason: string, count: number }> }} Operations
 */

/** @param {Operations} ops */
function render(ops) {
  byId('login').hidden = true;
  byId('board').hidden = false;
  byId('sign-out').hidden = false;
  document.title = `${ops.event.name} — operations`;
  byId('event-name').textContent = ops.event.name;
  byId('venue').textContent = `${ops.event.venueName} · ${ops.event.status}`;
  renderSchedule(ops.event);
  const clock = venueTimeFormat(ops.event.timezone, { seconds: true });
  setFreshness('ok', `Updated ${clock.format(new Date(ops.generatedAt))} · every 5 s`);
  renderArrivals(byId('arrivals'), ops.arrivals);
  const full = renderOccupancy(byId('occupancy'), ops.occupancy, ops.event.timezone);
  renderTotals(ops);
  renderGates(ops.gates);
  renderChart(ops.perMinute, ops.event.timezone);
  renderRejects(ops.rejectReasons);
  const down = ops.totals.gates.critical;
  byId('announcer').textContent = [
    ...(down > 0 ? [`${down} gate${down === 1 ? '' : 's'} down`] : []),
    ...full.map((zone) => `${zone} full — stop entry`),
  ].join('. ');
}

/**
 * Doors, start and end in the venue's time, and which zone that is.
 * @param {Operations['event']} event
 */
function renderSchedule(event) {
  const at = venueDateTimeFormat(event.timezone);
  const parts = [
    ...(event.doorsOpenAt ? [`Doors ${at.format(new Date(event.doorsOpenAt))}`] : []),
    `Starts ${at.format(new Date(event.startsAt))}`,
    `Ends ${at.format(new Date(event.endsAt))}`,
  ];
  byId('schedule').textContent = `${parts.join(' · ')} — venue time (${event.timezone}), 24 h`;
}

/** @param {Operations} ops */
function renderTotals(ops) {
  const t = ops.totals;
  /** @type {Array<[string, string, boolean]>} */
  const items = [
    ['Admitted', number.format(t.admitted), false],
    ['Inside now', number.format(t.inside), false],
    ['Rejected scans', number.format(t.rejected), false],
    ['Waiting for upload', number.format(t.pendingUploads), t.pendingUploads > 0],
    ['Devices online', `${t.devicesOnline} / ${t.devices}`, t.devicesOnline < t.devices],
  ];
  byId('totals').replaceChildren(
    ...items.map(([term, value, alert]) => {
      const dd = el('dd', { text: value });
      dd.dataset['alert'] = alert ? 'yes' : 'no';
      return el('div', {}, [el('dt', { text: term }), dd]);
    }),
  );
}

/** @param {Gate[]} gates */
function renderGates(gates) {
  const tiles = gates.map((gate) => {
    const tile = el('li', { className: 'tile' });
    tile.dataset['health'] = gate.health;
    tile.dataset['gateId'] = gate.gateId;
    const title = el('h3', { text: gate.zone ? `${gate.name} (${gate.zone})` : gate.name });
    tile.append(
      el('div', { className: 'tile-head' }, [
        title,
        el('span', { className: 'badge', text: HEALTH_WORDS[gate.health] }),
      ]),
      el('p', { className: 'big' }, [
        document.createTextNode(number.format(gate.admitted)),
        el('span', { text: ' admitted' }),
      ]),
      facts([
        ['Scans accepted', number.format(gate.accepted)],
        ['Scans rejected', number.format(gate.rejected)],
      ]),
    );
    if (gate.devices.length === 0)
      tile.append(el('p', { className: 'device', text: 'No device serves this event here.' }));
    for (const device of gate.devices) {
      const box = el('div', { className: 'device' }, [
        el('h4', {}, [
          el('span', { className: 'device-label', text: 'Device ' }),
          document.createTextNode(device.name),
        ]),
        facts([
          ['Connection', `${CONNECTION_WORDS[device.connection]} · ${age(device.lastContactAgeSeconds)} ago`],
          [
            'Manifest',
            device.manifestAgeSeconds === null
              ? 'not reported'
              : `${age(device.manifestAgeSeconds)} old${device.manifestSeq === null ? '' : ` · #${device.manifestSeq}`}`,
          ],
          [
            'Backlog',
            device.pendingUploads === null ? 'not reported' : `${number.format(device.pendingUploads)} scans`,
          ],
          [
            'Last upload',
            device.lastUploadAgeSeconds === null ? 'never' : `${age(device.lastUploadAgeSeconds)} ago`,
          ],
          ['Clock', skew(device.clockSkewMs)],
        ]),
      ]);
      box.dataset['deviceId'] = device.deviceId;
      if (device.problems.length > 0) {
        box.append(
          el(
            'ul',
            { className: 'problems' },
            device.problems.map((p) => el('li', { text: p })),
          ),
        );
      }
      tile.append(box);
    }
    return tile;
  });
  byId('gates').replaceChildren(...tiles);
}

/**
 * Bars per minute with a y-axis of round numbers and time labels every 30 minutes (venue time).
 * @param {Array<{ minute: string, entries: number }>} perMinute
 * @param {string} timeZone
 */
function renderChart(perMinute, timeZone) {
  const width = 960;
  const height = 300;
  const left = 56;
  const bottom = 34;
  const top = 12;
  const plotWidth = width - left - 8;
  const plotHeight = height - top - bottom;
  const peak = Math.max(0, ...perMinute.map((m) => m.entries));
  const step = niceStep(peak);
  const ceiling = Math.max(step, Math.ceil(peak / step) * step);
  const total = perMinute.reduce((sum, m) => sum + m.entries, 0);
  const format = venueTimeFormat(timeZone);
  const peakMinute = perMinute.find((m) => m.entries === peak && peak > 0);

  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-labelledby': 'chart-desc',
  });
  const summary =
    total === 0
      ? 'Nobody admitted in the last 2 hours.'
      : `${number.format(total)} admitted in the last 2 hours; busiest minute ${
          peakMinute ? format.format(new Date(peakMinute.minute)) : ''
        } with ${peak}.`;
  chart.append(svg('title', { id: 'chart-desc' }, summary));
  for (let value = 0; value <= ceiling; value += step) {
    const y = top + plotHeight - (value / ceiling) * plotHeight;
    chart.append(svg('line', { class: 'grid', x1: left, x2: width - 8, y1: y, y2: y }));
    chart.append(svg('text', { class: 'axis', x: left - 10, y: y + 6, 'text-anchor': 'end' }, String(value)));
  }
  const slot = plotWidth / Math.max(1, perMinute.length);
  perMinute.forEach((m, i) => {
    const x = left + i * slot;
    if (m.entries > 0) {
      const h = (m.entries / ceiling) * plotHeight;
      const bar = svg('rect', {
        class: 'bar',
        x: x + 0.5,
        y: top + plotHeight - h,
        width: Math.max(1, slot - 1),
        height: h,
      });
      bar.append(svg('title', {}, `${format.format(new Date(m.minute))}: ${m.entries}`));
      chart.append(bar);
    }
    const date = new Date(m.minute);
    if (venueMinute(date, timeZone) % 30 === 0) {
      chart.append(
        svg('line', { class: 'grid', x1: x, x2: x, y1: top + plotHeight, y2: top + plotHeight + 5 }),
      );
      chart.append(
        svg('text', { class: 'axis', x, y: height - 8, 'text-anchor': 'middle' }, format.format(date)),
      );
    }
  });
  if (total === 0) {
    chart.append(
      svg(
        'text',
        { class: 'empty', x: left + plotWidth / 2, y: top + plotHeight / 2, 'text-anchor': 'middle' },
        summary,
      ),
    );
  }
  byId('chart').replaceChildren(chart);
}

/** A round grid step giving about four lines up to `peak`. @param {number} peak */
function niceStep(peak) {
  if (peak <= 4) return 1;
  const raw = peak / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const factor of [1, 2, 5, 10]) if (raw <= factor * magnitude) return factor * magnitude;
  return 10 * magnitude;
}

/** @param {Array<{ reason: string, count: number }>} reasons */
function renderRejects(reasons) {
  const list = byId('rejects');
  if (reasons.length === 0) {
    list.replaceChildren(el('li', { className: 'none', text: 'No rejected scans.' }));
    return;
  }
  const most = Math.max(...reasons.map((r) => r.count));
  list.replaceChildren(
    ...reasons.map((r) => {
      const fill = el('div', { className: 'fill' });
      // CSSOM, not a style attribute: the CSP allows no inline styles.
      fill.style.width = `${Math.max(2, (r.count / most) * 100)}%`;
      const item = el('li', {}, [
        el('div', { className: 'label' }, [
          el('span', { text: REASON_LABELS[r.reason]?.organiser ?? r.reason }),
          el('span', { className: 'count', text: number.format(r.count) }),
        ]),
        el('div', { className: 'track' }, [fill]),
      ]);
      item.dataset['reason'] = r.reason;
      return item;
    }),
  );
}

byId('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = /** @type {HTMLInputElement} */ (byId('token'));
  const value = input.value.trim().replace(/^Bearer\s+/i, '');
  input.value = '';
  if (!value) return;
  sessionStorage.setItem(TOKEN_KEY, value);
  byId('login-error').textContent = '';
  setFreshness('idle', 'Loading…');
  void poll();
});

byId('sign-out').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  lastGoodAt = null;
  showLogin();
});

if (!eventId) showLogin('This address names no event.');
else if (token()) void poll();
else showLogin();
