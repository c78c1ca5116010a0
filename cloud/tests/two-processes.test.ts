/**
 * Horizontal scale (issue 19): real cloud processes (cloud/main.ts as children) on one PostgreSQL
 * database and one Redis prefix.
 *
 * Two processes on two ports, as replicas behind a load balancer: purchases through both for the last
 * seats never oversell; a gate streaming from A hears of a change made through B within 2 s; a job queued
 * through one process runs once across both; and a gate's push stream comes back after A is killed
 * (kill -9) and started again.
 *
 * One port with CLOUD_WORKERS=2 (cloud/cluster.ts): the primary migrates once and starts two workers, a
 * worker killed with kill -9 is started again while the other answers, and SIGTERM stops them all.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import http from 'node:http';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GateAgent, startGateAgent } from '../../gate-agent/agent';
import { makeTempDir } from '../../gate-agent/test-support/stores';
import { buyTickets, type CloudApi, type SeededEvent, seedEvent } from '../test-support/cloud';
import {
  type CloudProcess,
  cloudProcess,
  eventually,
  freePort,
  readEventsUntil,
  remoteApi,
  sharedCloudEnv,
  sharedDatabase,
} from '../test-support/cloud-process';
import { enrollmentToken, enrollTestDevice } from '../test-support/devices';
import { testRedisUrl, uniquePrefix } from '../test-support/redis';

const redisUrl = testRedisUrl();
const runnable = Boolean(redisUrl && process.env['TEST_DATABASE_URL']);
// Under CI both services are there (testRedisUrl already throws without Redis): never skip quietly.
if (!runnable && process.env['CI'] === 'true') throw new Error('CI=true but TEST_DATABASE_URL is not set');
/** Bounds for conditions on a busy two-core machine; the 2 s promise itself is asserted separately. */
const SETTLE_MS = 30_000;

/**
 * GET on a connection of its own (no keep-alive), so node:cluster may hand it to any worker: the status,
 * or with `body` the body text (throwing on a status other than 200).
 */
function getOnNewConnection(url: string, token: string, body = false): Promise<number | string> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        if (!body) resolve(res.statusCode ?? 0);
        else if (res.statusCode === 200) resolve(text);
        else reject(new Error(`GET ${url}: ${res.statusCode} ${text.slice(0, 300)}`));
      });
    });
    request.setTimeout(30_000, () => request.destroy(new Error(`GET ${url}: timed out`)));
    request.on('error', reject);
  });
}

/** Sum of `jobs_total{job, outcome}` over the processes' /metrics. */
async function jobsTotal(apis: CloudApi[], job: string, outcome: string): Promise<number> {
  let total = 0;
  for (const api of apis) {
    const metrics = await api.call('GET', '/metrics', { token: await api.token('ops', 'ops-tenant') });
    if (metrics.status !== 200) throw new Error(`metrics: ${metrics.status}`);
    const line = new RegExp(`^jobs_total\\{job="${job}",outcome="${outcome}"\\} (\\d+)$`, 'm');
    total += Number(line.exec(String(metrics.body))?.[1] ?? 0);
  }
  return total;
}

