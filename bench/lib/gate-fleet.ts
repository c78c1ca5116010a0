/**
 * Gates of one event for benchmarks: a venue with named gates and a published event whose doors are open
 * now (made through the cloud's API), tickets issued in bulk with the cloud's keys, and real gate agents
 * — the CLI (gate-agent/main.ts) as child processes, each with its own event loop and SQLite file —
 * enrolled at those gates through a link proxy. Each gate is driven over its local HTTP API and observed
 * read-only: its status and metrics over HTTP, its admission log through a second, read-only SQLite
 * connection (WAL: the agent's writes are never blocked by it).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '../../cloud/db/client';
import { Keyring } from '../../cloud/services/keyring';
import { type BulkTicket, issueTicketsInBulk } from '../../cloud/test-support/bulk-tickets';
import type { SeededEvent, TestCloud } from '../../cloud/test-support/cloud';
import type { AgentStatus, ScanResponse } from '../../gate-agent/agent';
import { storePath } from '../../gate-agent/store/database';
import { type ChildAgent, startChildAgent } from '../../gate-agent/test-support/child-agent';
import { makeTempDir } from '../../gate-agent/test-support/stores';
import type { BenchCloud } from './cloud-process';
import type { LinkProxy } from './link-proxy';

export interface FleetEvent extends SeededEvent {
  tickets: BulkTicket[];
}

/** A venue with `gateNames`, an event there with doors open since ten minutes ago, `count` tickets. */
export async function seedFleetEvent(
  cloud: BenchCloud,
  kek: Buffer,
  options: { tenant: string; name: string; gateNames: readonly string[]; ticketCount: number },
): Promise<FleetEvent> {
  const { tenant } = options;
  const venue = await cloud.api('admin', tenant, 'POST', '/api/v1/venues', {
    name: `${options.name} venue`,
    timezone: 'UTC',
  });
  const gateIds: string[] = [];
  for (const name of options.gateNames)
    gateIds.push((await cloud.api('admin', tenant, 'POST', `/api/v1/venues/${venue.id}/gates`, { name })).id);
  const now = Date.now();
  const event = await cloud.api('admin', tenant, 'POST', '/api/v1/events', {
    venueId: venue.id,
    name: options.name,
    doorsOpenAt: new Date(now - 600_000).toISOString(),
    startsAt: new Date(now + 3_600_000).toISOString(),
    endsAt: new Date(now + 86_400_000).toISOString(),
  });
  const type = await cloud.api('admin', tenant, 'POST', `/api/v1/events/${event.id}/ticket-types`, {
    name: 'General',
    priceCents: 1000,
    currency: 'EUR',
    capacity: options.ticketCount,
  });
  await cloud.api('admin', tenant, 'POST', `/api/v1/events/${event.id}/publish`);
  const seeded: SeededEvent = {
    tenant,
    adminToken: '',
    venueId: venue.id,
    gateIds,
    eventId: event.id,
    ticketTypeIds: [type.id],
  };
  const database = await openDatabase({ databaseUrl: cloud.databaseUrl, maxConnections: 2 });
  try {
    const keyring = new Keyring(database.db, kek);
    await keyring.init(new Date());
    // issueTicketsInBulk reads only the database, the keyring, the clock and flush() of a test cloud.
    const bulk = { services: { db: database.db, keyring }, now: () => Date.now(), database };
    const tickets = await issueTicketsInBulk(bulk as unknown as TestCloud, seeded, options.ticketCount);
    return { ...seeded, tickets };
  } finally {
    await database.close();
  }
}

export interface FleetGate {
  readonly name: string;
  readonly dataDir: string;
  readonly url: string;
  readonly deviceId: string;
  scan(code: string, direction?: 'in' | 'out'): Promise<ScanResponse>;
  status(): Promise<AgentStatus>;
  syncNow(): Promise<AgentStatus>;
  /** A metric of the gate's /metrics, summed over its label sets; NaN when absent. */
  metric(name: string): Promise<number>;
  /**
   * The gate's device clock (ms) when it stored `origin`'s record of `serial` heard from elsewhere (a
   * peer or the cloud), or null.
   */
  heardAt(eventId: string, serial: number, origin: string): number | null;
  /** The gate's own clock (ms) when it decided its own admission of `serial` (its scan time), or null. */
  decidedAt(eventId: string, serial: number): number | null;
  /** The address this gate serves the peer protocol on, as it stored it for a peer (from its peer list). */
  peerAddressOf(deviceId: string): string | null;
  /** Stops the agent (SIGTERM); `keepData` leaves the data directory for a restart. */
  stop(keepData?: boolean): Promise<void>;
}

