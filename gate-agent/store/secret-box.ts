/**
 * The store's secrets at rest: the device's Ed25519 private key, its access token and the event keys are
 * written to `gate.sqlite` only wrapped (XChaCha20-Poly1305 under the data directory's key file,
 * device-key-file.ts; the same `wrapKey` the cloud keeps its signing keys with), each bound to its place
 * by the wrap's context, so a wrapped value copied into another column or row does not open there.
 *
 * `openStoreSecrets` is run once per open, before anything reads the store: it reads (or creates) the key
 * file and migrates a store written by an older version — plain secrets are wrapped in one transaction,
 * then the file is VACUUMed and its WAL truncated, so no old page still holds them in plain text.
 */
import type { Database } from 'better-sqlite3';
import { unwrapKey, wrapKey } from '../../shared/crypto/index';
import {
  createKeyFile,
  KeyFileError,
  type KeyFileProtection,
  keyFileExists,
  readKeyFile,
} from './device-key-file';

/** Where a wrapped secret belongs (the wrap's authenticated context). */
export const SECRET_CONTEXT = {
  privateKey: 'gate-device:private-key',
  accessToken: 'gate-device:access-token',
  eventKey: (eventId: string, keyVersion: number) => `gate-event-key:${eventId}:${keyVersion}`,
} as const;

/** wrapKey's text starts so; a plain secret never does (32 raw bytes, or a `dtk_` token). */
const WRAPPED_PREFIX = 'kw1.';

/** True when a stored value (text column or blob) is wrapped. */
export function isWrapped(value: string | Uint8Array): boolean {
  if (typeof value === 'string') return value.startsWith(WRAPPED_PREFIX);
  return value.length !== 32 && Buffer.from(value.subarray(0, 4)).toString('latin1') === WRAPPED_PREFIX;
}

export class SecretBox {
  readonly #key: Uint8Array;

  constructor(key: Uint8Array) {
    this.#key = key;
  }

  /** Wraps bytes for a blob column. */
  sealBytes(plain: Uint8Array, context: string): Buffer {
    return Buffer.from(wrapKey(this.#key, plain, context), 'utf8');
  }

  /** Opens a blob column's value (throws KeyUnwrapError for a wrong key, place or damaged data). */
  openBytes(stored: Uint8Array, context: string): Uint8Array {
    return unwrapKey(this.#key, Buffer.from(stored).toString('utf8'), context);
  }

  sealText(plain: string, context: string): string {
    return wrapKey(this.#key, Buffer.from(plain, 'utf8'), context);
  }

  openText(stored: string, context: string): string {
    return Buffer.from(unwrapKey(this.#key, stored, context)).toString('utf8');
  }
}

interface DeviceSecretsRow {
  private_key: Buffer | null;
  access_token: string | null;
}

interface EventKeyRow {
  event_id: string;
  key_version: number;
  key: Buffer;
}

function readSecrets(sqlite: Database): { device: DeviceSecretsRow | undefined; eventKeys: EventKeyRow[] } {
  return {
    device: sqlite.prepare('SELECT private_key, access_token FROM device WHERE id = 1').get() as
      | DeviceSecretsRow
      | undefined,
    eventKeys: sqlite.prepare('SELECT event_id, key_version, key FROM event_keys').all() as EventKeyRow[],
  };
}

/** Wraps every plain secret in one transaction; true when there was any. */
function wrapPlainSecrets(sqlite: Database, box: SecretBox): boolean {
  return sqlite.transaction(() => {
    const { device, eventKeys } = readSecrets(sqlite);
    let changed = false;
    if (device?.private_key && !isWrapped(device.private_key)) {
      const sealed = box.sealBytes(device.private_key, SECRET_CONTEXT.privateKey);
      sqlite.prepare('UPDATE device SET private_key = ? WHERE id = 1').run(sealed);
      changed = true;
    }
    if (device?.access_token && !isWrapped(device.access_token)) {
      const sealed = box.sealText(device.access_token, SECRET_CONTEXT.accessToken);
      sqlite.prepare('UPDATE device SET access_token = ? WHERE id = 1').run(sealed);
      changed = true;
    }
    const update = sqlite.prepare('UPDATE event_keys SET key = ? WHERE event_id = ? AND key_version = ?');
    for (const row of eventKeys) {
      if (isWrapped(row.key)) continue;
      update.run(
        box.sealBytes(row.key, SECRET_CONTEXT.eventKey(row.event_id, row.key_version)),
        row.event_id,
        row.key_version,
      );
      changed = true;
    }
    return changed;
  })();
}

/** A check that the key opens one wrapped secret of the store; undefined when it holds none. */
function wrappedProbe(secrets: ReturnType<typeof readSecrets>): ((box: SecretBox) => unknown) | undefined {
  const { device, eventKeys } = secrets;
  const privateKey = device?.private_key;
  if (privateKey && isWrapped(privateKey))
    return (box) => box.openBytes(privateKey, SECRET_CONTEXT.privateKey);
  const token = device?.access_token;
  if (token && isWrapped(token)) return (box) => box.openText(token, SECRET_CONTEXT.accessToken);
  const row = eventKeys.find((k) => isWrapped(k.key));
  if (row) return (box) => box.openBytes(row.key, SECRET_CONTEXT.eventKey(row.event_id, row.key_version));
  return undefined;
}

/**
 * Opens the key file for the store on `sqlite` (creating it for a store without wrapped secrets) and
 * wraps any plain secret the store still holds. Throws KeyFileError when the store holds wrapped secrets
 * and the key file is missing or is not theirs.
 */
export function openStoreSecrets(
  sqlite: Database,
  keyFile: string,
  protection?: KeyFileProtection,
): SecretBox {
  const probe = wrappedProbe(readSecrets(sqlite));
  let box: SecretBox;
  if (keyFileExists(keyFile)) {
    box = new SecretBox(readKeyFile(keyFile, protection));
    try {
      probe?.(box);
    } catch (cause) {
      throw new KeyFileError(`${keyFile} is not the key file of this store`, { cause });
    }
  } else if (probe) {
    throw new KeyFileError(
      `${keyFile} is missing: the device key and token in this store cannot be opened without it. ` +
        'Restore it, or start over with an empty data directory and a new enrollment.',
    );
  } else {
    box = new SecretBox(createKeyFile(keyFile, protection));
  }
  if (wrapPlainSecrets(sqlite, box)) {
    // The plain values must not survive in free pages or in the WAL.
    sqlite.exec('VACUUM');
    sqlite.pragma('wal_checkpoint(TRUNCATE)');
  }
  return box;
}