describe.skipIf(!runnable)('two cloud processes on one PostgreSQL and one Redis', () => {
  let database: Awaited<ReturnType<typeof sharedDatabase>>;
  let sql: pg.Pool;
  let a: CloudProcess;
  let b: CloudProcess;
  let apiA: CloudApi;
  let apiB: CloudApi;
  let seeded: SeededEvent;

  beforeAll(async () => {
    database = await sharedDatabase();
    sql = new pg.Pool({ connectionString: database.url, max: 2 });
    const secret = randomBytes(32).toString('base64url');
    const env = sharedCloudEnv({
      databaseUrl: database.url,
      redisUrl: redisUrl!,
      jobsPrefix: uniquePrefix('two-processes'),
      secret,
    });
    a = cloudProcess(await freePort(), env);
    b = cloudProcess(await freePort(), env);
    // Both start at once: the migrations' advisory lock lets only one of them migrate.
    await Promise.all([a.start(), b.start()]);
    apiA = remoteApi(a.url, secret);
    apiB = remoteApi(b.url, secret);
    seeded = await seedEvent(apiA, { capacities: [10, 100] });
  }, 180_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await sql?.end();
    await database?.drop();
  });

  it('sells the last seats through both processes without overselling', async () => {
    // 24 buyers, half through each process, for 10 seats: 10 buy, every other one is told SOLD_OUT.
    const outcomes = await Promise.all(
      Array.from({ length: 24 }, async (_, index) => {
        const api = index % 2 === 0 ? apiA : apiB;
        const token = await api.token('customer', seeded.tenant);
        const hold = await api.call('POST', `/api/v1/events/${seeded.eventId}/reservations`, {
          token,
          body: { items: [{ ticketTypeId: seeded.ticketTypeIds[0], quantity: 1 }] },
        });
        if (hold.status !== 201) return { status: hold.status, code: hold.body?.error?.code as string };
        const purchase = await api.call('POST', `/api/v1/reservations/${hold.body.id}/purchase`, {
          token,
          headers: { 'idempotency-key': `buy-${index}-${randomBytes(4).toString('hex')}` },
          body: { paymentToken: 'tok_visa' },
        });
        return { status: purchase.status, code: purchase.body?.error?.code as string };
      }),
    );
    const sold = outcomes.filter((o) => o.status === 201).length;
    const refused = outcomes.filter((o) => o.status !== 201);
    expect(sold).toBe(10);
    expect(
      refused.every((o) => o.status === 409 && o.code === 'SOLD_OUT'),
      JSON.stringify(refused),
    ).toBe(true);
    const tickets = await sql.query('select count(*)::int as n from tickets where ticket_type_id = $1', [
      seeded.ticketTypeIds[0],
    ]);
    expect(tickets.rows[0].n).toBe(10);
  });

  it('tells a gate streaming from A of a sale made through B within 2 s', async () => {
    const device = await enrollTestDevice(apiA, seeded);
    const controller = new AbortController();
    const response = await fetch(`${a.url}/api/v1/sync/stream`, {
      headers: { authorization: `Bearer ${device.accessToken}` },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    try {
      expect(await readEventsUntil(reader, (event) => event === 'ready', SETTLE_MS)).toBeDefined();
      const sale = await buyTickets(apiB, seeded, { typeIndex: 1 });
      const soldAt = Date.now();
      const told = await readEventsUntil(reader, (event) => event === 'manifest', SETTLE_MS);
      expect(told, 'the stream to A never told of the sale through B').toBeDefined();
      expect(JSON.parse(told!.data).eventId).toBe(seeded.eventId);
      expect(Date.now() - soldAt).toBeLessThan(2_000);
      expect(sale.purchase.order.id).toBeTruthy();
    } finally {
      controller.abort();
      await reader.cancel().catch(() => {});
    }
  });

  it('runs a job queued through one process exactly once across both', async () => {
    // Its own event: six paid orders, bought through both, refunded by one cancellation through B.
    const own = await seedEvent(apiA, { tenant: seeded.tenant, capacities: [50] });
    const before = await jobsTotal([apiA, apiB], 'refund', 'completed');
    for (let index = 0; index < 6; index++) await buyTickets(index % 2 ? apiA : apiB, own);
    const cancelled = await apiB.call('POST', `/api/v1/events/${own.eventId}/cancel`, {
      token: own.adminToken,
      body: { reason: 'storm' },
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.refundsQueued).toBe(6);
    const refunded = async () =>
      (
        await sql.query("select count(*)::int as n from orders where event_id = $1 and status = 'refunded'", [
          own.eventId,
        ])
      ).rows[0].n as number;
    await eventually('six refunds', async () => (await refunded()) === 6, SETTLE_MS);
    // Six refund jobs, six completed attempts in all: none ran in both processes, none twice.
    await eventually(
      'six completed refund jobs',
      async () => (await jobsTotal([apiA, apiB], 'refund', 'completed')) - before >= 6,
      SETTLE_MS,
    );
    expect((await jobsTotal([apiA, apiB], 'refund', 'completed')) - before).toBe(6);
    expect(await jobsTotal([apiA, apiB], 'refund', 'retrying')).toBe(0);
  });

  it('keeps a gate’s push stream: A is killed and started again, and the gate hears the next change', async () => {
    const dataDir = makeTempDir();
    let agent: GateAgent | undefined;
    try {
      // A gate on A whose timed pull is an hour away: only its stream (and the pull on connect) delivers.
      agent = await startGateAgent({
        dataDir,
        cloudUrl: a.url,
        enrollmentToken: (await enrollmentToken(apiA, seeded)).token,
        port: 0,
        logger: pino({ level: 'silent' }),
        syncIntervalMs: 3_600_000,
      });
      await agent.syncNow();
      const seqOf = async () => (await agent!.status()).events[0]!.manifestSeq;
      const first = await seqOf();
      await buyTickets(apiB, seeded, { typeIndex: 1 });
      await eventually(
        'the gate hears a sale through its stream',
        async () => (await seqOf()) > first,
        SETTLE_MS,
      );

      await a.stop('SIGKILL');
      const whileDown = await seqOf();
      await buyTickets(apiB, seeded, { typeIndex: 1 });
      await a.start();
      // Reconnected (its stream retries every ≤ 2 s), the gate pulls what it missed …
      await eventually(
        'the gate catches up after A restarts',
        async () => (await seqOf()) > whileDown,
        SETTLE_MS,
      );
      // … and its new stream tells it of the next change.
      const caughtUp = await seqOf();
      await buyTickets(apiB, seeded, { typeIndex: 1 });
      await eventually(
        'the gate hears a change after A restarts',
        async () => (await seqOf()) > caughtUp,
        SETTLE_MS,
      );
    } finally {
      await agent?.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe.skipIf(!runnable)('CLOUD_WORKERS=2: one port, two worker processes', () => {
  it('starts two workers, restarts one killed with kill -9, and stops all on SIGTERM', async () => {
    const database = await sharedDatabase();
    const secret = randomBytes(32).toString('base64url');
    const env = {
      ...sharedCloudEnv({
        databaseUrl: database.url,
        redisUrl: redisUrl!,
        jobsPrefix: uniquePrefix('cluster'),
        secret,
      }),
      CLOUD_WORKERS: '2',
      LOG_LEVEL: 'info',
    };
    const cloud = cloudProcess(await freePort(), env);
    try {
      await cloud.start();
      const workers = () =>
        [
          ...cloud
            .output()
            .matchAll(/"worker":(\d),"pid":(\d+),"lane":"general","msg":"cloud worker listening"/g),
        ].map((match) => ({ slot: Number(match[1]), pid: Number(match[2]) }));
      await eventually('two workers listening', async () => workers().length >= 2, 60_000);
      expect(new Set(workers().map((w) => w.slot))).toEqual(new Set([1, 2]));
      expect(cloud.output()).toContain('(2 processes)');
      const api = remoteApi(cloud.url, secret);
      const seeded = await seedEvent(api);

      // /metrics answers for both workers whichever one takes the scrape: 20 reads, each on its own
      // connection (node:cluster deals connections to the workers in turn), count 20 in every scrape.
      const path = `/api/v1/events/${seeded.eventId}`;
      for (let i = 0; i < 20; i++) {
        expect(await getOnNewConnection(`${cloud.url}${path}`, seeded.adminToken)).toBe(200);
      }
      const opsToken = await api.token('ops', 'ops-tenant');
      for (let scrape = 0; scrape < 3; scrape++) {
        const metrics = await getOnNewConnection(`${cloud.url}/metrics`, opsToken, true);
        expect(metrics).toMatch(/^db_pool_connections\{state="total"\} \d+$/m);
        const line =
          /^http_requests_total\{method="GET",route="\/api\/v1\/events\/:id",status="200"\} (\d+)$/m;
        expect(Number(line.exec(String(metrics))?.[1])).toBe(20);
      }

      const killed = workers().find((w) => w.slot === 1)!;
      process.kill(killed.pid, 'SIGKILL');
      // The primary logs the death and starts worker 1 again; the other worker answers meanwhile.
      await eventually('the death logged', async () => cloud.output().includes('cloud worker died'), 30_000);
      expect(
        (await api.call('GET', `/api/v1/events/${seeded.eventId}`, { token: seeded.adminToken })).status,
      ).toBe(200);
      await eventually(
        'worker 1 started again',
        async () => workers().filter((w) => w.slot === 1).length === 2,
        60_000,
      );
      await buyTickets(api, seeded);

      const pids = workers().map((w) => w.pid);
      const code = await cloud.stop('SIGTERM');
      expect(code, cloud.output().slice(-3000)).toBe(0);
      const alive = pids.filter((pid) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      });
      expect(alive).toEqual([]);
    } finally {
      await cloud.stop('SIGKILL');
      await database.drop();
    }
  }, 240_000);
});
