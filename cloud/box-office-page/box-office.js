// @ts-check
/**
 * The box office page (served by the cloud at /box-office, issue 17): a venue staff member pastes a
 * bearer token once (./api.js keeps it for this tab), picks one of the events the token can see, and
 * searches that event's tickets by holder name, order reference or serial
 * (`GET /events/{id}/tickets?q=`). Each ticket found can be checked in by hand (./check-in.js). Every
 * time shown is the venue's local time, 24 h (/ops/assets/venue-time.js); every value reaches the page
 * through textContent, never as markup.
 */

import { venueDayAndTime } from '/ops/assets/venue-time.js';
import { allPages, api, forgetToken, keepToken, storedToken } from './api.js';
import { closeCheckIn, openCheckIn } from './check-in.js';

const EVENT_KEY = 'box-office-event';
const PAGE_SIZE = 25;

/**
 * @typedef {{ id: string, venueId: string, name: string, startsAt: string, endsAt: string,
 *   doorsOpenAt: string | null, status: string }} EventRow
 * @typedef {{ id: string, name: string, timezone: string }} Venue
 * @typedef {{ id: string, name: string, zone: string | null }} Gate
 * @typedef {{ admitted: boolean, inside: boolean, firstEntryAt: string | null,
 *   firstEntryGateName: string | null, entries: number, exits: number }} AdmissionSummary
 * @typedef {{ id: string, serial: number, orderId: string, ticketTypeName: string, status: string,
 *   revokedReason: string | null, holderName?: string | null, admission: AdmissionSummary }} Ticket
 * @typedef {{ event: EventRow, venue: Venue, gates: Gate[] }} Desk
 */

/** @param {string} id */
const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @type {{ events: EventRow[], venues: Map<string, Venue>, desk: Desk | null, query: string,
 *   tickets: Ticket[], nextCursor: string | null, selected: string | null }} */
const state = {
  events: [],
  venues: new Map(),
  desk: null,
  query: '',
  tickets: [],
  nextCursor: null,
  selected: null,
};

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

/** An instant in the desk's venue time ("Sat 1 May 2027, 17:00"). @param {string} iso */
export function venueTime(iso) {
  return state.desk ? venueDayAndTime(new Date(iso), state.desk.venue.timezone) : iso;
}

function showLogin(message = '') {
  closeCheckIn();
  byId('desk').hidden = true;
  byId('sign-out').hidden = true;
  byId('login').hidden = false;
  byId('login-error').textContent = message;
  byId('venue').textContent = 'Box office';
  byId('title').textContent = 'Box office';
  /** @type {HTMLInputElement} */ (byId('token')).focus();
}

/** Signs out with the reason a call was refused (401/403), or returns false for any other answer. */
function refusedToken(/** @type {{ status: number }} */ answer) {
  if (answer.status === 401) {
    forgetToken();
    showLogin('The token was refused: it is wrong or has expired.');
    return true;
  }
  if (answer.status === 403) {
    forgetToken();
    showLogin('This token may not use the box office: a venue staff or admin token is needed.');
    return true;
  }
  return false;
}

/** Loads the events and venues the token can see, then opens the desk. */
async function start() {
  byId('login-error').textContent = '';
  byId('login-status').textContent = 'Loading events…';
  const [events, venues] = await Promise.all([allPages('/events'), allPages('/venues')]);
  byId('login-status').textContent = '';
  for (const { answer } of [events, venues]) if (refusedToken(answer)) return;
  if (events.answer.status !== 200 || venues.answer.status !== 200) {
    const failed = events.answer.status !== 200 ? events.answer : venues.answer;
    showLogin(failed.status === 0 ? 'Cannot reach the cloud.' : `The cloud answered ${failed.status}.`);
    return;
  }
  state.venues = new Map(venues.items.map((v) => [v.id, v]));
  state.events = events.items
    .filter((e) => state.venues.has(e.venueId))
    .sort((x, y) => x.startsAt.localeCompare(y.startsAt));
  if (state.events.length === 0) {
    showLogin('This token sees no event.');
    return;
  }
  byId('login').hidden = true;
  byId('desk').hidden = false;
  byId('sign-out').hidden = false;
  renderEventChoice();
  await chooseEvent(pickEvent());
}

