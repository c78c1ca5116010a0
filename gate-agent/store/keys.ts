/**
 * The keys the gate decides with: the cloud's public signing keys (they sign tickets and manifest pages;
 * pinned at enrollment or on first use, replaced only by a page signed by a pinned key) and each event's
 * symmetric keys (they only decrypt tokens; stored wrapped under the data directory's key file,
 * secret-box.ts). A version number moves whenever either set changes, so the decision pipeline rebuilds
 * its verifier only then.
 */
import { and, eq } from 'drizzle-orm';
import type { EventKey, TrustedSigningKey } from '../../shared/crypto/index';
import type { StoreConnection } from './connection';
import * as schema from './schema';
import { SECRET_CONTEXT, type SecretBox } from './secret-box';

/** Where a pinned signing key came from (kept for audits of the trust bootstrap). */
export type SigningKeySource = 'enrollment' | 'first-page' | 'page';

export class KeyStore {
  readonly #connection: StoreConnection;
  readonly #box: SecretBox;
  #version = 0;

  constructor(connection: StoreConnection, box: SecretBox) {
    this.#connection = connection;
    this.#box = box;
  }

  /** Bumped whenever signing or event keys change, so a verifier is rebuilt only then. */
  get version(): number {
    return this.#version;
  }

  /** Marks every key as changed (after a wipe). */
  invalidate(): void {
    this.#version++;
  }

  trustedSigningKeys(): TrustedSigningKey[] {
    return this.#connection.db
      .select()
      .from(schema.signingKeys)
      .all()
      .map((k) => ({ keyId: k.keyId, publicKey: new Uint8Array(k.publicKey) }));
  }

  eventKeys(): EventKey[] {
    return this.#connection.db
      .select()
      .from(schema.eventKeys)
      .all()
      .map((k) => ({
        eventId: k.eventId,
        keyVersion: k.keyVersion,
        key: this.#box.openBytes(k.key, SECRET_CONTEXT.eventKey(k.eventId, k.keyVersion)),
      }));
  }

  /** Pins signing keys (from enrollment, or trust on first use); replaces the trusted set. */
  pinSigningKeys(keys: readonly TrustedSigningKey[], source: SigningKeySource): void {
    this.#connection.transaction(() => this.replaceSigningKeys(keys, source));
  }

  /** Replaces the trusted set with `keys` when it differs; part of the caller's transaction. */
  replaceSigningKeys(keys: readonly TrustedSigningKey[], source: SigningKeySource): void {
    const current = this.trustedSigningKeys();
    const same =
      current.length === keys.length &&
      keys.every((k) =>
        current.some((c) => c.keyId === k.keyId && Buffer.from(c.publicKey).equals(Buffer.from(k.publicKey))),
      );
    if (same) return;
    const { db } = this.#connection;
    db.delete(schema.signingKeys).run();
    for (const k of keys) {
      db.insert(schema.signingKeys)
        .values({ keyId: k.keyId, publicKey: Buffer.from(k.publicKey), source })
        .run();
    }
    this.#version++;
  }

  /**
   * Adds an event's keys from a page — already unwrapped from the device-sealed form the page carries
   * (sync/manifest-apply.ts) — and replaces a changed one; never removes any: an event key only adds
   * decryption ability. Stored wrapped again, under the key file. Part of the caller's transaction.
   */
  mergeEventKeys(eventId: string, keys: readonly Pick<EventKey, 'keyVersion' | 'key'>[]): void {
    const { db } = this.#connection;
    for (const k of keys) {
      const plain = Buffer.from(k.key);
      const context = SECRET_CONTEXT.eventKey(eventId, k.keyVersion);
      const existing = db
        .select()
        .from(schema.eventKeys)
        .where(and(eq(schema.eventKeys.eventId, eventId), eq(schema.eventKeys.keyVersion, k.keyVersion)))
        .get();
      if (existing && plain.equals(this.#box.openBytes(existing.key, context))) continue;
      const key = this.#box.sealBytes(plain, context);
      db.insert(schema.eventKeys)
        .values({ eventId, keyVersion: k.keyVersion, key })
        .onConflictDoUpdate({ target: [schema.eventKeys.eventId, schema.eventKeys.keyVersion], set: { key } })
        .run();
      this.#version++;
    }
  }
}
