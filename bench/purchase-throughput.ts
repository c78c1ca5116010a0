/**
 * Purchase throughput on real PostgreSQL (contract §12: ≥ 1,000 purchases/s, p95 ≤ 100 ms, 0 oversold
 * with 500 concurrent buyers on a machine of the cloud's own; on the shared 2-core machine ≥ 0.4 × the
 * lower of the HTTP floor and the database floor, p95 ≤ 500 ms).
 *
 * Starts the real cloud server (a child process running cloud/main.ts, so it has its own event loop)
 * against a fresh database created from DATABASE_URL or TEST_DATABASE_URL, seeds events through the
 * API, and measures, in this order:
 *  - the HTTP floor: GET /health (no auth, no database) from the same clients; a purchase is two requests;
 *  - the database floor (./lib/purchase-db-floor.ts): the flow's SQL statements at the same concurrency
 *    over a bare `pg` Pool, on one event and then spread over eight;
 *  - purchases through the cloud with autocannon: every connection is one buyer that loops hold → purchase
 *    (with its own Idempotency-Key), all on one event, then the same load spread over eight events (each
 *    event numbers its change log under its own row lock, so the pair shows whether that lock is the
 *    ceiling). Latencies are measured per request from autocannon's hooks so p95 is exact;
 *  - a contended phase that sells a small capacity to all buyers at once and counts oversold seats.
 *
 *   npx tsx bench/purchase-throughput.ts            (BENCH_QUICK=1 for a short harness check)
 *   env: BENCH_CONNECTIONS (500), BENCH_SECONDS (20, at most 30), BENCH_SERVER_NODE_ARGS (profiling)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { mintUserToken } from '../cloud/test-support/tokens';
import { benchRedisUrl, freePort } from './lib/cloud-process';
import { percentile } from './lib/measure';
import { CLOUD_POOL_SIZE, type FloorResult, purchaseDatabaseFloor } from './lib/purchase-db-floor';
import type { BenchResult } from './lib/report';

/** The part of autocannon's API used here (the package ships no type declarations). */
interface AutocannonRequest {
  method?: string;
  path?: string;
  body?: string;
  setupRequest?: (
    request: Record<string, unknown>,
    context: BuyerContext,
  ) => Record<string, unknown> | undefined;
  onResponse?: (status: number, body: string, context: BuyerContext) => void;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  timeout: number;
  requests?: AutocannonRequest[];
}) => Promise<{ requests: { average: number } }>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECRET = randomBytes(32).toString('base64url');

interface Phase {
  purchases: number;
  holds: number;
  soldOut: number;
  errors: Record<string, number>;
  purchaseMs: number[];
  holdMs: number[];
  seconds: number;
}