async function json<T>(response: Response): Promise<T> {
  if (!response.ok) throw new Error(`${response.url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/**
 * Starts the gate CLI on `dataDir` (a fresh one enrolled at `gateId` when not given), talking to the
 * cloud through `link`, serving the peer protocol on an ephemeral loopback port when `peers`.
 */
export async function startFleetGate(options: {
  cloud: BenchCloud;
  link: LinkProxy;
  tenant: string;
  gateId: string;
  name: string;
  peers: boolean;
  dataDir?: string;
  /**
   * Keep the store in RAM (tmpfs) when the machine has one: for gates that only make background traffic.
   * At a venue every gate has its own disk; here every gate's FULL fsync would land on the one disk of
   * the gate being measured, and its decision would time the neighbours' writes.
   */
  ramDisk?: boolean;
}): Promise<FleetGate> {
  const dataDir =
    options.dataDir ??
    (options.ramDisk && existsSync('/dev/shm')
      ? mkdtempSync(join('/dev/shm', 'bench-fleet-'))
      : makeTempDir('bench-fleet-'));
  const enroll = options.dataDir
    ? []
    : [
        '--enroll',
        (
          await options.cloud.api<{ token: string }>(
            'admin',
            options.tenant,
            'POST',
            `/api/v1/gates/${options.gateId}/enrollments`,
            {},
          )
        ).token,
      ];
  const child: ChildAgent = await startChildAgent([
    '--data-dir',
    dataDir,
    '--cloud',
    options.link.url,
    '--port',
    '0',
    ...enroll,
    ...(options.peers ? ['--peer-listen', '127.0.0.1:0'] : []),
  ]);
  const url = child.url;
  const status = async () => json<AgentStatus>(await fetch(`${url}/api/status`));
  const deviceId = (await status()).deviceId;
  if (!deviceId) throw new Error(`gate ${options.name} did not enroll:\n${child.output()}`);
  const db = new Database(storePath(dataDir), { readonly: true, fileMustExist: true });
  const heard = db.prepare(
    `SELECT received_at AS t, source FROM admission_log
      WHERE event_id = ? AND serial = ? AND origin = ? AND source <> 'local'`,
  );
  const decided = db.prepare(
    `SELECT min(received_at) AS t FROM admission_log WHERE event_id = ? AND serial = ? AND source = 'local'`,
  );
  const address = db.prepare('SELECT address FROM peers WHERE device_id = ? LIMIT 1');
  const time = (row: unknown) => ((row as { t: number | null } | undefined)?.t ?? null) as number | null;
  return {
    name: options.name,
    dataDir,
    url,
    deviceId: deviceId.toLowerCase(),
    scan: async (code, direction = 'in') =>
      json<ScanResponse>(
        await fetch(`${url}/api/scan`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ code, direction }),
          signal: AbortSignal.timeout(20_000),
        }),
      ),
    status,
    syncNow: async () => json<AgentStatus>(await fetch(`${url}/api/sync`, { method: 'POST' })),
    async metric(name) {
      const text = await (await fetch(`${url}/metrics`)).text();
      const lines = text.split('\n').filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      return lines.length === 0 ? Number.NaN : lines.reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    },
    heardAt(eventId, serial, origin) {
      const rows = heard.all(eventId.toLowerCase(), serial, origin.toLowerCase()) as {
        t: number;
        source: string;
      }[];
      if (rows.length === 0) return null;
      // Every arrival in the admission log is stamped on the gate's device clock.
      return Math.min(...rows.map((r) => r.t));
    },
    decidedAt: (eventId, serial) => time(decided.get(eventId.toLowerCase(), serial)),
    peerAddressOf: (id) =>
      ((address.get(id.toLowerCase()) as { address: string | null } | undefined)?.address ?? null) as
        | string
        | null,
    async stop(keepData = false) {
      db.close();
      await child.kill('SIGTERM');
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Waits until `check` holds, polling every `everyMs`, at most `timeoutMs`; false when it never did. */
export async function until(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  everyMs = 25,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (let i = 0; i < 100_000; i++) {
    if (await check()) return true;
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return false;
}

/**
 * Until every gate lists and has heard every other one (health reports carry the addresses to the
 * cloud, the next pull carries them to the others): pulls again while a list is short. Throws after 60 s.
 */
export async function pairAll(gates: readonly FleetGate[]): Promise<void> {
  const others = gates.length - 1;
  const ok = await until(
    async () => {
      const statuses = await Promise.all(gates.map((g) => g.status()));
      const short = gates.filter((_, i) => (statuses[i]!.peers?.listed ?? 0) < others);
      await Promise.all(short.map((g) => g.syncNow()));
      return statuses.every((s) => s.peers?.listed === others && s.peers.reachable === others);
    },
    60_000,
    250,
  );
  if (!ok) {
    const statuses = await Promise.all(
      gates.map(async (g) => `${g.name} ${JSON.stringify((await g.status()).peers)}`),
    );
    throw new Error(`the gates did not pair within 60 s: ${statuses.join('; ')}`);
  }
}

/** Starts gates at once; when one fails, stops the ones that started and throws the first failure. */
export async function startGates(starts: readonly (() => Promise<FleetGate>)[]): Promise<FleetGate[]> {
  const settled = await Promise.allSettled(starts.map((start) => start()));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  if (!failed) return started;
  for (const gate of started) await gate.stop();
  throw failed.reason;
}
