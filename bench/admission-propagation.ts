/**
 * One entry per ticket at every door (issue 14), measured end to end on real parts: the cloud
 * (cloud/main.ts as a child process on a fresh PostgreSQL database, Redis when REDIS_URL is set) and real
 * gate agents (the CLI as child processes, each its own event loop and SQLite file), talking to the cloud
 * through a TCP link proxy that can be cut.
 *  - via the cloud: 4 gates of one event without the peer protocol, 20 scans/s each (contract §12). Each
 *    ticket is presented at gate A, then at gate B 1.0–1.3 s after A answered (the contract promises one
 *    entry for presentations >= 1 s apart with the cloud reachable); when each other gate first knew of A's admission is
 *    read from its own admission log afterwards (the time it stamped the record it stored, minus the time
 *    A stamped its decision: one machine, one clock) through a read-only SQLite connection — nothing is
 *    presented at a gate to find out, and the agents never see the observer. B accepting = a double
 *    admission; the cloud's admission table is checked for them too. Floor: one bare HTTP round trip to
 *    the cloud through the same link (GET /health/live), same run.
 *  - via the LAN: 3 other gates of another event, peering on 127.0.0.1, the cloud's link cut; the same
 *    crossings, B asked 200–500 ms after A (the promise with the cloud down: >= 200 ms apart). Floor: one bare HTTP round trip to a peer's listener.
 *  - the gate decision with 3 peers exchanging: a 4th gate of the LAN event answers sequential scans
 *    (tickets in/out, every one an accept) while the 3 others admit background tickets (each broadcast to
 *    it); its decision time is the agent's own `latencyMs` (code received → durable record, in its
 *    process), first without the peer protocol (the floor), then restarted with it. The 3 others keep
 *    their stores in RAM (tmpfs): at a venue each gate has its own disk, and here their fsyncs would
 *    otherwise queue on the measured gate's.
 * Run alone: `npx tsx bench/admission-propagation.ts` (BENCH_QUICK=1: a few tickets, seconds);
 * exported for bench/run.ts.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import pg from 'pg';
import type { BulkTicket } from '../cloud/test-support/bulk-tickets';
import { type BenchCloud, benchDatabaseServer, startBenchCloud } from './lib/cloud-process';
import {
  type FleetEvent,
  type FleetGate,
  pairAll,
  seedFleetEvent,
  startFleetGate,
  startGates,
  until,
} from './lib/gate-fleet';
import { startLinkProxy } from './lib/link-proxy';
import { percentile } from './lib/measure';
import { admissionResults, type PropagationRun } from './lib/propagation-report';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const TENANT = 'bench-admissions';
/** 4 gates × 20 scans/s: a ticket every 25 ms, each scanned twice (contract §12). */
const CLOUD_GATES = ['North', 'South', 'East', 'West'];

/** Sizes of one run. */
interface Sizes {
  crossings: number;
  cloudCrossings: number;
  decisions: number;
  decisionTickets: number;
  backgroundTickets: number;
}

const sizesOf = (quick: boolean): Sizes =>
  quick
    ? { crossings: 8, cloudCrossings: 8, decisions: 200, decisionTickets: 20, backgroundTickets: 20 }
    : { crossings: 150, cloudCrossings: 400, decisions: 3000, decisionTickets: 100, backgroundTickets: 100 };

/**
 * Presents each ticket at gate A (round robin), then at gate B (the next one) `askAfterMs` + 0–300 ms
 * after A's answer,
 * a new ticket every `spacingMs`; polls (every 5 ms, read-only) each other gate's admission log until it
 * holds A's record or `timeoutMs` passed. A record never heard counts as `timeoutMs`.
 */
