/**
 * A copied gate database is not a device credential (issue 15, finding 9), with the real cloud: after
 * the agent started, its data folder is 0700 and every file in it 0600; `gate.sqlite` and its WAL copied
 * while the gate runs (or after) hold neither the private key, nor the access token, nor an event key in
 * any form, the token column copied out is refused by `/sync/manifest` (the agent's own token is not),
 * and an agent will not start on the copy. A store of the previous version (plain secrets, loose modes,
 * no key file) is migrated on its first start, then signs, syncs and decides as before.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buyTickets } from '../cloud/test-support/cloud';
import { type GateAgent, startGateAgent } from './agent';
import { storePath } from './store/database';
import { KEY_FILE_NAME, KeyFileError } from './store/device-key-file';
import { storeFiles } from './store/file-modes';
import { openGateStore } from './store/gate-store';
import { type RealCloud, startRealCloud } from './test-support/real-cloud';
import { makeTempDir } from './test-support/stores';

const logger = pino({ level: 'silent' });
const posix = process.platform !== 'win32';
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

let real: RealCloud;
let root: string;
let dataDir: string;
const agents: GateAgent[] = [];
let tickets: string[];

const gateClock = () => real.cloud.now() + 2 * 3_600_000;

beforeEach(async () => {
  real = await startRealCloud();
  const { purchase } = await buyTickets(real.cloud, real.seeded, { typeIndex: 0, quantity: 3 });
  tickets = (purchase.tickets as Array<{ qr: string }>).map((t) => t.qr);
  root = makeTempDir('gate-at-rest-');
  dataDir = join(root, 'gate');
  // As `npm start` does: the folder exists already, with the umask's mode (0755).
  mkdirSync(dataDir, { mode: 0o755 });
  if (posix) chmodSync(dataDir, 0o755);
});

afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.close();
  await real.stop();
  rmSync(root, { recursive: true, force: true });
});

async function start(enrollmentToken?: string, dir = dataDir): Promise<GateAgent> {
  const agent = await startGateAgent({
    dataDir: dir,
    cloudUrl: real.url,
    port: 0,
    clock: gateClock,
    logger,
    syncIntervalMs: 3_600_000,
    ...(enrollmentToken ? { enrollmentToken } : {}),
  });
  agents.push(agent);
  return agent;
}

async function stop(agent: GateAgent): Promise<void> {
  await agent.close();
  agents.splice(agents.indexOf(agent), 1);
}

interface Secrets {
  privateKey: Uint8Array;
  accessToken: string;
  eventKeys: Uint8Array[];
}

/** The secrets as the agent holds them (the store opened with its key file; the agent is stopped). */
function secretsOf(dir: string): Secrets {
  const store = openGateStore(storePath(dir));
  try {
    return {
      privateKey: store.settings.privateKey!,
      accessToken: store.settings.accessToken!,
      eventKeys: store.eventKeys().map((k) => k.key),
    };
  } finally {
    store.close();
  }
}

/** Where a secret shows in the files, in any form (raw, hex, base64, base64url; the token as text). */
function leaks(files: string[], secrets: Secrets): string[] {
  const forms: [string, Buffer][] = [['token', Buffer.from(secrets.accessToken)]];
  for (const [name, key] of [
    ['private key', secrets.privateKey],
    ...secrets.eventKeys.map((k) => ['event key', k]),
  ] as [string, Uint8Array][]) {
    const bytes = Buffer.from(key);
    for (const encoding of ['hex', 'base64', 'base64url'] as const) {
      forms.push([`${name} (${encoding})`, Buffer.from(bytes.toString(encoding))]);
    }
    forms.push([name, bytes]);
  }
  const found: string[] = [];
  for (const file of files.filter((f) => existsSync(f))) {
    const content = readFileSync(file);
    for (const [name, form] of forms) if (content.includes(form)) found.push(`${name} in ${file}`);
  }
  return found;
}

/** What /sync/manifest answers a bearer token. */
async function manifestStatus(token: string): Promise<number> {
  const response = await real.cloud.call('GET', `/api/v1/sync/manifest?eventId=${real.seeded.eventId}`, {
    token,
  });
  return response.status;
}