/** The event chosen before in this tab, else the first that has not ended, else the last. */
function pickEvent() {
  const remembered = sessionStorage.getItem(EVENT_KEY);
  const now = Date.now();
  return (
    state.events.find((e) => e.id === remembered) ??
    state.events.find((e) => Date.parse(e.endsAt) > now) ??
    /** @type {EventRow} */ (state.events[state.events.length - 1])
  );
}

function renderEventChoice() {
  const select = /** @type {HTMLSelectElement} */ (byId('event'));
  select.replaceChildren(
    ...state.events.map((event) => {
      const venue = /** @type {Venue} */ (state.venues.get(event.venueId));
      const when = venueDayAndTime(new Date(event.startsAt), venue.timezone);
      const status = event.status === 'published' ? '' : ` (${event.status})`;
      const option = /** @type {HTMLOptionElement} */ (
        el('option', { text: `${event.name}${status} — ${when}` })
      );
      option.value = event.id;
      return option;
    }),
  );
}

/** Opens the desk for an event: its venue's gates, an empty search. @param {EventRow} event */
async function chooseEvent(event) {
  /** @type {HTMLSelectElement} */ (byId('event')).value = event.id;
  sessionStorage.setItem(EVENT_KEY, event.id);
  const venue = /** @type {Venue} */ (state.venues.get(event.venueId));
  const gates = await allPages(`/venues/${venue.id}/gates`);
  if (refusedToken(gates.answer)) return;
  state.desk = { event, venue, gates: gates.items };
  document.title = `${event.name} — box office`;
  byId('venue').textContent = `Box office · ${venue.name}`;
  byId('title').textContent = event.name;
  byId('event-when').textContent =
    `${event.doorsOpenAt ? `Doors ${venueTime(event.doorsOpenAt)} · ` : ''}Starts ${venueTime(event.startsAt)}` +
    ` — venue time (${venue.timezone}), 24 h`;
  if (gates.answer.status !== 200)
    byId('search-status').textContent = 'The venue’s gates could not be loaded.';
  clearResults();
}

function clearResults() {
  closeCheckIn();
  state.tickets = [];
  state.nextCursor = null;
  state.selected = null;
  state.query = '';
  byId('results').hidden = true;
  byId('more').hidden = true;
  byId('rows').replaceChildren();
  byId('search-status').textContent = '';
}

/**
 * Runs the search (a new one, or the next page with `more`), keeping the ticket in the check-in panel.
 * @param {{ more?: boolean, quiet?: boolean }} [options]
 */
async function search(options = {}) {
  const desk = state.desk;
  if (!desk || !state.query) return;
  const cursor = options.more && state.nextCursor ? `&cursor=${encodeURIComponent(state.nextCursor)}` : '';
  // A refresh reloads every row shown, up to the API's page limit.
  const limit = options.more ? PAGE_SIZE : Math.min(200, Math.max(PAGE_SIZE, state.tickets.length));
  if (!options.quiet) byId('search-status').textContent = 'Searching…';
  const answer = await api(
    'GET',
    `/events/${desk.event.id}/tickets?q=${encodeURIComponent(state.query)}&limit=${limit}${cursor}`,
  );
  if (refusedToken(answer)) return;
  if (answer.status !== 200) {
    byId('search-status').textContent =
      answer.status === 0
        ? 'Cannot reach the cloud: search again in a moment.'
        : answer.status === 400
          ? (answer.message ?? 'The cloud cannot search for that.').replace(/^q: /, '')
          : `The cloud answered ${answer.status}.`;
    return;
  }
  state.tickets = options.more ? [...state.tickets, ...answer.body.items] : answer.body.items;
  state.nextCursor = answer.body.nextCursor;
  renderResults();
}

/** The admission summary in words. @param {AdmissionSummary} a */
function admittedWords(a) {
  if (!a.admitted) return 'Not admitted';
  return a.inside ? 'Inside now' : 'Admitted, now out';
}

function renderResults() {
  const count = state.tickets.length;
  const more = state.nextCursor ? ' (more below)' : '';
  byId('search-status').textContent =
    count === 0
      ? `No ticket matches “${state.query}”.`
      : `${count} ticket${count === 1 ? '' : 's'} found for “${state.query}”${more}.`;
  byId('results').hidden = count === 0;
  byId('more').hidden = !state.nextCursor;
  byId('rows').replaceChildren(...state.tickets.map(ticketRow));
}