async function crossings(
  gates: readonly FleetGate[],
  event: FleetEvent,
  tickets: readonly BulkTicket[],
  options: { spacingMs: number; timeoutMs: number; askAfterMs: number },
): Promise<PropagationRun['crossing']> {
  const knownMs: number[] = [];
  const polledMs: number[] = [];
  let doubles = 0;
  let unheard = 0;
  const doubleSerials: string[] = [];
  const one = async (ticket: BulkTicket, i: number) => {
    const a = gates[i % gates.length]!;
    const b = gates[(i + 1) % gates.length]!;
    const first = await a.scan(ticket.qr);
    if (first.decision !== 'accept')
      throw new Error(`gate ${a.name} refused a fresh ticket: ${first.reason}`);
    const decidedAt = a.decidedAt(event.eventId, ticket.serial);
    if (decidedAt === null) throw new Error(`gate ${a.name} answered accept but logged no admission`);
    const watch = gates
      .filter((g) => g !== a)
      .map(async (g) => {
        const seen = { at: null as number | null, polledAt: 0 };
        await until(
          () => {
            seen.at = g.heardAt(event.eventId, ticket.serial, a.deviceId);
            seen.polledAt = Date.now();
            return seen.at !== null;
          },
          options.timeoutMs,
          5,
        );
        if (seen.at === null) {
          unheard++;
          knownMs.push(options.timeoutMs);
          return { gate: g, knewMs: null };
        }
        polledMs.push(seen.polledAt - decidedAt);
        knownMs.push(seen.at - decidedAt);
        return { gate: g, knewMs: seen.at - decidedAt };
      });
    await sleep(options.askAfterMs + ((i * 97) % 301));
    const presentedMs = Date.now() - decidedAt;
    const second = await b.scan(ticket.qr);
    const heard = await Promise.all(watch);
    if (second.decision === 'accept') {
      doubles++;
      // When B was asked and when it knew: a double within the target's bound is the schedule asking
      // sooner than the path promises; one after it is a miss of the product.
      const knew = heard.find((h) => h.gate === b)?.knewMs;
      doubleSerials.push(`#${ticket.serial} asked at +${presentedMs} ms, knew at +${knew ?? 'never'} ms`);
    }
  };
  const running: Promise<void>[] = [];
  for (const [i, ticket] of tickets.entries()) {
    running.push(one(ticket, i));
    await sleep(options.spacingMs);
  }
  await Promise.all(running);
  return {
    knownMs,
    polledMs,
    doubles,
    doubleSerials,
    unheard,
    presented: tickets.length,
    others: gates.length - 1,
    askAfterMs: options.askAfterMs,
    perSecond: (2 * 1000) / options.spacingMs,
  };
}

