/**
 * The gate's data at rest (issue 15, finding 9): the data directory is 0700 and every file in it 0600,
 * and `gate.sqlite` (with its WAL) holds the device's private key, its access token and the event keys
 * only wrapped under `device.key` — so the database file copied alone reveals none of them. A store
 * written by an older version (plain secrets, loose modes, no key file) is migrated on its first open.
 * The real cloud refusing a copied token is in gate-agent/at-rest.test.ts.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { pullEvent } from '../sync/pull';
import { ManifestFixture } from '../test-support/manifest-fixture';
import { fixtureTransport, makeTempDir } from '../test-support/stores';
import { newTestDevice } from '../test-support/test-device';
import { KEY_FILE_NAME, KeyFileError, type KeyFileProtection } from './device-key-file';
import { storeFiles } from './file-modes';
import { type GateStore, openGateStore } from './gate-store';

const dirs: string[] = [];
const stores: GateStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const posix = process.platform !== 'win32';
const mode = (path: string) => statSync(path).mode & 0o777;

function open(path: string, options: Parameters<typeof openGateStore>[1] = {}): GateStore {
  const store = openGateStore(path, options);
  stores.push(store);
  return store;
}

function close(store: GateStore): void {
  store.close();
  stores.splice(stores.indexOf(store), 1);
}

/** A data directory inside a fresh temp folder (the folder the agent is given need not exist yet). */
function dataDir(): string {
  const parent = makeTempDir('gate-at-rest-');
  dirs.push(parent);
  return join(parent, 'gate');
}

interface Secrets {
  privateKey: Uint8Array;
  accessToken: string;
  eventKeys: Uint8Array[];
}

/** An enrolled-looking store with a pulled manifest: device key, token and an event key. */
async function enrolledStore(path: string): Promise<{ store: GateStore; secrets: Secrets }> {
  const store = open(path);
  // Its own identity: the pages' event keys are sealed to it, as the cloud seals them.
  const device = newTestDevice();
  const fixture = new ManifestFixture({ recipient: device });
  fixture.issue(1);
  const accessToken = `dtk_${randomBytes(24).toString('base64url')}`;
  store.updateSettings({
    deviceId: device.deviceId,
    privateKey: device.privateKey,
    publicKey: device.publicKey,
    accessToken,
    accessTokenExpiresAt: Date.now() + 3_600_000,
    gateName: 'North',
  });
  await pullEvent(fixture.eventId, {
    store,
    fetchPage: fixtureTransport(fixture),
    clock: () => fixture.cloudTime,
  });
  const secrets = { privateKey: device.privateKey, accessToken, eventKeys: [fixture.eventKey.key] };
  return { store, secrets };
}

/** Every way a secret could sit in a file: raw bytes, hex, base64, base64url (and the token's text). */
function forms(secrets: Secrets): Buffer[] {
  const out: Buffer[] = [Buffer.from(secrets.accessToken, 'utf8')];
  for (const key of [secrets.privateKey, ...secrets.eventKeys]) {
    const bytes = Buffer.from(key);
    out.push(bytes, Buffer.from(bytes.toString('hex')), Buffer.from(bytes.toString('base64')));
    out.push(Buffer.from(bytes.toString('base64url')));
  }
  return out;
}

/** The secrets found in the files (by index into `forms`); [] when none. */
function leaks(files: string[], secrets: Secrets): string[] {
  const found: string[] = [];
  for (const file of files.filter((f) => existsSync(f))) {
    const bytes = readFileSync(file);
    forms(secrets).forEach((form, i) => {
      if (bytes.includes(form)) found.push(`${file}: form ${i}`);
    });
  }
  return found;
}

