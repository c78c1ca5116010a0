/**
 * The Undo bar (issue 17): after an ACCEPT, the steward can take that entry or exit back — the wrong
 * ticket, the wrong direction — for as long as the gate would allow it: within the 5-minute window (by
 * this station's clock) and until the same ticket is scanned again. One admission is on offer at a time:
 * the latest accept replaces it. A stray tap never undoes: "Undo" asks first, and the confirming button
 * appears away from where "Undo" was (a double tap lands on "Keep"), and the question goes away by
 * itself. The gate agent has the last word (`POST /api/undo`); its answer is shown in words.
 *
 * The bar sits between the status bar and the verdict, so it stays in reach while the verdict shows.
 * The state logic is pure (the functions below, tested on their own); `UndoControl` paints it.
 */
import { UNDO_WINDOW_MS } from '../../shared/admission/undo';
import type { ScanDirection, ScanResult, UndoAnswer, UndoRefusalCode } from './agent-api';
import { type Scheduler, TaskSlot } from './scheduler';
import { ticketLineFor } from './verdict';

/** How long the "Undo this entry?" question waits for an answer before it goes away. */
export const CONFIRM_MS = 10_000;
/** How long the outcome of an undo stays in the bar. */
export const RESULT_MS = 8_000;

/** The accepted scan on offer. */
export interface UndoOffer {
  /** The scan's number in the agent's log (what the undo names). */
  seq: number;
  eventId: string | undefined;
  serial: number;
  direction: ScanDirection;
  /** "Standing · No. 1042". */
  ticketLine: string;
  /** When the accept reached the screen, on the station's clock (scheduler ms). */
  shownAt: number;
}

export type UndoState =
  | { kind: 'hidden' }
  /** `note`: why the last try did not go through (the agent did not answer), shown instead of the ticket. */
  | { kind: 'offered'; offer: UndoOffer; note?: string }
  | { kind: 'confirming' | 'working'; offer: UndoOffer }
  | { kind: 'result'; ok: boolean; message: string };

export const HIDDEN: UndoState = { kind: 'hidden' };

const offerOf = (state: UndoState): UndoOffer | undefined => ('offer' in state ? state.offer : undefined);

/** The state after a scan's answer reached the screen at `now` (scheduler ms). */
export function afterScan(
  state: UndoState,
  result: ScanResult,
  direction: ScanDirection,
  now: number,
): UndoState {
  if (state.kind === 'working') return state; // the undo in flight answers first
  const ticket = result.ticket;
  if (result.decision === 'accept' && ticket && typeof result.seq === 'number') {
    const offer: UndoOffer = {
      seq: result.seq,
      eventId: ticket.eventId,
      serial: ticket.serial,
      direction,
      ticketLine: ticketLineFor(result) ?? `No. ${ticket.serial}`,
      shownAt: now,
    };
    return { kind: 'offered', offer };
  }
  const offer = offerOf(state);
  // Another scan of the same ticket: what it answered is what stands now; the offer goes.
  if (
    offer &&
    ticket &&
    ticket.serial === offer.serial &&
    (ticket.eventId ?? offer.eventId) === offer.eventId
  )
    return HIDDEN;
  return state;
}

/** Whether the offer's window has run out at `now` (the station's clock). */
export function windowPassed(offer: UndoOffer, now: number): boolean {
  return now - offer.shownAt >= UNDO_WINDOW_MS;
}

/** The state at `now`: an offer past its window is withdrawn. */
export function atTime(state: UndoState, now: number): UndoState {
  const offer = offerOf(state);
  if (offer && state.kind !== 'working' && windowPassed(offer, now)) return HIDDEN;
  return state;
}

/** "Undo" pressed: ask first. */
export function ask(state: UndoState): UndoState {
  return state.kind === 'offered' ? { kind: 'confirming', offer: state.offer } : state;
}

/** "Keep" pressed, Escape, or the question timed out. */
export function keep(state: UndoState): UndoState {
  return state.kind === 'confirming' ? { kind: 'offered', offer: state.offer } : state;
}

/** "Yes, undo" pressed: the request goes to the agent. */
export function confirm(state: UndoState): UndoState {
  return state.kind === 'confirming' ? { kind: 'working', offer: state.offer } : state;
}

const REFUSAL_WORDS: Record<UndoRefusalCode, string> = {
  UNDO_WINDOW_PASSED: `Too late to undo: more than ${UNDO_WINDOW_MS / 60_000} minutes have passed`,
  ADMISSION_NOT_LATEST: 'Cannot undo: the ticket was scanned again since',
  ADMISSION_ALREADY_UNDONE: 'Already undone',
  ADMISSION_NOT_FOUND: 'Cannot undo: this gate has no record of that scan',
};