export async function startServer(databaseUrl: string, port: number): Promise<ChildProcess> {
  // BENCH_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the server.
  const extra = (process.env['BENCH_SERVER_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', 'cloud/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      // Not `production`, which refuses the test payment provider (see benchCloudEnv in lib/cloud-process.ts).
      NODE_ENV: 'test',
      PAYMENT_PROVIDER: 'test',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      REDIS_URL: benchRedisUrl() ?? '',
      JOBS_PREFIX: `bench-${randomBytes(4).toString('hex')}`,
      AUTH_JWT_SECRET: SECRET,
      KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PURCHASE_PER_MINUTE: '1000000',
      RATE_LIMIT_READ_PER_MINUTE: '1000000',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 200));
    if (child.exitCode !== null) throw new Error(`cloud exited with ${child.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok) return child;
    } catch {
      // not listening yet
    }
  }
  throw new Error('cloud did not become ready');
}

async function api(base: string, token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as { id: string };
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

export async function seed(base: string, tenant: string, capacity: number) {
  const admin = await mintUserToken({ sub: 'bench-admin', tid: tenant, role: 'admin', secret: SECRET });
  const venue = await api(base, admin, 'POST', '/api/v1/venues', { name: 'Bench Arena', timezone: 'UTC' });
  const now = Date.now();
  const event = await api(base, admin, 'POST', '/api/v1/events', {
    venueId: venue.id,
    name: 'Bench Night',
    startsAt: new Date(now + 86_400_000).toISOString(),
    endsAt: new Date(now + 90_000_000).toISOString(),
  });
  const type = await api(base, admin, 'POST', `/api/v1/events/${event.id}/ticket-types`, {
    name: 'General',
    priceCents: 4900,
    currency: 'EUR',
    capacity,
  });
  await api(base, admin, 'POST', `/api/v1/events/${event.id}/publish`);
  return { eventId: event.id, typeId: type.id };
}

interface BuyerContext {
  buyer?: number;
  token?: string;
  reservationId?: string;
  started?: number;
}

/** Buyers loop hold → purchase for `seconds`; buyer i buys at targets[i mod targets.length]. */
export async function drive(
  base: string,
  tenant: string,
  targets: readonly { eventId: string; typeId: string }[],
  connections: number,
  seconds: number,
): Promise<Phase> {
  const tokens = await Promise.all(
    Array.from({ length: connections }, (_, i) =>
      mintUserToken({
        sub: `buyer-${i}`,
        tid: tenant,
        role: 'customer',
        secret: SECRET,
        expiresInSeconds: 3600,
      }),
    ),
  );
  let nextToken = 0;
  const phase: Phase = {
    purchases: 0,
    holds: 0,
    soldOut: 0,
    errors: {},
    purchaseMs: [],
    holdMs: [],
    seconds,
  };
  const countError = (kind: string, status: number) => {
    const key = `${kind} ${status}`;
    phase.errors[key] = (phase.errors[key] ?? 0) + 1;
  };
  const holds = targets.map((target) => ({
    path: `/api/v1/events/${target.eventId}/reservations`,
    body: JSON.stringify({ items: [{ ticketTypeId: target.typeId, quantity: 1 }] }),
  }));
  const started = performance.now();
  await autocannon({
    url: base,
    connections,
    duration: seconds,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        setupRequest: (request: Record<string, unknown>, context: BuyerContext) => {
          if (context.buyer === undefined) {
            context.buyer = nextToken++;
            context.token = tokens[context.buyer % tokens.length];
          }
          context.started = performance.now();
          return {
            ...request,
            ...holds[context.buyer % holds.length],
            headers: { 'content-type': 'application/json', authorization: `Bearer ${context.token}` },
          };
        },
        onResponse: (status: number, body: string, context: BuyerContext) => {
          phase.holdMs.push(performance.now() - (context.started ?? 0));
          context.reservationId = undefined;
          if (status === 201) {
            phase.holds++;
            context.reservationId = (JSON.parse(body) as { id: string }).id;
          } else if (status === 409) phase.soldOut++;
          else countError('hold', status);
        },
      },
      {
        method: 'POST',
        setupRequest: (request: Record<string, unknown>, context: BuyerContext) => {
          if (!context.reservationId) return undefined; // sold out: start over with a new hold
          context.started = performance.now();
          return {
            ...request,
            path: `/api/v1/reservations/${context.reservationId}/purchase`,
            body: '{"paymentToken":"tok_visa"}',
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${context.token}`,
              'idempotency-key': `bench-${randomUUID()}`,
            },
          };
        },
        onResponse: (status: number, _body: string, context: BuyerContext) => {
          phase.purchaseMs.push(performance.now() - (context.started ?? 0));
          if (status === 201) phase.purchases++;
          else countError('purchase', status);
        },
      },
    ],
  });
  phase.seconds = (performance.now() - started) / 1000;
  return phase;
}

async function oversold(db: pg.Client, typeId: string) {
  const { rows } = await db.query<{
    capacity: number;
    taken: number;
    tickets: number;
    serials: number;
    held: number;
  }>(
    `select t.capacity, t.taken,
            (select count(*)::int from tickets k where k.ticket_type_id = t.id and k.status = 'valid') as tickets,
            (select count(distinct serial)::int from tickets k where k.event_id = t.event_id) as serials,
            (select coalesce(sum((i->>'quantity')::int), 0)::int from reservations r, jsonb_array_elements(r.items) i
              where r.event_id = t.event_id and r.status = 'active') as held
       from ticket_types t where t.id = $1`,
    [typeId],
  );
  const row = rows[0]!;
  return {
    ...row,
    sold: row.tickets,
    oversold: Math.max(0, row.tickets - row.capacity) + Math.max(0, row.taken - row.capacity),
    inconsistent: row.taken !== row.held + row.tickets || row.serials < row.tickets,
  };
}

/** The figures of one run (see the module header); `open` is one event, `spread` the same load on eight. */
interface Measured {
  connections: number;
  httpFloorRequests: number;
  dbOne: FloorResult;
  dbEight: FloorResult;
  open: Phase;
  spread: Phase;
  contended: { capacity: number; tickets: number; sold: number; held: number };
  oversold: number;
  inconsistent: boolean;
}

const latencies = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
};

