/**
 * The wallet's ticket cards. Each ticket is in one state, shown as `data-state` on its card:
 * - `bound` — claimed on this device: the rotating QR, a ring counting down to its next change;
 * - `other-device` — claimed, but by another device's key (or an earlier claim of this one): moving it
 *   here rebinds it, and the other device's codes stop working;
 * - `unclaimed` — not claimed yet (for a type that allows it, the printed code can be shown meanwhile);
 * - `revoked` — refunded, cancelled or transferred away: no code at all.
 * Building the cards is all this module does; main.ts decides when and fills the codes in.
 */
import type { DeviceKey, WalletTicket } from './store';

export type CardState = 'bound' | 'other-device' | 'unclaimed' | 'revoked';

/** The parts of a bound card the ticker updates every moment. */
export interface CodeSlot {
  ticketId: string;
  key: DeviceKey;
  canvas: HTMLCanvasElement;
  ring: SVGCircleElement;
  seconds: HTMLElement;
  shownStep: number | undefined;
}

export interface CardActions {
  claim(ticketId: string, button: HTMLButtonElement): void;
  showPrinted(ticket: WalletTicket, canvas: HTMLCanvasElement): void;
}

const SVG = 'http://www.w3.org/2000/svg';
const RING_RADIUS = 16;
export const RING_LENGTH = 2 * Math.PI * RING_RADIUS;

/** The state of a ticket given the key this device holds for it (if any). */
export function cardState(ticket: WalletTicket, key: DeviceKey | undefined): CardState {
  if (ticket.status === 'revoked') return 'revoked';
  if (!ticket.holderKey) return 'unclaimed';
  const mine =
    key !== undefined &&
    key.generation === ticket.generation &&
    key.bindingNo === ticket.holderKey.bindingNo &&
    key.alg === ticket.holderKey.alg;
  return mine ? 'bound' : 'other-device';
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function when(startsAt: string | null): string {
  if (!startsAt) return '';
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(
    new Date(startsAt),
  );
}

function heading(ticket: WalletTicket): HTMLElement {
  const head = element('div', 'ticket-head');
  head.append(element('h2', 'event', ticket.eventName));
  const meta = element('p', 'meta');
  meta.append(element('span', 'type', ticket.typeName));
  const date = when(ticket.startsAt);
  if (date) meta.append(element('span', 'date', date));
  head.append(meta);
  head.append(element('p', 'holder', ticket.holderName ?? 'No name on this ticket'));
  return head;
}

function countdownRing(): { wrap: HTMLElement; ring: SVGCircleElement; seconds: HTMLElement } {
  const wrap = element('div', 'countdown');
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 40 40');
  svg.setAttribute('aria-hidden', 'true');
  const track = document.createElementNS(SVG, 'circle');
  const ring = document.createElementNS(SVG, 'circle');
  for (const circle of [track, ring]) {
    circle.setAttribute('cx', '20');
    circle.setAttribute('cy', '20');
    circle.setAttribute('r', String(RING_RADIUS));
  }
  track.setAttribute('class', 'track');
  ring.setAttribute('class', 'ring');
  ring.setAttribute('stroke-dasharray', String(RING_LENGTH));
  svg.append(track, ring);
  const seconds = element('span', 'seconds', '');
  const label = element('p', 'countdown-label');
  label.append('New code in ', seconds);
  wrap.append(svg, label);
  return { wrap, ring, seconds };
}

function claimButton(ticket: WalletTicket, label: string, actions: CardActions): HTMLButtonElement {
  const button = element('button', 'primary claim', label);
  button.type = 'button';
  button.addEventListener('click', () => actions.claim(ticket.id, button));
  return button;
}

function printedCode(ticket: WalletTicket, actions: CardActions): HTMLElement {
  const wrap = element('div', 'printed');
  const canvas = element('canvas', 'qr static');
  canvas.hidden = true;
  const button = element('button', 'link', 'Show the printed code instead');
  button.type = 'button';
  button.addEventListener('click', () => {
    canvas.hidden = !canvas.hidden;
    button.textContent = canvas.hidden ? 'Show the printed code instead' : 'Hide the printed code';
    if (!canvas.hidden) actions.showPrinted(ticket, canvas);
  });
  wrap.append(button, canvas);
  return wrap;
}

/** One ticket's card; a bound card also returns the slot its code is drawn into. */
export function ticketCard(
  ticket: WalletTicket,
  key: DeviceKey | undefined,
  actions: CardActions,
): { card: HTMLElement; slot?: CodeSlot } {
  const state = cardState(ticket, key);
  const card = element('article', `ticket ${state}`);
  card.dataset['ticketId'] = ticket.id;
  card.dataset['state'] = state;
  card.append(heading(ticket));
  const body = element('div', 'ticket-body');
  card.append(body);
  card.append(element('p', 'serial', `Ticket ${ticket.serial}`));
  if (state === 'bound' && key) {
    const canvas = element('canvas', 'qr rotating');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', 'Your entry code: show it at the gate');
    const { wrap, ring, seconds } = countdownRing();
    body.append(canvas, wrap);
    return { card, slot: { ticketId: ticket.id, key, canvas, ring, seconds, shownStep: undefined } };
  }
  if (state === 'revoked') {
    body.append(
      element('p', 'state-text', 'This ticket is no longer valid (refunded, cancelled or transferred).'),
    );
    return { card };
  }
  if (state === 'other-device') {
    body.append(
      element('p', 'state-text', 'This ticket is shown on another device — claim it here to move it.'),
    );
    body.append(
      element('p', 'hint', 'Moving it here stops the codes on the other device at the gates within seconds.'),
    );
    body.append(claimButton(ticket, 'Move it to this device', actions));
    return { card };
  }
  body.append(
    element('p', 'state-text', 'Claim this ticket on this phone to show its entry code at the gate.'),
  );
  body.append(claimButton(ticket, 'Claim on this device', actions));
  if (ticket.holderCode === 'allowed') body.append(printedCode(ticket, actions));
  else
    body.append(
      element('p', 'hint', 'This ticket is admitted only with the code of the wallet that claims it.'),
    );
  return { card };
}
