// @ts-check
/**
 * The box office's check-in panel (issue 17): for the ticket picked in the results, a gate of the
 * venue, a direction and an optional note, then `POST /events/{id}/tickets/{ticketId}/check-in` — an
 * admission like a scan at that gate, decided by the same rules and recorded under the staff user. The
 * decision shows large, ACCEPT or REJECT in words and a symbol (never colour alone), with the reason in
 * plain words (./words.js). An accepted admission can be taken back: "Undo" stays for five minutes and
 * calls `POST /events/{id}/admissions/undo`; the cloud has the last word on whether it still may.
 */
import { api } from './api.js';
import { failureWords, reasonHeadline, reasonSentence, UNDO_REFUSALS } from './words.js';

/** How long the Undo button stays after an admission (the cloud refuses late undos itself). */
export const UNDO_VISIBLE_MS = 5 * 60_000;
const GATE_KEY = 'box-office-gate';

/**
 * @typedef {import('./words.js').CheckInAnswer} CheckInAnswer
 * @typedef {{ id: string, name: string, zone: string | null }} Gate
 * @typedef {{ id: string, serial: number, orderId: string, ticketTypeName: string,
 *   holderName?: string | null }} PickedTicket
 * @typedef {{ eventId: string, ticket: PickedTicket, gates: Gate[], when: (iso: string) => string,
 *   refused: (answer: { status: number }) => boolean, changed: () => Promise<void> }} Picked
 */

/** @param {string} id */
const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @type {Picked | null} */
let picked = null;
let undoTimer = 0;
/** @type {{ origin: string, originSeq: number, direction: 'in' | 'out' } | null} */
let undoable = null;
let busy = false;

/** Opens the panel for a ticket, focus on its first choice. @param {Picked} next */
export function openCheckIn(next) {
  picked = next;
  resetOutcome();
  const { ticket, gates } = next;
  const holder = ticket.holderName ? ` · ${ticket.holderName}` : '';
  byId('check-in-ticket').textContent =
    `#${ticket.serial} · ${ticket.ticketTypeName}${holder} · order ${ticket.orderId}`;
  const select = /** @type {HTMLSelectElement} */ (byId('gate'));
  const remembered = sessionStorage.getItem(GATE_KEY);
  select.replaceChildren(
    ...gates.map((gate) => {
      const option = document.createElement('option');
      option.value = gate.id;
      option.textContent = gate.zone ? `${gate.name} (${gate.zone})` : gate.name;
      return option;
    }),
  );
  if (gates.some((g) => g.id === remembered)) select.value = /** @type {string} */ (remembered);
  /** @type {HTMLInputElement} */ (byId('note')).value = '';
  const noGates = gates.length === 0;
  /** @type {HTMLButtonElement} */ (byId('check-in-submit')).disabled = noGates;
  byId('check-in-error').textContent = noGates ? 'This venue has no gate to record the check-in at.' : '';
  const panel = byId('check-in');
  panel.hidden = false;
  panel.scrollIntoView({ block: 'nearest' });
  (noGates ? byId('check-in-title') : select).focus();
}

export function closeCheckIn() {
  picked = null;
  resetOutcome();
  byId('check-in').hidden = true;
}

/**
 * Clears the last decision. `keepUndo`: a new check-in of the same ticket (often refused: "already
 * used") leaves the earlier admission's Undo in place — the mistake may be that one.
 * @param {{ keepUndo?: boolean }} [options]
 */
function resetOutcome(options = {}) {
  if (!options.keepUndo) dropUndo();
  byId('verdict').hidden = true;
  byId('undo-result').textContent = '';
  byId('check-in-error').textContent = '';
}

function dropUndo() {
  clearTimeout(undoTimer);
  undoable = null;
  byId('undo-box').hidden = true;
}

function direction() {
  const chosen = /** @type {HTMLInputElement | null} */ (
    document.querySelector('input[name="direction"]:checked')
  );
  return chosen?.value === 'out' ? 'out' : 'in';
}

/** The Check in / Check out button says what it will record. */
function labelSubmit() {
  byId('check-in-submit').textContent = direction() === 'in' ? 'Check in' : 'Check out';
}

