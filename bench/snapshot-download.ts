/**
 * Snapshot of 100,000 tickets as SPEC section 9 means it — download, verify, install — end to end: the
 * real cloud (cloud/main.ts as a child process on a fresh PostgreSQL database) serves the manifest, and
 * a real gate store, enrolled through the API, pulls it with the agent's own HTTP client and pull loop
 * (signed gzip pages of 2,000 tickets, each checked and applied in its own transaction, the totals
 * compared, the staging copy swapped in). The same pages are fetched once before without applying them,
 * so the report can say how much of the figure is the download (cloud + HTTP) and how much the gate.
 *
 * The tickets are issued in bulk (cloud/test-support/bulk-tickets.ts: real tokens, the same rows a
 * purchase writes) from this process with the cloud's key-encryption key, because buying 100,000
 * tickets through the API would only time purchases.
 *
 *   npx tsx bench/snapshot-download.ts      (BENCH_QUICK=1: 10,000 tickets)
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { openDatabase } from '../cloud/db/client';
import { Keyring } from '../cloud/services/keyring';
import { issueTicketsInBulk } from '../cloud/test-support/bulk-tickets';
import type { SeededEvent, TestCloud } from '../cloud/test-support/cloud';
import { openGateStore } from '../gate-agent/store/gate-store';
import { CloudClient } from '../gate-agent/sync/cloud-client';
import { DEFAULT_PAGE_LIMIT, pullEvent } from '../gate-agent/sync/pull';
import { makeTempDir } from '../gate-agent/test-support/stores';
import { benchDatabaseServer, startBenchCloud } from './lib/cloud-process';
import { percentile } from './lib/measure';
import type { BenchResult } from './lib/report';

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);

/** The two fields of a page the download loop follows. */
const PageCursor = z.object({ hasMore: z.boolean(), nextAfter: z.number() });

type BenchCloud = Awaited<ReturnType<typeof startBenchCloud>>;

/** Issues `count` tickets of the event's first type with the cloud's keys, from this process. */
async function issueTickets(databaseUrl: string, kek: Buffer, seeded: SeededEvent, count: number) {
  const database = await openDatabase({ databaseUrl, maxConnections: 2 });
  try {
    const keyring = new Keyring(database.db, kek);
    await keyring.init(new Date());
    // issueTicketsInBulk reads only the database, the keyring, the clock and flush() of a test cloud.
    const cloud = { services: { db: database.db, keyring }, now: () => Date.now(), database };
    await issueTicketsInBulk(cloud as unknown as TestCloud, seeded, count);
    // What autovacuum does within a minute of a big sale. Without it the planner still believes the
    // change log empty and reads every later row for each page (a bitmap scan and a sort: ~10× slower).
    await database.pool?.query('analyze tickets, ticket_changes');
  } finally {
    await database.close();
  }
}

/** A published event with one ticket type of `capacity` and one gate, made through the cloud's API. */
async function seedEvent(cloud: BenchCloud, capacity: number): Promise<SeededEvent> {
  const tenant = 'bench-snapshot';
  const venue = await cloud.api('admin', tenant, 'POST', '/api/v1/venues', {
    name: 'Snapshot Arena',
    timezone: 'UTC',
  });
  const gate = await cloud.api('admin', tenant, 'POST', `/api/v1/venues/${venue.id}/gates`, {
    name: 'North',
  });
  const now = Date.now();
  const event = await cloud.api('admin', tenant, 'POST', '/api/v1/events', {
    venueId: venue.id,
    name: 'Snapshot Night',
    startsAt: new Date(now + 3_600_000).toISOString(),
    endsAt: new Date(now + 86_400_000).toISOString(),
  });
  const type = await cloud.api('admin', tenant, 'POST', `/api/v1/events/${event.id}/ticket-types`, {
    name: 'General',
    priceCents: 1000,
    currency: 'EUR',
    capacity,
  });
  await cloud.api('admin', tenant, 'POST', `/api/v1/events/${event.id}/publish`);
  return {
    tenant,
    adminToken: '',
    venueId: venue.id,
    gateIds: [gate.id],
    eventId: event.id,
    ticketTypeIds: [type.id],
  };
}