function figuresOf(m: Measured): BenchResult[] {
  const perSecond = m.open.purchases / m.open.seconds;
  const spreadPerSecond = m.spread.purchases / m.spread.seconds;
  const purchase = latencies(m.open.purchaseMs);
  const spreadPurchase = latencies(m.spread.purchaseMs);
  const httpFloor = m.httpFloorRequests / 2;
  const dbFloor = m.dbOne.perSecond;
  const lower = Math.min(httpFloor, dbFloor);
  const ratio = perSecond / lower;
  const details = {
    connections: m.connections,
    seconds: m.open.seconds,
    purchases: m.open.purchases,
    holds: m.open.holds,
    purchasesPerSecond: perSecond,
    floorHealthRequestsPerSecond: m.httpFloorRequests,
    databaseFloor: { oneEvent: m.dbOne, eightEvents: m.dbEight },
    purchaseLatencyMs: purchase,
    anyRequestLatencyMs: latencies([...m.open.purchaseMs, ...m.open.holdMs]),
    errors: m.open.errors,
    eightEvents: {
      purchasesPerSecond: spreadPerSecond,
      purchaseLatencyMs: spreadPurchase,
      errors: m.spread.errors,
    },
    contended: m.contended,
    oversold: m.oversold,
    inconsistent: m.inconsistent,
  };
  console.log(JSON.stringify(details, (_k, v) => (typeof v === 'number' ? Math.round(v * 10) / 10 : v), 2));
  const ms = (n: number) => `${Math.round(n)} ms`;
  return [
    {
      name: 'purchase throughput',
      value: perSecond,
      unit: '/s',
      target: '>= 0.4× the lower floor',
      floor: lower,
      ratio,
      pass: ratio >= 0.4,
      note:
        `${m.connections} buyers, one event, PostgreSQL${benchRedisUrl() ? ' and Redis' : ''}; floor = the lower of ` +
        `the HTTP floor (half the GET /health requests/s of the same server and clients, ${Math.round(m.httpFloorRequests)}/s: ` +
        `a purchase is two requests → ${Math.round(httpFloor)}/s) and the database floor (${Math.round(dbFloor)}/s); ` +
        `on a machine of the cloud's own the target is >= 1000/s (${perSecond >= 1000 ? 'met' : 'not met'} here)`,
    },
    { name: 'purchase p50', value: purchase.p50, unit: 'ms', target: null, pass: null },
    {
      name: 'purchase p95',
      value: purchase.p95,
      unit: 'ms',
      target: '<= 500 ms',
      floor: m.dbOne.purchaseMs.p95,
      ratio: purchase.p95 / m.dbOne.purchaseMs.p95,
      pass: purchase.p95 <= 500,
      note: `the purchase request alone; floor = p95 of the purchase's statements in the database floor; on a machine of the cloud's own the target is <= 100 ms`,
    },
    { name: 'purchase p99', value: purchase.p99, unit: 'ms', target: null, pass: null },
    {
      name: 'purchase database floor',
      value: dbFloor,
      unit: '/s',
      target: null,
      pass: null,
      note:
        `the statements of a hold → purchase flow (hold, flush, read, serials every 256th, purchase_hold, flush) ` +
        `by ${m.connections} buyers over a bare pg Pool of ${CLOUD_POOL_SIZE} (the cloud's) for ${m.dbOne.seconds.toFixed(1)} s, ` +
        `one event: ${m.dbOne.flows} flows, ${m.dbOne.failures} failed; purchase half p50/p95/p99 ` +
        `${ms(m.dbOne.purchaseMs.p50)}/${ms(m.dbOne.purchaseMs.p95)}/${ms(m.dbOne.purchaseMs.p99)}, ` +
        `whole flow p95 ${ms(m.dbOne.flowMs.p95)}; steps p50/p95 (pool wait included): ` +
        Object.entries(m.dbOne.stepMs)
          .map(([step, t]) => `${step} ${ms(t.p50)}/${ms(t.p95)}`)
          .join(', '),
    },
    {
      name: 'purchase database floor 8 events / 1 event',
      value: m.dbEight.perSecond,
      unit: '/s',
      target: null,
      floor: dbFloor,
      ratio: m.dbEight.perSecond / dbFloor,
      pass: null,
      note:
        `the same buyers spread over 8 events (each its own event row and ticket-type row): purchase half p95 ` +
        `${ms(m.dbEight.purchaseMs.p95)} against ${ms(m.dbOne.purchaseMs.p95)}; steps p50 (8 / 1 events): ` +
        (Object.keys(m.dbOne.stepMs) as (keyof FloorResult['stepMs'])[])
          .map((step) => `${step} ${ms(m.dbEight.stepMs[step].p50)} / ${ms(m.dbOne.stepMs[step].p50)}`)
          .join(', '),
    },
    {
      name: 'purchase throughput 8 events / 1 event',
      value: spreadPerSecond,
      unit: '/s',
      target: null,
      floor: perSecond,
      ratio: spreadPerSecond / perSecond,
      pass: null,
      note: `${m.connections} buyers over HTTP spread over 8 events, run right after the one-event run for as long`,
    },
    {
      name: 'purchase p95 8 events / 1 event',
      value: spreadPurchase.p95,
      unit: 'ms',
      target: null,
      floor: purchase.p95,
      ratio: spreadPurchase.p95 / purchase.p95,
      pass: null,
    },
    {
      name: 'oversold seats',
      value: m.oversold,
      unit: '',
      target: '0',
      pass: m.oversold === 0 && !m.inconsistent,
      note: `contended phase: ${m.contended.tickets} tickets for ${m.contended.capacity} seats`,
    },
  ];
}