async function checkIn() {
  if (!picked || busy) return;
  const current = picked;
  const select = /** @type {HTMLSelectElement} */ (byId('gate'));
  const gate = current.gates.find((g) => g.id === select.value);
  if (!gate) return;
  sessionStorage.setItem(GATE_KEY, gate.id);
  const note = /** @type {HTMLInputElement} */ (byId('note')).value.trim();
  const way = direction();
  resetOutcome({ keepUndo: true });
  busy = true;
  byId('check-in-submit').setAttribute('aria-busy', 'true');
  const answer = await api('POST', `/events/${current.eventId}/tickets/${current.ticket.id}/check-in`, {
    gateId: gate.id,
    direction: way,
    ...(note ? { note } : {}),
  });
  busy = false;
  byId('check-in-submit').removeAttribute('aria-busy');
  if (picked !== current || current.refused(answer)) return;
  if (answer.status !== 200) {
    byId('check-in-error').textContent = failureWords(answer, 'check-in');
    return;
  }
  showVerdict(answer.body, { direction: way, gateName: gate.name, current });
  await current.changed();
}

/**
 * @param {CheckInAnswer} result
 * @param {{ direction: 'in' | 'out', gateName: string, current: Picked }} context
 */
function showVerdict(result, { direction: way, gateName, current }) {
  const accepted = result.decision === 'accept';
  const verdict = byId('verdict');
  verdict.dataset['decision'] = result.decision;
  verdict.dataset['reason'] = result.reason;
  byId('verdict-word').textContent = accepted ? '✓ ACCEPT' : '✕ REJECT';
  byId('verdict-reason').textContent = reasonHeadline(result.reason);
  byId('verdict-detail').textContent = reasonSentence(result, {
    direction: way,
    gateName,
    gateNames: new Map(current.gates.map((g) => [g.id, g.name])),
    when: current.when,
  });
  verdict.hidden = false;
  verdict.focus();
  if (accepted && result.admission) offerUndo(result.admission, way, gateName, current);
}

/**
 * Shows Undo for five minutes from now (this browser's clock: the cloud's may differ, and it decides).
 * @param {{ origin: string, originSeq: number, at: string }} admission
 * @param {'in' | 'out'} way
 * @param {string} gateName
 * @param {Picked} current
 */
function offerUndo(admission, way, gateName, current) {
  dropUndo();
  undoable = { origin: admission.origin, originSeq: admission.originSeq, direction: way };
  const what = way === 'in' ? 'entry' : 'exit';
  byId('undo').textContent = `Undo this ${what}`;
  byId('undo-until').textContent =
    `The ${what} at ${gateName}, ${current.when(admission.at)}, can be undone for 5 minutes.`;
  byId('undo-box').hidden = false;
  undoTimer = window.setTimeout(dropUndo, UNDO_VISIBLE_MS);
}

async function undo() {
  if (!picked || !undoable || busy) return;
  const current = picked;
  const target = undoable;
  const note = /** @type {HTMLInputElement} */ (byId('note')).value.trim();
  busy = true;
  byId('undo').setAttribute('aria-busy', 'true');
  const answer = await api('POST', `/events/${current.eventId}/admissions/undo`, {
    origin: target.origin,
    originSeq: target.originSeq,
    ...(note ? { note } : {}),
  });
  busy = false;
  byId('undo').removeAttribute('aria-busy');
  if (picked !== current || current.refused(answer)) return;
  const result = byId('undo-result');
  if (answer.status === 200) {
    dropUndo();
    byId('verdict').hidden = true;
    result.dataset['outcome'] = 'undone';
    result.textContent = `Undone: the ${target.direction === 'out' ? 'exit' : 'entry'} of #${current.ticket.serial} no longer counts.`;
    await current.changed();
  } else {
    result.dataset['outcome'] = 'refused';
    result.textContent = (answer.code && UNDO_REFUSALS[answer.code]) || failureWords(answer, 'undo');
    // A refusal that can never turn into success takes the button away.
    if (answer.code && UNDO_REFUSALS[answer.code]) dropUndo();
  }
  result.focus();
}

byId('check-in-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void checkIn();
});
for (const radio of document.querySelectorAll('input[name="direction"]')) {
  radio.addEventListener('change', labelSubmit);
}
byId('undo').addEventListener('click', () => void undo());
byId('check-in-close').addEventListener('click', () => {
  closeCheckIn();
  /** @type {HTMLInputElement} */ (byId('q')).focus();
});
byId('check-in').addEventListener('keydown', (event) => {
  if (event.key === 'Escape') byId('check-in-close').click();
});