/**
 * Every page of the event over the client, not applied: the download alone. It also warms the cloud
 * process (JIT, PostgreSQL's cache), which a cloud serving a venue's gates would be.
 */
async function downloadOnly(client: CloudClient, eventId: string) {
  let bytes = 0;
  let pages = 0;
  const pageMs: number[] = [];
  const start = performance.now();
  for (let after = 0; pages < 10_000; pages++) {
    const pageStart = performance.now();
    const response = await client.fetchPage({ eventId, after, limit: DEFAULT_PAGE_LIMIT });
    pageMs.push(performance.now() - pageStart);
    if (response.kind !== 'page') throw new Error('the cloud reset the manifest during the benchmark');
    bytes += response.page.body.length;
    const page = PageCursor.parse(JSON.parse(Buffer.from(response.page.body).toString('utf8')));
    if (!page.hasMore) {
      pages++;
      break;
    }
    after = page.nextAfter;
  }
  return { seconds: (performance.now() - start) / 1000, bytes, pages, pageMs };
}

export async function benchSnapshotDownload(options: { quick: boolean }): Promise<BenchResult[]> {
  if (!benchDatabaseServer()) return [];
  const ticketCount = options.quick ? 10_000 : 100_000;
  const kek = randomBytes(32);
  const cloud = await startBenchCloud('bench_snapshot', { KEY_ENCRYPTION_KEY: kek.toString('base64') });
  const dir = makeTempDir('bench-snapshot-');
  const store = openGateStore(join(dir, 'gate.sqlite'));
  try {
    const seeded = await seedEvent(cloud, ticketCount);
    await issueTickets(cloud.databaseUrl, kek, seeded, ticketCount);
    const { token } = await cloud.api<{ token: string }>(
      'admin',
      seeded.tenant,
      'POST',
      `/api/v1/gates/${seeded.gateIds[0]}/enrollments`,
      {},
    );
    const client = new CloudClient({ baseUrl: cloud.url, store, clock: Date.now, timeoutMs: 60_000 });
    await client.enroll(token, 'bench gate');
    const download = await downloadOnly(client, seeded.eventId);

    // Download + verify + install, as the agent does it.
    const started = performance.now();
    const pulled = await pullEvent(seeded.eventId, {
      store,
      fetchPage: (request) => client.fetchPage(request),
      clock: Date.now,
    });
    const totalSeconds = (performance.now() - started) / 1000;
    const installed = store.manifest.liveTickets(seeded.eventId).length;
    if (!pulled.swapped || installed !== ticketCount)
      throw new Error(`snapshot did not install: swapped ${pulled.swapped}, ${installed} of ${ticketCount}`);

    return [
      {
        name: 'snapshot install 100k',
        value: totalSeconds,
        unit: 's',
        target: '<= 3 s',
        pass: totalSeconds <= 3,
        note:
          `${ticketCount.toLocaleString('en')} tickets from the real cloud on PostgreSQL over HTTP in ${pulled.pages} ` +
          `signed pages (download + signature check + apply + totals + swap); the download alone took ` +
          `${download.seconds.toFixed(2)} s (${download.pages} pages, ${(download.bytes / 1e6).toFixed(1)} MB uncompressed)`,
      },
      {
        name: 'snapshot download 100k (HTTP only, info)',
        value: download.seconds,
        unit: 's',
        target: null,
        pass: null,
        note:
          "the same pages fetched (before the install) and not applied: the cloud's page building, signing, compression and HTTP; " +
          `median page ${percentile(sorted(download.pageMs), 50).toFixed(0)} ms, last page (with the totals) ` +
          `${(download.pageMs[download.pageMs.length - 1] ?? 0).toFixed(0)} ms`,
      },
    ];
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
    await cloud.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printTable } = await import('./lib/report');
  printTable(await benchSnapshotDownload({ quick: process.env.BENCH_QUICK === '1' }));
}