describe('data directory permissions', () => {
  it.runIf(posix)(
    'a new data directory is 0700, the store, its WAL and shm and the key file 0600',
    async () => {
      const dir = dataDir();
      const path = join(dir, 'gate.sqlite');
      const { store } = await enrolledStore(path);
      expect(mode(dir)).toBe(0o700);
      for (const file of [path, `${path}-wal`, `${path}-shm`, join(dir, KEY_FILE_NAME)]) {
        expect(existsSync(file), file).toBe(true);
        expect(mode(file).toString(8), file).toBe('600');
      }
      expect(readFileSync(join(dir, KEY_FILE_NAME))).toHaveLength(32);
      close(store);
    },
  );

  it.runIf(posix)(
    'an existing folder and files with loose modes (an older version) are tightened on open',
    async () => {
      const dir = dataDir();
      const path = join(dir, 'gate.sqlite');
      const { store } = await enrolledStore(path);
      store.sqlite.pragma('wal_checkpoint(PASSIVE)');
      chmodSync(dir, 0o755);
      for (const file of [...storeFiles(path), join(dir, KEY_FILE_NAME)])
        if (existsSync(file)) chmodSync(file, 0o644);
      const reopened = open(path);
      expect(mode(dir)).toBe(0o700);
      for (const file of [...storeFiles(path), join(dir, KEY_FILE_NAME)].filter((f) => existsSync(f))) {
        expect(mode(file).toString(8), file).toBe('600');
      }
      close(reopened);
      close(store);
    },
  );

  it.runIf(posix)('refuses a shared folder such as /tmp (sticky bit) rather than chmod it', () => {
    const parent = makeTempDir('gate-sticky-');
    dirs.push(parent);
    chmodSync(parent, 0o1777);
    expect(() => open(join(parent, 'gate.sqlite'))).toThrow(/shared folder/);
    expect(mode(parent)).toBe(0o777);
  });
});