describe('the gate database copied', () => {
  it('the folder is private, and its store copied alone (live or not) is no credential', async () => {
    const agent = await start(await real.enrollmentToken());
    expect((await agent.syncNow()).online).toBe(true);
    expect((await agent.scan(tickets[0]!)).reason).toBe('OK');
    const store = storePath(dataDir);

    if (posix) {
      expect(mode(dataDir)).toBe('700');
      for (const file of [store, `${store}-wal`, `${store}-shm`, join(dataDir, KEY_FILE_NAME)]) {
        expect(existsSync(file), file).toBe(true);
        expect(mode(file), file).toBe('600');
      }
    }

    // A thief copies the live database and its WAL, without the key file.
    const live = join(root, 'copied-live');
    mkdirSync(live);
    for (const file of storeFiles(store))
      if (existsSync(file)) copyFileSync(file, join(live, file.slice(dataDir.length + 1)));
    await stop(agent);
    const cold = join(root, 'copied-cold');
    mkdirSync(cold);
    copyFileSync(store, join(cold, 'gate.sqlite'));

    const secrets = secretsOf(dataDir);
    expect(secrets.eventKeys.length).toBeGreaterThan(0);
    // The agent's own token is good: the test asks the cloud the right way.
    expect(await manifestStatus(secrets.accessToken)).toBe(200);

    for (const copy of [live, cold]) {
      expect(leaks(storeFiles(join(copy, 'gate.sqlite')), secrets), copy).toEqual([]);
      // The token column copied out is not a token.
      const db = new Database(join(copy, 'gate.sqlite'));
      const column = db.prepare('SELECT access_token FROM device WHERE id = 1').pluck().get() as string;
      db.close();
      expect(column).toMatch(/^kw1\./);
      expect(await manifestStatus(column)).toBe(401);
      // Nor does an agent start on the copy.
      await expect(start(undefined, copy)).rejects.toThrow(KeyFileError);
    }
    // The gate's own files, at rest, are as clean.
    expect(leaks(storeFiles(store), secrets)).toEqual([]);
  }, 60_000);

  it('a store of the previous version is migrated on start, and still signs, syncs and decides', async () => {
    const first = await start(await real.enrollmentToken());
    expect((await first.syncNow()).online).toBe(true);
    expect((await first.scan(tickets[0]!)).reason).toBe('OK');
    await stop(first);
    const secrets = secretsOf(dataDir);
    const store = storePath(dataDir);

    // Rewrite it as the previous version kept it: plain key, token and event keys; no key file; 0644/0755.
    // The token is made stale, so the migrated private key must sign for a new one.
    const old = new Database(store);
    old
      .prepare(
        'UPDATE device SET private_key = ?, access_token = ?, access_token_expires_at = 0 WHERE id = 1',
      )
      .run(Buffer.from(secrets.privateKey), secrets.accessToken);
    const rows = old
      .prepare('SELECT event_id AS e, key_version AS v FROM event_keys ORDER BY 1, 2')
      .all() as {
      e: string;
      v: number;
    }[];
    rows.forEach((row, i) => {
      old
        .prepare('UPDATE event_keys SET key = ? WHERE event_id = ? AND key_version = ?')
        .run(Buffer.from(secrets.eventKeys[i]!), row.e, row.v);
    });
    old.close();
    rmSync(join(dataDir, KEY_FILE_NAME));
    if (posix) {
      chmodSync(dataDir, 0o755);
      chmodSync(store, 0o644);
    }
    expect(readFileSync(store).includes(Buffer.from(secrets.privateKey))).toBe(true);

    const migrated = await start();
    expect((await migrated.syncNow()).online).toBe(true); // a new token, signed for with the migrated key
    expect((await migrated.scan(tickets[0]!)).reason).toBe('ALREADY_USED');
    expect((await migrated.scan(tickets[1]!)).reason).toBe('OK'); // the event keys still decrypt
    if (posix) {
      expect(mode(dataDir)).toBe('700');
      for (const file of [store, join(dataDir, KEY_FILE_NAME)]) expect(mode(file), file).toBe('600');
    }
    await stop(migrated);
    expect(leaks(storeFiles(store), secrets)).toEqual([]);
    const after = secretsOf(dataDir);
    expect(after.privateKey).toEqual(secrets.privateKey);
    expect(after.accessToken).not.toBe(secrets.accessToken);
    expect(await manifestStatus(after.accessToken)).toBe(200);
  }, 60_000);
});