/** Median and p99 (ms) of `count` bare HTTP round trips to `url` (any answer), after 10 untimed. */
async function roundTrips(url: string, count: number): Promise<{ medianMs: number; p99Ms: number }> {
  const times: number[] = [];
  for (let i = 0; i < count + 10; i++) {
    const start = performance.now();
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    await response.arrayBuffer();
    if (i >= 10) times.push(performance.now() - start);
  }
  const sorted = times.sort((x, y) => x - y);
  return { medianMs: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
}

/** Admissions the cloud holds twice or more for one ticket and direction 'in' (a double entry). */
async function cloudDoubles(cloud: BenchCloud, eventId: string): Promise<number> {
  const client = new pg.Client({ connectionString: cloud.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `select serial from admissions where event_id = $1 and direction = 'in'
        group by serial having count(*) > 1`,
      [eventId],
    );
    return rows.length;
  } finally {
    await client.end();
  }
}

/** The cloud path: 4 gates without the peer protocol, the link up throughout. */
async function viaCloud(cloud: BenchCloud, kek: Buffer, sizes: Sizes) {
  const link = await startLinkProxy(cloud.url);
  const event = await seedFleetEvent(cloud, kek, {
    tenant: TENANT,
    name: 'Cloud Night',
    gateNames: CLOUD_GATES,
    ticketCount: sizes.cloudCrossings,
  });
  const gates: FleetGate[] = [];
  try {
    gates.push(
      ...(await startGates(
        CLOUD_GATES.map(
          (name, i) => () =>
            startFleetGate({ cloud, link, tenant: TENANT, gateId: event.gateIds[i]!, name, peers: false }),
        ),
      )),
    );
    await Promise.all(gates.map((g) => g.syncNow()));
    // Every gate online with its push stream open before the first ticket.
    if (
      !(await until(
        async () => (await Promise.all(gates.map((g) => g.status()))).every((s) => s.online),
        30_000,
      ))
    )
      throw new Error('the gates did not come online');
    const floor = await roundTrips(`${link.url}/health/live`, 50);
    const crossing = await crossings(gates, event, event.tickets, {
      spacingMs: 25,
      timeoutMs: 10_000,
      askAfterMs: 1_000,
    });
    // Uploads of any double admission reach the cloud within moments: give them a second.
    await sleep(1_500);
    return { crossing, floor, cloudDoubles: await cloudDoubles(cloud, event.eventId) };
  } finally {
    for (const gate of gates) await gate.stop();
    await link.close();
  }
}

/**
 * Scans at `gates` round robin, one every `everyMs`, cycling through `tickets` in then out, until stopped
 * (at most 100,000 scans). Every scan is an accept; a refusal is counted.
 */
function background(gates: readonly FleetGate[], tickets: readonly BulkTicket[], everyMs: number, start = 0) {
  let stopped = false;
  let next = start;
  let refused = 0;
  let failure: unknown;
  const done = (async () => {
    try {
      for (; !stopped && next < start + 100_000; next++) {
        const ticket = tickets[next % tickets.length]!;
        const direction = Math.floor(next / tickets.length) % 2 === 0 ? 'in' : 'out';
        const answer = await gates[next % gates.length]!.scan(ticket.qr, direction);
        if (answer.decision !== 'accept') refused++;
        await sleep(everyMs);
      }
    } catch (error) {
      failure = error; // rethrown by stop(): never an unhandled rejection while the bench is elsewhere
    }
  })();
  return {
    /** Stops; the scans made, the refusals and where the next run must go on (the in/out alternation). */
    async stop() {
      stopped = true;
      await done;
      if (failure) throw failure;
      return { scans: next - start, refused, next };
    },
  };
}

/**
 * The gate's own decision times (ms) of `count` sequential scans, the first 20 untimed (warm-up), and
 * the round trips of the same scans over its local HTTP API as the bench saw them.
 */
async function decisions(gate: FleetGate, tickets: readonly BulkTicket[], start: number, count: number) {
  const latencies: number[] = [];
  const roundTripsMs: number[] = [];
  const refusals: string[] = [];
  for (let i = start; i < start + count + 20; i++) {
    const direction = Math.floor(i / tickets.length) % 2 === 0 ? 'in' : 'out';
    const asked = performance.now();
    const answer = await gate.scan(tickets[i % tickets.length]!.qr, direction);
    if (answer.decision !== 'accept') refusals.push(`#${i} ${direction} ${JSON.stringify(answer)}`);
    if (i < start + 20) continue;
    latencies.push(answer.latencyMs);
    roundTripsMs.push(performance.now() - asked);
  }
  if (refusals.length > 0)
    throw new Error(
      `${refusals.length} decision-bench scans were refused (not the accept path): ${refusals.slice(0, 3).join('; ')}`,
    );
  const sorted = latencies.sort((x, y) => x - y);
  const trips = roundTripsMs.sort((x, y) => x - y);
  return {
    medianMs: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    count: sorted.length,
    // What a scanner on the agent's local API waits: the request's turn on the agent's event loop too.
    roundTrip: { medianMs: percentile(trips, 50), p99Ms: percentile(trips, 99) },
  };
}

/** The LAN path and the decision with 3 peers, on one event: 3 peering gates, then a 4th. */
async function viaLan(cloud: BenchCloud, kek: Buffer, sizes: Sizes) {
  const link = await startLinkProxy(cloud.url);
  const names = ['Lan North', 'Lan South', 'Lan East', 'Measured'];
  const event = await seedFleetEvent(cloud, kek, {
    tenant: TENANT,
    name: 'LAN Night',
    gateNames: names,
    ticketCount: sizes.crossings + sizes.decisionTickets + sizes.backgroundTickets,
  });
  const crossingTickets = event.tickets.slice(0, sizes.crossings);
  const decisionTickets = event.tickets.slice(sizes.crossings, sizes.crossings + sizes.decisionTickets);
  const backgroundTickets = event.tickets.slice(sizes.crossings + sizes.decisionTickets);
  const peers: FleetGate[] = [];
  let measured: FleetGate | undefined;
  try {
    peers.push(
      ...(await startGates(
        names.slice(0, 3).map(
          (name, i) => () =>
            startFleetGate({
              cloud,
              link,
              tenant: TENANT,
              gateId: event.gateIds[i]!,
              name,
              peers: true,
              ramDisk: true,
            }),
        ),
      )),
    );
    await pairAll(peers);
    link.state = 'down';
    if (
      !(await until(
        async () => (await Promise.all(peers.map((g) => g.status()))).every((s) => !s.online),
        30_000,
      ))
    )
      throw new Error('the gates did not notice the cut link');
    const address = peers[0]!.peerAddressOf(peers[1]!.deviceId);
    if (!address) throw new Error('no peer address stored');
    const floor = await roundTrips(`http://${address}/`, 50);
    const crossing = await crossings(peers, event, crossingTickets, {
      spacingMs: 100,
      timeoutMs: 5_000,
      askAfterMs: 200,
    });
    const reachable = (await Promise.all(peers.map((g) => g.status()))).map((s) => s.peers?.reachable ?? 0);

    // The decision: link up again (a normal evening), first without the peer protocol, then with it.
    link.state = 'up';
    await until(async () => (await Promise.all(peers.map((g) => g.status()))).every((s) => s.online), 30_000);
    const base = { cloud, link, tenant: TENANT, gateId: event.gateIds[3]!, name: 'Measured' };
    measured = await startFleetGate({ ...base, peers: false });
    await measured.syncNow();
    let traffic = background(peers, backgroundTickets, 20);
    const solo = await decisions(measured, decisionTickets, 0, sizes.decisions);
    const soloTraffic = await traffic.stop();
    const dataDir = measured.dataDir;
    await measured.stop(true);
    measured = undefined;
    measured = await startFleetGate({ ...base, peers: true, dataDir });
    await pairAll([...peers, measured]);
    const heardBefore = await measured.metric('gate_peer_records_received_total');
    traffic = background(peers, backgroundTickets, 20, soloTraffic.next);
    const withPeers = await decisions(measured, decisionTickets, sizes.decisions + 20, sizes.decisions);
    const peerTraffic = await traffic.stop();
    const heard = (await measured.metric('gate_peer_records_received_total')) - heardBefore;
    return { crossing, floor, reachable, solo, withPeers, soloTraffic, peerTraffic, heard };
  } finally {
    await measured?.stop();
    for (const gate of peers) await gate.stop();
    await link.close();
  }
}

export async function benchAdmissionPropagation(options: { quick: boolean }) {
  if (!benchDatabaseServer()) return [];
  const sizes = sizesOf(options.quick);
  const kek = randomBytes(32);
  const cloud = await startBenchCloud('bench_admissions', { KEY_ENCRYPTION_KEY: kek.toString('base64') });
  try {
    const cloudRun = await viaCloud(cloud, kek, sizes);
    const lanRun = await viaLan(cloud, kek, sizes);
    return admissionResults({ cloud: cloudRun, lan: lanRun, load: loadavg() });
  } finally {
    await cloud.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printTable } = await import('./lib/report');
  printTable(await benchAdmissionPropagation({ quick: process.env.BENCH_QUICK === '1' }));
}
