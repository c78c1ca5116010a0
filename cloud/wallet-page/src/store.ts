/**
 * What the wallet keeps on the phone, in IndexedDB: the customer's token, the cloud clock's offset, the
 * tickets as last fetched (so the page shows them offline) and, per claimed ticket, its private key — a
 * non-extractable WebCrypto key, stored as the CryptoKey object itself, so no script (this page's
 * included) can ever read its bytes.
 */
import type { HolderKeyAlg } from '../../../shared/crypto/holder-code';

const DB_NAME = 'wallet';
const DB_VERSION = 1;
type StoreName = 'settings' | 'keys' | 'tickets';

/** The key a ticket was claimed with on this device, and the binding the cloud answered. */
export interface DeviceKey {
  ticketId: string;
  eventId: string;
  serial: number;
  generation: number;
  bindingNo: number;
  alg: HolderKeyAlg;
  privateKey: CryptoKey;
  boundAt: string;
}

export type HolderCodePolicy = 'allowed' | 'required';

/** A ticket as the wallet shows it: the ticket view and the names of its event and type. */
export interface WalletTicket {
  id: string;
  eventId: string;
  ticketTypeId: string;
  serial: number;
  generation: number;
  status: 'valid' | 'revoked';
  qr: string;
  holderName: string | null;
  holderKey: { alg: HolderKeyAlg; bindingNo: number; boundAt: string } | null;
  holderCode: HolderCodePolicy;
  eventName: string;
  startsAt: string | null;
  typeName: string;
}

export interface Settings {
  token: string;
  /** The token's user (`sub`): another user's token clears the tickets kept for the previous one. */
  user: string;
  /** Cloud time minus this device's time, in ms, as last measured. */
  clockOffsetMs: number;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export class WalletStore {
  private constructor(private readonly db: IDBDatabase) {}

  static open(): Promise<WalletStore> {
    return new Promise((resolve, reject) => {
      const opening = indexedDB.open(DB_NAME, DB_VERSION);
      opening.onupgradeneeded = () => {
        const db = opening.result;
        db.createObjectStore('settings');
        db.createObjectStore('keys', { keyPath: 'ticketId' });
        db.createObjectStore('tickets', { keyPath: 'id' });
      };
      opening.onsuccess = () => resolve(new WalletStore(opening.result));
      opening.onerror = () => reject(opening.error);
    });
  }

  private store(name: StoreName, mode: IDBTransactionMode): IDBObjectStore {
    return this.db.transaction(name, mode).objectStore(name);
  }

  async setting<K extends keyof Settings>(name: K): Promise<Settings[K] | undefined> {
    return (await request(this.store('settings', 'readonly').get(name))) as Settings[K] | undefined;
  }

  async setSetting<K extends keyof Settings>(name: K, value: Settings[K]): Promise<void> {
    await request(this.store('settings', 'readwrite').put(value, name));
  }

  async keys(): Promise<Map<string, DeviceKey>> {
    const all = (await request(this.store('keys', 'readonly').getAll())) as DeviceKey[];
    return new Map(all.map((key) => [key.ticketId, key]));
  }

  async putKey(key: DeviceKey): Promise<void> {
    await request(this.store('keys', 'readwrite').put(key));
  }

  async tickets(): Promise<WalletTicket[]> {
    return (await request(this.store('tickets', 'readonly').getAll())) as WalletTicket[];
  }

  /** Replaces the kept tickets with `tickets` in one transaction. */
  replaceTickets(tickets: WalletTicket[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const tx = this.db.transaction('tickets', 'readwrite');
      const store = tx.objectStore('tickets');
      store.clear();
      for (const ticket of tickets) store.put(ticket);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
  }
}
