/**
 * The wallet's calls to the cloud: the customer's tickets with their events' and types' names, claiming
 * a ticket (binding this device's public key), and the cloud's clock. Every call distinguishes "no
 * network" (the page goes on from what it keeps) from an answer (an error envelope's code).
 */
import type { HolderKeyAlg } from '../../../shared/crypto/holder-code';
import type { HolderCodePolicy, WalletTicket } from './store';

/** The cloud answered with an error. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The network did not carry the call (offline, or the cloud unreachable). */
export class OfflineError extends Error {}

/** The binding the cloud answers to a claim (§5.6 `HolderKeyBinding`). */
export interface HolderKeyBinding {
  ticketId: string;
  eventId: string;
  serial: number;
  generation: number;
  bindingNo: number;
  alg: HolderKeyAlg;
  boundAt: string;
  stepSeconds: number;
  cloudTime: number;
}

interface TicketView {
  id: string;
  eventId: string;
  ticketTypeId: string;
  serial: number;
  generation: number;
  status: 'valid' | 'revoked';
  qr: string;
  holderName: string | null;
  holderKey?: WalletTicket['holderKey'];
  holderCode?: HolderCodePolicy;
}

const MAX_PAGES = 20;

async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, cache: 'no-store', signal: AbortSignal.timeout(15_000) });
  } catch {
    throw new OfflineError('no connection');
  }
}

async function answer<T>(response: Response): Promise<T> {
  const text = await response.text();
  const body = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? text);
  }
  return body as T;
}

/** The cloud's clock minus this device's, from `/wallet/time` (half the round trip counted). */
export async function measureClockOffset(): Promise<number> {
  const sent = Date.now();
  const { cloudTime } = await answer<{ cloudTime: number }>(await send('/wallet/time', {}));
  return cloudTime - (sent + Date.now()) / 2;
}

export class WalletApi {
  constructor(private readonly token: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = JSON.stringify(body);
    return answer<T>(await send(`/api/v1${path}`, init));
  }

  /** Every ticket of the customer, with the names of its event and type (each event asked once). */
  async tickets(): Promise<WalletTicket[]> {
    const views: TicketView[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      const query: string = cursor ? `?limit=200&cursor=${encodeURIComponent(cursor)}` : '?limit=200';
      const answered: { items: TicketView[]; nextCursor: string | null } = await this.call(
        'GET',
        `/me/tickets${query}`,
      );
      views.push(...answered.items);
      cursor = answered.nextCursor;
      if (!cursor) break;
    }
    const events = new Map<
      string,
      Promise<{ name: string; startsAt: string | null; types: Map<string, string> }>
    >();
    const eventOf = (id: string) => {
      let found = events.get(id);
      if (!found) {
        found = this.eventNames(id);
        events.set(id, found);
      }
      return found;
    };
    const tickets: WalletTicket[] = [];
    for (const view of views) {
      const event = await eventOf(view.eventId);
      tickets.push({
        id: view.id,
        eventId: view.eventId,
        ticketTypeId: view.ticketTypeId,
        serial: view.serial,
        generation: view.generation,
        status: view.status,
        qr: view.qr,
        holderName: view.holderName,
        holderKey: view.holderKey ?? null,
        holderCode: view.holderCode ?? 'allowed',
        eventName: event.name,
        startsAt: event.startsAt,
        typeName: event.types.get(view.ticketTypeId) ?? 'Ticket',
      });
    }
    return tickets;
  }

  private async eventNames(eventId: string) {
    const event = await this.call<{ name: string; startsAt: string | null }>('GET', `/events/${eventId}`);
    const types = await this.call<{ items: Array<{ id: string; name: string }> }>(
      'GET',
      `/events/${eventId}/ticket-types`,
    );
    return {
      name: event.name,
      startsAt: event.startsAt,
      types: new Map(types.items.map((t) => [t.id, t.name])),
    };
  }

  /** Binds this device's public key to the ticket (a claim, or moving it from another device). */
  bind(ticketId: string, publicKey: string, alg: HolderKeyAlg): Promise<HolderKeyBinding> {
    return this.call('POST', `/tickets/${ticketId}/holder-key`, { publicKey, alg });
  }
}