/** @param {Ticket} ticket */
function ticketRow(ticket) {
  const a = ticket.admission;
  /** @type {Array<[string, string, string?]>} label, text, class */
  const cells = [
    ['Serial', `#${ticket.serial}`, 'serial'],
    ['Ticket type', ticket.ticketTypeName],
    ['Holder', ticket.holderName || '—'],
    ['Order', `…${ticket.orderId.replaceAll('-', '').slice(-8)}`, 'order'],
    [
      'Status',
      ticket.status === 'valid'
        ? 'Valid'
        : `Revoked${ticket.revokedReason ? ` (${ticket.revokedReason})` : ''}`,
    ],
    ['Admitted', admittedWords(a)],
    [
      'First entry',
      a.firstEntryAt ? `${a.firstEntryGateName ?? 'a gate'}, ${venueTime(a.firstEntryAt)}` : '—',
    ],
  ];
  const row = el('tr');
  row.dataset['ticketId'] = ticket.id;
  row.dataset['status'] = ticket.status;
  row.dataset['admission'] = a.inside ? 'inside' : a.admitted ? 'out' : 'never';
  if (state.selected === ticket.id) row.dataset['selected'] = 'yes';
  for (const [label, text, className] of cells) {
    const cell = el('td', { text, ...(className ? { className } : {}) });
    cell.dataset['label'] = label;
    if (label === 'Order') cell.title = ticket.orderId;
    row.append(cell);
  }
  if (a.firstEntryAt) {
    // The gate on one line, its time under it.
    const entry = /** @type {HTMLElement} */ (row.lastElementChild);
    // One element, so that the phone's label | value grid keeps gate and time together.
    entry.replaceChildren(
      el('span', {}, [
        document.createTextNode(`${a.firstEntryGateName ?? 'a gate'}, `),
        // The day stays on one line and the time may go to the next, never "May / 2027".
        el('span', { className: 'when', text: venueTime(a.firstEntryAt).replace(/ (?!\d\d:)/g, '\u00a0') }),
      ]),
    );
  }
  const button = el('button', { className: 'pick', text: 'Check in…' });
  button.setAttribute('type', 'button');
  button.setAttribute('aria-label', `Check in ticket #${ticket.serial}`);
  button.addEventListener('click', () => pick(ticket));
  row.append(el('td', { className: 'action' }, [button]));
  return row;
}

/** Opens the check-in panel for a ticket. @param {Ticket} ticket */
function pick(ticket) {
  const desk = state.desk;
  if (!desk) return;
  state.selected = ticket.id;
  for (const row of byId('rows').querySelectorAll('tr')) {
    const selected = /** @type {HTMLElement} */ (row).dataset['ticketId'] === ticket.id;
    if (selected) /** @type {HTMLElement} */ (row).dataset['selected'] = 'yes';
    else delete (/** @type {HTMLElement} */ (row).dataset['selected']);
  }
  openCheckIn({
    eventId: desk.event.id,
    ticket,
    gates: desk.gates,
    when: venueTime,
    refused: refusedToken,
    // After a check-in or an undo the row shows the new admission summary.
    changed: () => search({ quiet: true }),
  });
}

byId('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = /** @type {HTMLInputElement} */ (byId('token'));
  const kept = keepToken(input.value);
  input.value = '';
  if (kept) void start();
});

byId('sign-out').addEventListener('click', () => {
  forgetToken();
  state.desk = null;
  showLogin();
});

byId('event').addEventListener('change', () => {
  const id = /** @type {HTMLSelectElement} */ (byId('event')).value;
  const event = state.events.find((e) => e.id === id);
  if (event) void chooseEvent(event);
});

byId('search-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = /** @type {HTMLInputElement} */ (byId('q'));
  const query = input.value.trim();
  if (!query) {
    byId('search-status').textContent = 'Type a name, an order reference or a serial number.';
    input.focus();
    return;
  }
  closeCheckIn();
  state.selected = null;
  state.query = query;
  state.tickets = [];
  void search();
});

byId('more').addEventListener('click', () => void search({ more: true }));

if (storedToken()) void start();
else showLogin();