/** Runs the floors and the phases; returns figures for the bench report. */
export async function benchPurchaseThroughput(options: { quick?: boolean } = {}): Promise<BenchResult[]> {
  const baseUrl = process.env['DATABASE_URL'] || process.env['TEST_DATABASE_URL'];
  if (!baseUrl) throw new Error('purchase throughput needs DATABASE_URL or TEST_DATABASE_URL (PostgreSQL)');
  const connections = Math.min(500, Number(process.env['BENCH_CONNECTIONS'] ?? (options.quick ? 50 : 500)));
  const seconds = Math.min(30, Number(process.env['BENCH_SECONDS'] ?? (options.quick ? 3 : 20)));
  const floorSeconds = options.quick ? 1 : 10;

  const name = `bench_purchase_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const port = await freePort();
  let child: ChildProcess | undefined;
  const db = new pg.Client({ connectionString: url.toString() });
  try {
    child = await startServer(url.toString(), port);
    await db.connect();
    const base = `http://127.0.0.1:${port}`;
    const tenant = `bench-${randomUUID()}`;
    const events = async (count: number, capacity: number) => {
      const made: { eventId: string; typeId: string }[] = [];
      for (let i = 0; i < count; i++) made.push(await seed(base, tenant, capacity));
      return made;
    };

    // HTTP floor: the same server, clients and connections on GET /health (no auth, no database) — the
    // most requests per second this machine gives any route. A purchase costs two requests (hold + buy).
    const floor = await autocannon({
      url: `${base}/health`,
      connections,
      duration: options.quick ? 2 : 5,
      timeout: 30,
    });

    // Database floor: the flow's statements at the same concurrency, one event and then eight.
    const floorRun = async (targets: { eventId: string; typeId: string }[]) =>
      purchaseDatabaseFloor({
        databaseUrl: url.toString(),
        tenantId: tenant,
        targets,
        buyers: connections,
        seconds: floorSeconds,
      });
    const dbOne = await floorRun(await events(1, 1_000_000));
    const dbEight = await floorRun(await events(8, 1_000_000));

    // Phase 1: throughput with plenty of seats, one event; then the same load spread over eight.
    const open = await events(1, 1_000_000);
    const throughput = await drive(base, tenant, open, connections, seconds);
    const eight = await events(8, 1_000_000);
    const spread = await drive(base, tenant, eight, connections, seconds);
    const openChecks = [];
    // One client: one query at a time.
    for (const t of [...open, ...eight]) openChecks.push(await oversold(db, t.typeId));

    // Phase 2: contention — every buyer competes for far fewer seats than there are buyers × seconds.
    const scarceSeats = options.quick ? 100 : 2_000;
    const scarce = await seed(base, tenant, scarceSeats);
    await drive(base, tenant, [scarce], connections, options.quick ? 2 : 5);
    const scarceCheck = await oversold(db, scarce.typeId);
    const checks = [...openChecks, scarceCheck];

    return figuresOf({
      connections,
      httpFloorRequests: floor.requests.average,
      dbOne,
      dbEight,
      open: throughput,
      spread,
      contended: {
        capacity: scarceSeats,
        sold: scarceCheck.sold,
        held: scarceCheck.held,
        tickets: scarceCheck.tickets,
      },
      oversold: checks.reduce((sum, c) => sum + c.oversold, 0),
      inconsistent: checks.some((c) => c.inconsistent),
    });
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child?.once('exit', r));
    }
    await db.end().catch(() => {});
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    await admin.end();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { printTable } = await import('./lib/report');
  printTable(await benchPurchaseThroughput({ quick: process.env['BENCH_QUICK'] === '1' }));
}