/**
 * The state after the agent's answer (or its failure to answer) to the undo of `offer`: the outcome in
 * words; an agent that did not answer may or may not have undone, so the offer stays for another try
 * (a second undo of an undone scan is refused as ALREADY UNDONE, never doubled).
 */
export function afterAnswer(offer: UndoOffer, answer: UndoAnswer | 'unreachable'): UndoState {
  if (answer === 'unreachable')
    return { kind: 'offered', offer, note: 'The gate agent did not answer — try Undo again' };
  if ('refusal' in answer) return { kind: 'result', ok: false, message: REFUSAL_WORDS[answer.refusal] };
  const what = answer.undone.direction ?? offer.direction;
  return {
    kind: 'result',
    ok: true,
    message:
      what === 'out'
        ? 'Exit undone — the holder counts as inside again'
        : 'Entry undone — scan the ticket again to admit',
  };
}

export interface UndoElements {
  bar: HTMLElement;
  text: HTMLElement;
  start: HTMLButtonElement;
  keep: HTMLButtonElement;
  confirm: HTMLButtonElement;
}

export interface UndoControlOptions {
  scheduler: Scheduler;
  undo: (seq: number) => Promise<UndoAnswer>;
  /** After an undo went through (the station clears the ACCEPT and refreshes its counts). */
  onUndone?: () => void;
}

/** Paints the state into the bar and runs its timers (window, question, outcome). */
export class UndoControl {
  private state: UndoState = HIDDEN;
  private readonly timer: TaskSlot;

  constructor(
    private readonly elements: UndoElements,
    private readonly options: UndoControlOptions,
  ) {
    this.timer = new TaskSlot(options.scheduler);
    elements.start.addEventListener('click', () => this.set(ask(this.state), elements.keep));
    elements.keep.addEventListener('click', () => this.set(keep(this.state), elements.start));
    elements.confirm.addEventListener('click', () => void this.undo());
    this.paint();
  }

  /** A scan's answer reached the screen. */
  scanned(result: ScanResult, direction: ScanDirection): void {
    this.set(afterScan(this.state, result, direction, this.options.scheduler.now()));
  }

  /** Escape: a question waiting is answered "Keep". */
  dismiss(): void {
    this.set(keep(this.state));
  }

  private async undo(): Promise<void> {
    const next = confirm(this.state);
    if (next.kind !== 'working') return;
    this.set(next);
    let answer: UndoAnswer | 'unreachable';
    try {
      answer = await this.options.undo(next.offer.seq);
    } catch {
      answer = 'unreachable';
    }
    const result = afterAnswer(next.offer, answer);
    this.set(result, result.kind === 'offered' ? this.elements.start : undefined);
    if (result.kind === 'result' && result.ok) this.options.onUndone?.();
  }

  private set(state: UndoState, focus?: HTMLElement): void {
    this.state = atTime(state, this.options.scheduler.now());
    this.paint();
    this.arm();
    if (focus && !focus.hidden) focus.focus();
  }

  /** The one timer the state needs: the window's end, the question's, or the outcome's. */
  private arm(): void {
    const state = this.state;
    const now = this.options.scheduler.now();
    if (state.kind === 'offered')
      this.timer.armAt(state.offer.shownAt + UNDO_WINDOW_MS, () => this.set(this.state));
    else if (state.kind === 'confirming')
      this.timer.armAt(Math.min(now + CONFIRM_MS, state.offer.shownAt + UNDO_WINDOW_MS), () =>
        this.set(keep(this.state)),
      );
    else if (state.kind === 'result') this.timer.armAt(now + RESULT_MS, () => this.set(HIDDEN));
    else this.timer.disarm();
  }

  private paint(): void {
    const { bar, text, start, keep: keepButton, confirm: confirmButton } = this.elements;
    const state = this.state;
    bar.dataset['state'] = state.kind;
    bar.hidden = state.kind === 'hidden';
    const offer = offerOf(state);
    const move = offer?.direction === 'out' ? 'exit' : 'entry';
    start.hidden = state.kind !== 'offered';
    keepButton.hidden = confirmButton.hidden = state.kind !== 'confirming' && state.kind !== 'working';
    keepButton.disabled = confirmButton.disabled = state.kind === 'working';
    start.textContent = `Undo ${move}`;
    confirmButton.textContent = `Yes, undo ${move}`;
    if (state.kind === 'result') {
      bar.dataset['outcome'] = state.ok ? 'undone' : 'refused';
      text.textContent = state.message;
      return;
    }
    delete bar.dataset['outcome'];
    if (!offer) text.textContent = '';
    else if (state.kind === 'offered')
      text.textContent =
        state.note ?? `${move === 'exit' ? 'Exit recorded' : 'Admitted'}: ${offer.ticketLine}`;
    else if (state.kind === 'confirming') text.textContent = `Undo this ${move} of ${offer.ticketLine}?`;
    else text.textContent = 'Undoing…';
  }
}
