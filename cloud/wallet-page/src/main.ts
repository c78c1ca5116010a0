/**
 * The wallet page (issue 20, docs/CONTRACT.md §5.6): signs in from the token in the address's fragment,
 * shows the customer's tickets (from the cloud when online, from IndexedDB otherwise), claims a ticket
 * for this device and draws each claimed ticket's rotating code, remade at every 15-second step of the
 * cloud's clock. Codes need no network: the key, the binding and the clock's offset are on the phone.
 */
import { holderCodeStep } from '../../../shared/crypto/holder-code';
import { ApiError, measureClockOffset, OfflineError, WalletApi } from './api';
import { holderCodeAt, stepRemaining } from './codes';
import { base64url, generateHolderKey } from './holder-keys';
import { drawQr } from './qr';
import { type DeviceKey, WalletStore, type WalletTicket } from './store';
import { type CodeSlot, RING_LENGTH, ticketCard } from './view';

const REFRESH_MS = 30_000;
const TICK_MS = 250;

function byId<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`wallet: #${id} is missing`);
  return found as T;
}

/** The `sub` of a JWT (not verified: the cloud does that; this only tells one user from another). */
function subjectOf(token: string): string {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = atob(payload.replaceAll('-', '+').replaceAll('_', '/'));
    return String((JSON.parse(json) as { sub?: unknown }).sub ?? '');
  } catch {
    return '';
  }
}

class Wallet {
  private slots: CodeSlot[] = [];
  private keys = new Map<string, DeviceKey>();
  private tickets: WalletTicket[] = [];
  private offsetMs = 0;
  private token: string | undefined;
  private drawing = false;

  constructor(private readonly store: WalletStore) {}

  private cloudNow(): number {
    return Date.now() + this.offsetMs;
  }

  async start(): Promise<void> {
    this.token = (await this.tokenFromAddress()) ?? (await this.store.setting('token'));
    this.offsetMs = (await this.store.setting('clockOffsetMs')) ?? 0;
    this.keys = await this.store.keys();
    this.tickets = await this.store.tickets();
    this.render();
    setInterval(() => void this.tick(), TICK_MS);
    if (!this.token) {
      byId('signed-out').hidden = this.tickets.length > 0;
      return;
    }
    await this.refresh();
    setInterval(() => void this.refresh(), REFRESH_MS);
    window.addEventListener('online', () => void this.refresh());
    window.addEventListener('offline', () => this.setOffline(true));
  }

  /** Takes the token out of the address (`#token=…`) and keeps it; another user's token starts afresh. */
  private async tokenFromAddress(): Promise<string | undefined> {
    if (!location.hash) return undefined;
    const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? undefined;
    history.replaceState(null, '', location.pathname + location.search);
    if (!token) return undefined;
    const user = subjectOf(token);
    if ((await this.store.setting('user')) !== user) await this.store.replaceTickets([]);
    await this.store.setSetting('token', token);
    await this.store.setSetting('user', user);
    return token;
  }

  private async setOffset(offsetMs: number): Promise<void> {
    this.offsetMs = offsetMs;
    await this.store.setSetting('clockOffsetMs', offsetMs);
  }

  async refresh(): Promise<void> {
    if (!this.token) return;
    try {
      await this.setOffset(await measureClockOffset());
      const tickets = await new WalletApi(this.token).tickets();
      // Redrawn only when something changed: a periodic refresh leaves the shown code (and a screen
      // reader) alone.
      const changed = JSON.stringify(tickets) !== JSON.stringify(this.tickets);
      this.tickets = tickets;
      await this.store.replaceTickets(tickets);
      this.setOffline(false);
      this.notice(undefined);
      if (changed) this.render();
    } catch (error) {
      this.failed(error, 'Could not update your tickets');
    }
  }

  private failed(error: unknown, what: string): void {
    if (error instanceof OfflineError) this.setOffline(true);
    else if (error instanceof ApiError && error.status === 401) {
      this.notice(
        'Your sign-in has expired: open the wallet from your ticket link again. Codes of tickets claimed here still work.',
      );
    } else {
      this.notice(`${what} (${error instanceof ApiError ? error.code : 'error'}).`);
    }
  }

