/**
 * Holder names at the gate (issue 17), a real gate agent against the real cloud: a scan's answer — from
 * the agent and from its HTTP API — names the holder, opened from the manifest's box with the scanned
 * code; the gate's files (`gate.sqlite` with its WAL and shared memory, copied while it runs) hold no
 * name in UTF-8 or UTF-16; a name changed in the cloud reaches the gate and its next scan; no log line
 * carries a name.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { events } from '../cloud/db/schema';
import { buyTickets } from '../cloud/test-support/cloud';
import { type GateAgent, startGateAgent } from './agent';
import { createGateLogger } from './logger';
import { storePath } from './store/database';
import { storeFiles } from './store/file-modes';
import { type RealCloud, startRealCloud } from './test-support/real-cloud';
import { makeTempDir } from './test-support/stores';

const NAMES = ['Zoë Ångström', '李小龙', 'Ada 🦊 Lovelace'];
const RENAMED = 'Grace Brewster Hopper';

let real: RealCloud;
let root: string;
let dataDir: string;
let agent: GateAgent | undefined;
const logLines: string[] = [];

const gateClock = () => real.cloud.now() + 2 * 3_600_000;

beforeEach(async () => {
  real = await startRealCloud();
  root = makeTempDir('gate-names-');
  dataDir = join(root, 'gate');
  logLines.length = 0;
});

afterEach(async () => {
  await agent?.close();
  agent = undefined;
  await real.stop();
  rmSync(root, { recursive: true, force: true });
});

/** Every byte sequence a name could be stored as: UTF-8 and UTF-16LE (SQLite's two text encodings). */
function encodingsOf(name: string): Buffer[] {
  return [Buffer.from(name, 'utf8'), Buffer.from(name, 'utf16le')];
}

/** The names (of `names`) whose bytes occur in any of `files`, in any encoding. */
function namesIn(files: readonly string[], names: readonly string[]): string[] {
  const contents = files.filter((file) => existsSync(file)).map((file) => readFileSync(file));
  return names.filter((name) =>
    encodingsOf(name).some((bytes) => contents.some((content) => content.includes(bytes))),
  );
}

async function until(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('holder names at the gate', () => {
  it('the scan answer names the holder; the gate’s files hold only boxes; a renamed holder reaches the gate', async () => {
    const bought = await buyTickets(real.cloud, real.seeded, {
      quantity: 5,
      holderNames: [...NAMES, null, 'Annika Lindqvist'],
    });
    const tickets = bought.purchase.tickets as Array<{ id: string; qr: string }>;
    const capture = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    agent = await startGateAgent({
      dataDir,
      cloudUrl: real.url,
      port: 0,
      clock: gateClock,
      logger: createGateLogger({ level: 'debug' }, capture),
      syncIntervalMs: 3_600_000,
      enrollmentToken: await real.enrollmentToken(),
    });
    expect((await agent.syncNow()).online).toBe(true);

    for (const [i, name] of NAMES.entries()) {
      const answer = await agent.scan(tickets[i]!.qr);
      expect(answer.reason).toBe('OK');
      expect(answer.holderName).toBe(name);
    }
    const unnamed = await agent.scan(tickets[3]!.qr);
    expect(unnamed.reason).toBe('OK');
    expect(unnamed.holderName).toBeNull();
    // The steward checking ID at a second scan still sees the name.
    const again = await agent.scan(tickets[0]!.qr);
    expect(again.reason).toBe('ALREADY_USED');
    expect(again.holderName).toBe(NAMES[0]);
    // The local HTTP API answers the same; garbage gets no name field at all.
    const http = await fetch(`${agent.url}/api/scan`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: tickets[1]!.qr, direction: 'out' }),
    });
    expect((await http.json()).holderName).toBe(NAMES[1]);
    expect('holderName' in (await agent.scan('NOT A TICKET'))).toBe(false);

    // A thief copies the live store: database, WAL and shared memory, while the gate runs.
    const store = storePath(dataDir);
    const copy = join(root, 'copied');
    mkdirSync(copy);
    const copied = storeFiles(store)
      .filter((file) => existsSync(file))
      .map((file) => {
        const target = join(copy, file.slice(dataDir.length + 1));
        copyFileSync(file, target);
        return target;
      });
    expect(copied.some((file) => file.endsWith('-wal'))).toBe(true);
    expect(namesIn(copied, [...NAMES, 'Annika Lindqvist'])).toEqual([]);
    // What the copy does hold: a box per named ticket, which opens only with that ticket's code.
    const db = new Database(join(copy, 'gate.sqlite'), { readonly: true });
    const boxes = db.prepare('SELECT name_box FROM tickets WHERE name_box IS NOT NULL').pluck().all();
    db.close();
    expect(boxes).toHaveLength(4);
    for (const box of boxes) expect(box).toMatch(/^hn1\.[A-Za-z0-9_-]+$/);

    // The holder of the last ticket renames it; the gate hears it through its stream, and its scan shows it.
    const renamed = await real.cloud.call('PATCH', `/api/v1/tickets/${tickets[4]!.id}`, {
      token: bought.token,
      body: { holderName: RENAMED },
    });
    expect(renamed.status).toBe(200);
    // The event's head once the rename committed: the gate has it when its manifest reaches that head
    // (a head merely past the one before could be another change, such as an admission's echo).
    const [event] = await real.cloud.database.db
      .select({ head: events.changeSeq })
      .from(events)
      .where(eq(events.id, real.seeded.eventId));
    await until(async () => (await agent!.status()).events[0]!.manifestSeq >= event!.head);
    const scanned = await agent.scan(tickets[4]!.qr);
    expect(scanned.reason).toBe('OK');
    expect(scanned.holderName).toBe(RENAMED);
    await agent.close();
    agent = undefined;
    // At rest, after the rename too: no name in any file, no name in any log line.
    expect(namesIn(storeFiles(store), [...NAMES, 'Annika Lindqvist', RENAMED])).toEqual([]);
    expect(logLines.length).toBeGreaterThan(0);
    const logs = logLines.join('');
    for (const name of [...NAMES, RENAMED]) expect(logs).not.toContain(name);
  }, 60_000);

  it('a logger call handed a scan answer redacts the name', () => {
    const lines: string[] = [];
    const logger = createGateLogger(
      { level: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    logger.info({ answer: { reason: 'OK', holderName: NAMES[0] }, holderName: NAMES[1] }, 'scan');
    expect(lines.join('')).not.toContain(NAMES[0]);
    expect(lines.join('')).not.toContain(NAMES[1]);
    expect(lines.join('')).toContain('[redacted]');
  });
});
