/**
 * Key material of the cloud: the platform's Ed25519 token-signing keys and the per-event keys. Both are
 * stored wrapped with KEY_ENCRYPTION_KEY (the wrap context binds each wrapped key to its slot, so a
 * wrapped key copied into another row does not unwrap). Unwrapped keys live only in this process's
 * memory and never leave it: not in logs, not in responses.
 */
import { hkdfSync } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import {
  type EventKey,
  fromBase64Url,
  generateEventKey,
  generateSigningKeyPair,
  type SigningKeyPair,
  type TrustedSigningKey,
  toBase64Url,
  unwrapKey,
  wrapKey,
} from '../../shared/crypto';
import type { Database, Executor } from '../db/client';
import { eventKeys, signingKeys } from '../db/schema';

/** A public signing key as gates will receive it (the sync issue lists these in the manifest). */
export interface PublicSigningKey {
  keyId: number;
  /** base64url of the 32-byte Ed25519 public key. */
  publicKey: string;
  status: 'active' | 'retired';
}

const MAX_CACHED_EVENT_KEYS = 10_000;

/** Loads, creates and caches keys. One per process; call `init()` before serving. */
export class Keyring {
  readonly #db: Database;
  readonly #kek: Uint8Array;
  #signing: SigningKeyPair | undefined;
  readonly #eventKeyCache = new Map<string, EventKey>();
  readonly #macKeys = new Map<string, Uint8Array>();
  #trusted: { keys: TrustedSigningKey[]; until: number } | undefined;

  constructor(db: Database, keyEncryptionKey: Uint8Array) {
    if (keyEncryptionKey.length !== 32)
      throw new RangeError('Keyring: the key-encryption key must be 32 bytes');
    this.#db = db;
    this.#kek = keyEncryptionKey;
  }

  /**
   * Loads the active signing key, generating key id 1 on the very first start. Several processes may
   * start at once: the insert is ON CONFLICT DO NOTHING and everyone then reads the winner's key.
   */
  async init(now: Date): Promise<void> {
    let [row] = await this.#db
      .select()
      .from(signingKeys)
      .where(eq(signingKeys.status, 'active'))
      .orderBy(asc(signingKeys.keyId))
      .limit(1);
    if (!row) {
      const pair = generateSigningKeyPair(1);
      await this.#db
        .insert(signingKeys)
        .values({
          keyId: 1,
          publicKey: toBase64Url(pair.publicKey),
          wrappedPrivateKey: wrapKey(this.#kek, pair.privateKey, 'signing-key:1'),
          status: 'active',
          createdAt: now,
        })
        .onConflictDoNothing();
      [row] = await this.#db.select().from(signingKeys).where(eq(signingKeys.keyId, 1));
    }
    if (!row) throw new Error('Keyring: no signing key after creating one');
    const publicKey = fromBase64Url(row.publicKey);
    if (!publicKey) throw new Error(`Keyring: signing key ${row.keyId} has a corrupt public key`);
    // unwrapKey throws KeyUnwrapError when KEY_ENCRYPTION_KEY is not the one the key was wrapped with:
    // failing at start is the point (SPEC section 2: bad configuration stops the process).
    const privateKey = unwrapKey(this.#kek, row.wrappedPrivateKey, `signing-key:${row.keyId}`);
    this.#signing = { keyId: row.keyId, privateKey, publicKey };
  }

  /**
   * A 32-byte key for MACs over the cloud's own short-lived values (e.g. `device-challenge`), derived
   * from KEY_ENCRYPTION_KEY with HKDF, so every cloud process computes the same one and none is stored.
   */
  macKey(purpose: string): Uint8Array {
    let key = this.#macKeys.get(purpose);
    if (!key) {
      key = new Uint8Array(hkdfSync('sha256', this.#kek, new Uint8Array(0), `mac-key:${purpose}`, 32));
      this.#macKeys.set(purpose, key);
    }
    return key;
  }

  /** The active token-signing key pair. */
  signingKey(): SigningKeyPair {
    if (!this.#signing) throw new Error('Keyring: init() was not called');
    return this.#signing;
  }

  /** Every signing public key (active and retired), for gates' trust lists. */
  async publicSigningKeys(): Promise<PublicSigningKey[]> {
    const rows = await this.#db.select().from(signingKeys).orderBy(asc(signingKeys.keyId));
    return rows.map((row) => ({ keyId: row.keyId, publicKey: row.publicKey, status: row.status }));
  }

  /** Trusted public signing keys in the form shared/crypto verifies with (cached for a minute). */
  async trustedSigningKeys(now: number): Promise<TrustedSigningKey[]> {
    if (this.#trusted && this.#trusted.until > now) return this.#trusted.keys;
    const keys: TrustedSigningKey[] = [];
    for (const key of await this.publicSigningKeys()) {
      const publicKey = fromBase64Url(key.publicKey);
      if (publicKey) keys.push({ keyId: key.keyId, publicKey });
    }
    this.#trusted = { keys, until: now + 60_000 };
    return keys;
  }

  /** Generates and stores (wrapped) a new key for an event, inside the caller's transaction. */
  async createEventKey(
    executor: Executor,
    input: { tenantId: string; eventId: string; keyVersion: number; now: Date },
  ): Promise<void> {
    const key = generateEventKey(input.eventId, input.keyVersion);
    await executor.insert(eventKeys).values({
      eventId: input.eventId,
      keyVersion: input.keyVersion,
      tenantId: input.tenantId,
      wrappedKey: wrapKey(this.#kek, key.key, eventKeyContext(input.eventId, input.keyVersion)),
      createdAt: input.now,
    });
  }

  /** The unwrapped key of an event version, or undefined when there is none. */
  async eventKey(eventId: string, keyVersion: number): Promise<EventKey | undefined> {
    const cacheKey = `${eventId}:${keyVersion}`;
    const cached = this.#eventKeyCache.get(cacheKey);
    if (cached) return cached;
    const [row] = await this.#db
      .select({ wrappedKey: eventKeys.wrappedKey })
      .from(eventKeys)
      .where(and(eq(eventKeys.eventId, eventId), eq(eventKeys.keyVersion, keyVersion)));
    if (!row) return undefined;
    const key: EventKey = {
      eventId,
      keyVersion,
      key: unwrapKey(this.#kek, row.wrappedKey, eventKeyContext(eventId, keyVersion)),
    };
    if (this.#eventKeyCache.size >= MAX_CACHED_EVENT_KEYS) this.#eventKeyCache.clear();
    this.#eventKeyCache.set(cacheKey, key);
    return key;
  }

  /** Every key version of an event (for verifying tokens issued before a rotation). */
  async eventKeysOf(eventId: string): Promise<EventKey[]> {
    const rows = await this.#db
      .select({ keyVersion: eventKeys.keyVersion })
      .from(eventKeys)
      .where(eq(eventKeys.eventId, eventId));
    const keys: EventKey[] = [];
    for (const row of rows) {
      const key = await this.eventKey(eventId, row.keyVersion);
      if (key) keys.push(key);
    }
    return keys;
  }
}

function eventKeyContext(eventId: string, keyVersion: number): string {
  return `event-key:${eventId}:${keyVersion}`;
}