describe('secrets at rest', () => {
  it('the store file and its WAL hold no secret in any form, while open and after close; they read back', async () => {
    const dir = dataDir();
    const path = join(dir, 'gate.sqlite');
    const { store, secrets } = await enrolledStore(path);
    expect(leaks(storeFiles(path), secrets)).toEqual([]);
    close(store);
    expect(leaks(storeFiles(path), secrets)).toEqual([]);
    const reopened = open(path);
    expect(reopened.settings.privateKey).toEqual(secrets.privateKey);
    expect(reopened.settings.accessToken).toBe(secrets.accessToken);
    expect(reopened.eventKeys().map((k) => Buffer.from(k.key))).toEqual(secrets.eventKeys.map(Buffer.from));
    // The columns hold wrapped values: a token column copied out is not a token.
    const raw = reopened.sqlite.prepare('SELECT private_key, access_token FROM device').get() as {
      private_key: Buffer;
      access_token: string;
    };
    expect(raw.access_token).toMatch(/^kw1\./);
    expect(raw.access_token).not.toContain(secrets.accessToken);
    expect(raw.private_key.toString('latin1')).toMatch(/^kw1\./);
  });

  it('gate.sqlite copied alone opens nothing: the agent refuses to start on it, and another key file is refused', async () => {
    const dir = dataDir();
    const path = join(dir, 'gate.sqlite');
    const { store } = await enrolledStore(path);
    close(store);
    const thief = dataDir();
    mkdirSync(thief, { recursive: true });
    copyFileSync(path, join(thief, 'gate.sqlite'));
    expect(() => open(join(thief, 'gate.sqlite'))).toThrow(KeyFileError);
    expect(() => open(join(thief, 'gate.sqlite'))).toThrow(/device\.key is missing/);
    expect(existsSync(join(thief, KEY_FILE_NAME))).toBe(false);
    writeFileSync(join(thief, KEY_FILE_NAME), randomBytes(32), { mode: 0o600 });
    expect(() => open(join(thief, 'gate.sqlite'))).toThrow(/not the key file of this store/);
  });

  it('an older store (plain secrets, no key file, loose modes) is migrated on first open and still works', async () => {
    const dir = dataDir();
    const path = join(dir, 'gate.sqlite');
    const { store, secrets } = await enrolledStore(path);
    close(store);
    // Write it as the version before this one did: plain columns, no key file, 0644 in 0755.
    const old = new Database(path);
    old
      .prepare('UPDATE device SET private_key = ?, access_token = ? WHERE id = 1')
      .run(Buffer.from(secrets.privateKey), secrets.accessToken);
    old.prepare('UPDATE event_keys SET key = ?').run(Buffer.from(secrets.eventKeys[0]!));
    // Rotated keys of the event beside it (rows sharing a page: what an UPDATE alone leaves behind).
    const eventId = old.prepare('SELECT event_id FROM event_keys').pluck().get() as string;
    for (let version = 2; version <= 6; version++) {
      const key = new Uint8Array(randomBytes(32));
      secrets.eventKeys.push(key);
      old
        .prepare('INSERT INTO event_keys (event_id, key_version, key) VALUES (?, ?, ?)')
        .run(eventId, version, Buffer.from(key));
    }
    // Its life since: the row rewritten at every clock measurement, and a row deleted, whose bytes
    // stay behind in the page's free space (no secure_delete) — no live row holds them to be wrapped.
    for (let i = 1; i <= 20; i++) {
      old
        .prepare('UPDATE device SET clock_offset_ms = ?, gate_name = ? WHERE id = 1')
        .run(i, `North ${'x'.repeat(i)}`);
    }
    old.prepare('DELETE FROM event_keys WHERE key_version = 4').run();
    old.close();
    rmSync(join(dir, KEY_FILE_NAME));
    if (posix) {
      chmodSync(dir, 0o755);
      chmodSync(path, 0o644);
    }
    // The old file does hold them, the deleted key too.
    expect(readFileSync(path).includes(Buffer.from(secrets.eventKeys[3]!))).toBe(true);
    expect(readFileSync(path).includes(Buffer.from(secrets.privateKey))).toBe(true);

    const migrated = open(path);
    expect(migrated.settings.privateKey).toEqual(secrets.privateKey);
    expect(migrated.settings.accessToken).toBe(secrets.accessToken);
    expect(migrated.eventKeys().map((k) => Buffer.from(k.key))).toEqual(
      secrets.eventKeys.filter((_, i) => i !== 3).map(Buffer.from),
    );
    expect(existsSync(join(dir, KEY_FILE_NAME))).toBe(true);
    if (posix) {
      expect(mode(dir)).toBe(0o700);
      expect(mode(path)).toBe(0o600);
    }
    // Not even in free pages or the WAL: the migration VACUUMs and truncates the WAL.
    expect(leaks(storeFiles(path), secrets)).toEqual([]);
    close(migrated);
    expect(leaks(storeFiles(path), secrets)).toEqual([]);
    // And it keeps working: a second open needs no migration and reads the same.
    const again = open(path);
    expect(again.settings.accessToken).toBe(secrets.accessToken);
  });

  it('a key file protected by the platform (Electron safeStorage) is written wrapped, and needs it to open', async () => {
    // A stand-in for safeStorage: XOR with a fixed pad, enough to tell wrapped from plain.
    const pad = randomBytes(64);
    const fake = (available: boolean): KeyFileProtection => ({
      name: 'safeStorage',
      available: () => available,
      protect: (key) => Buffer.concat([Buffer.from('SS'), Buffer.from(key.map((b, i) => b ^ pad[i]!))]),
      unprotect: (stored) =>
        new Uint8Array(
          Buffer.from(stored)
            .subarray(2)
            .map((b, i) => b ^ pad[i]!),
        ),
    });
    const dir = dataDir();
    const path = join(dir, 'gate.sqlite');
    // A plain (headless) key file is rewritten protected once protection is available.
    const { store, secrets } = await enrolledStore(path);
    close(store);
    const plainKey = readFileSync(join(dir, KEY_FILE_NAME));
    const protectedStore = open(path, { keyProtection: fake(true) });
    expect(protectedStore.settings.accessToken).toBe(secrets.accessToken);
    close(protectedStore);
    const content = readFileSync(join(dir, KEY_FILE_NAME), 'latin1');
    expect(content).toMatch(/^safeStorage:[A-Za-z0-9_-]+\n$/);
    expect(Buffer.from(content).includes(plainKey)).toBe(false);
    if (posix) expect(mode(join(dir, KEY_FILE_NAME))).toBe(0o600);
    // Without the protection (another user, no keyring) it does not open.
    expect(() => open(path)).toThrow(/protected by safeStorage, which is not available/);
    expect(() => open(path, { keyProtection: fake(false) })).toThrow(KeyFileError);
    expect(open(path, { keyProtection: fake(true) }).settings.privateKey).toEqual(secrets.privateKey);
  });
});