  private setOffline(offline: boolean): void {
    byId('connection').hidden = !offline;
    document.body.dataset['connection'] = offline ? 'offline' : 'online';
  }

  private notice(text: string | undefined): void {
    const notice = byId('notice');
    notice.hidden = text === undefined;
    notice.textContent = text ?? '';
  }

  private render(): void {
    const list = byId('tickets');
    const sorted = [...this.tickets].sort(
      (a, b) => (a.startsAt ?? '').localeCompare(b.startsAt ?? '') || a.serial - b.serial,
    );
    const actions = {
      claim: (ticketId: string, button: HTMLButtonElement) => void this.claim(ticketId, button),
      showPrinted: (ticket: WalletTicket, canvas: HTMLCanvasElement) => void drawQr(canvas, ticket.qr),
    };
    this.slots = [];
    const cards: HTMLElement[] = [];
    for (const ticket of sorted) {
      const { card, slot } = ticketCard(ticket, this.keys.get(ticket.id), actions);
      cards.push(card);
      if (slot) this.slots.push(slot);
    }
    list.replaceChildren(...cards);
    byId('empty').hidden = !(this.token && sorted.length === 0);
    byId('signed-out').hidden = true;
    void this.tick();
  }

  /** Moves every ring on and redraws a code whose step has passed. */
  private async tick(): Promise<void> {
    if (this.drawing) return;
    this.drawing = true;
    try {
      const now = this.cloudNow();
      const { ms, fraction } = stepRemaining(now);
      const step = holderCodeStep(now);
      for (const slot of this.slots) {
        slot.ring.setAttribute('stroke-dashoffset', (RING_LENGTH * (1 - fraction)).toFixed(2));
        slot.seconds.textContent = `${Math.ceil(ms / 1000)} s`;
        if (slot.shownStep === step) continue;
        const code = await holderCodeAt(slot.key, now);
        await drawQr(slot.canvas, code.text);
        slot.shownStep = code.step;
        slot.canvas.dataset['step'] = String(code.step);
      }
    } finally {
      this.drawing = false;
    }
  }

  /** Claims a ticket for this device: a new key pair, its public key bound to the ticket by the cloud. */
  private async claim(ticketId: string, button: HTMLButtonElement): Promise<void> {
    const ticket = this.tickets.find((t) => t.id === ticketId);
    if (!ticket || !this.token) return;
    button.disabled = true;
    button.textContent = 'Claiming…';
    try {
      const key = await generateHolderKey();
      const sent = Date.now();
      const binding = await new WalletApi(this.token).bind(ticketId, base64url(key.publicKey), key.alg);
      await this.setOffset(binding.cloudTime - (sent + Date.now()) / 2);
      const deviceKey: DeviceKey = {
        ticketId,
        eventId: binding.eventId,
        serial: binding.serial,
        generation: binding.generation,
        bindingNo: binding.bindingNo,
        alg: binding.alg,
        privateKey: key.privateKey,
        boundAt: binding.boundAt,
      };
      await this.store.putKey(deviceKey);
      this.keys.set(ticketId, deviceKey);
      ticket.generation = binding.generation;
      ticket.holderKey = { alg: binding.alg, bindingNo: binding.bindingNo, boundAt: binding.boundAt };
      await this.store.replaceTickets(this.tickets);
      this.notice(undefined);
      this.render();
    } catch (error) {
      button.disabled = false;
      button.textContent = 'Try again';
      if (error instanceof OfflineError)
        this.notice('Claiming a ticket needs a connection: try again when online.');
      else this.failed(error, 'Could not claim the ticket');
    }
  }
}

async function main(): Promise<void> {
  navigator.serviceWorker?.register('/wallet/sw.js', { scope: '/wallet' }).catch(() => {});
  const wallet = new Wallet(await WalletStore.open());
  await wallet.start();
  document.body.dataset['ready'] = 'true';
}

main().catch((error: unknown) => {
  const notice = document.getElementById('notice');
  if (notice) {
    notice.hidden = false;
    notice.textContent = `The wallet could not start: ${error instanceof Error ? error.message : String(error)}`;
  }
});
