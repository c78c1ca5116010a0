/**
 * Redis unreachable (issue 15, finding 7): BullMQ's Queue.add waits for a connection for ever, so before
 * the fix `POST /venues`, `POST /events/:id/cancel` and `POST /events/:id/reconciliation` hung and a
 * SIGTERM'd cloud never exited. Here Redis is a port where nothing listens, or a server that accepts and
 * never answers. The real cloud (startCloud, real HTTP) must answer each of those requests within a
 * bound; once Redis is back the sweeps do the work that could not be queued (the refund, the
 * reconciliation, the venue's nightly schedule); and the cloud process (cloud/main.ts as a child)
 * exits within SHUTDOWN_GRACE_MS of a SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config';
import { reconciliationReports } from '../db/reconciliation-schema';
import { orders } from '../db/schema';
import type { BullMqJobRunner } from '../jobs/bullmq-runner';
import { type RunningCloud, startCloud } from '../server';
import { testRedisUrl, uniquePrefix } from '../test-support/redis';
import { type RedisOutage, RedisStandIn } from '../test-support/redis-stand-in';
import { mintUserToken } from '../test-support/tokens';

const redisUrl = testRedisUrl();
const SECRET = randomBytes(32).toString('base64url');
/** What "answers within a bound" means here: the enqueue bound (1.5 s) plus the request's own work. */
const ANSWER_BOUND_MS = 4_000;
const scratch = mkdtempSync(join(tmpdir(), 'cloud-redis-down-'));
const OUTAGES: RedisOutage[] = ['refused', 'silent'];

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function cloudEnv(redis: RedisStandIn, graceMs: number): Record<string, string> {
  return {
    PORT: '0',
    DATA_DIR: mkdtempSync(join(scratch, `${redis.outage}-`)),
    AUTH_JWT_SECRET: SECRET,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    REDIS_URL: redis.url,
    JOBS_PREFIX: uniquePrefix(`redis-${redis.outage}`),
    SHUTDOWN_GRACE_MS: String(graceMs),
    LOG_LEVEL: 'silent',
  };
}

/** An HTTP call that also measures how long the answer took. */
async function timedCall(base: string, token: string, method: string, path: string, body?: unknown) {
  const started = performance.now();
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'idempotency-key': `k-${randomUUID()}`,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the tests read several response shapes
  const json = (await response.json()) as any;
  return { status: response.status, body: json, ms: performance.now() - started };
}

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`not done within ${timeoutMs} ms: ${what}`);
}

describe.runIf(Boolean(redisUrl)).each(OUTAGES)('Redis %s', (outage) => {
  it('requests that queue jobs answer within a bound; the sweeps do the work once Redis is back', async () => {
    const redis = await RedisStandIn.start(outage);
    const graceMs = 5_000;
    const config = loadConfig(cloudEnv(redis, graceMs), { generateDevSecrets: false });
    let running: RunningCloud | undefined;
    try {
      running = await startCloud(config, {
        hostname: '127.0.0.1',
        sweepIntervals: { holdsMs: 500, refundsMs: 500, reconciliationsMs: 500, schedulesMs: 500 },
      });
      const base = running.url;
      const tenant = `t-${randomUUID()}`;
      const admin = await mintUserToken({ sub: 'admin', tid: tenant, role: 'admin', secret: SECRET });
      const buyer = await mintUserToken({ sub: 'buyer', tid: tenant, role: 'customer', secret: SECRET });

      const venue = await timedCall(base, admin, 'POST', '/api/v1/venues', { name: 'V', timezone: 'UTC' });
      expect(venue.status).toBe(201);
      expect(venue.ms).toBeLessThan(ANSWER_BOUND_MS);
      const event = await timedCall(base, admin, 'POST', '/api/v1/events', {
        venueId: venue.body.id,
        name: 'E',
        startsAt: new Date(Date.now() + 86_400_000).toISOString(),
        endsAt: new Date(Date.now() + 90_000_000).toISOString(),
      });
      const eventId = event.body.id as string;
      const type = await timedCall(base, admin, 'POST', `/api/v1/events/${eventId}/ticket-types`, {
        name: 'G',
        priceCents: 100,
        currency: 'EUR',
        capacity: 10,
      });
      expect((await timedCall(base, admin, 'POST', `/api/v1/events/${eventId}/publish`)).status).toBe(200);
      const hold = await timedCall(base, buyer, 'POST', `/api/v1/events/${eventId}/reservations`, {
        items: [{ ticketTypeId: type.body.id, quantity: 1 }],
      });
      expect(hold.status).toBe(201);
      const purchase = await timedCall(base, buyer, 'POST', `/api/v1/reservations/${hold.body.id}/purchase`, {
        paymentToken: 'tok_visa',
      });
      expect(purchase.status).toBe(201);
      const orderId = purchase.body.order.id as string;

      const reconciliation = await timedCall(base, admin, 'POST', `/api/v1/events/${eventId}/reconciliation`);
      expect(reconciliation.status).toBe(202);
      expect(reconciliation.body.status).toBe('pending');
      expect(reconciliation.ms).toBeLessThan(ANSWER_BOUND_MS);
      const cancel = await timedCall(base, admin, 'POST', `/api/v1/events/${eventId}/cancel`, {
        reason: 'storm',
      });
      expect(cancel.status).toBe(200);
      expect(cancel.body.refundsQueued).toBe(1);
      expect(cancel.ms).toBeLessThan(ANSWER_BOUND_MS);

      // Nothing was queued, so nothing happened yet.
      const db = running.database.db;
      const orderStatus = async () =>
        (await db.select().from(orders).where(eq(orders.id, orderId)))[0]?.status;
      const runStatus = async () =>
        (
          await db
            .select()
            .from(reconciliationReports)
            .where(eq(reconciliationReports.id, reconciliation.body.id))
        )[0]?.status;
      expect(await orderStatus()).toBe('paid');
      expect(await runStatus()).toBe('pending');

      // Redis comes back: the sweeps queue what could not be queued, and the workers do it.
      await redis.recover(redisUrl!);
      const jobs = running.cloud.jobs as BullMqJobRunner;
      await eventually('the refund of the cancelled event', async () => (await orderStatus()) === 'refunded');
      await eventually('the requested reconciliation', async () => (await runStatus()) === 'done');
      await eventually('the venue’s nightly schedule', async () =>
        (await jobs.nightlySchedulers().catch(() => [])).some((s) => s.id === `venue-${venue.body.id}`),
      );

      const started = performance.now();
      await running.close();
      running = undefined;
      expect(performance.now() - started).toBeLessThan(graceMs);
    } finally {
      await running?.close();
      await redis.close();
    }
  }, 90_000);

  it('a SIGTERM’d cloud process exits within SHUTDOWN_GRACE_MS', async () => {
    const redis = await RedisStandIn.start(outage);
    const graceMs = 3_000;
    let child: ChildProcess | undefined;
    try {
      child = spawn(process.execPath, ['--import', 'tsx', 'cloud/main.ts'], {
        env: { PATH: process.env['PATH'] ?? '', ...cloudEnv(redis, graceMs), LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const running = child;
      let stderr = '';
      running.stderr?.on('data', (chunk) => {
        stderr += String(chunk);
      });
      const url = await new Promise<string>((resolve, reject) => {
        let stdout = '';
        running.stdout?.on('data', (chunk) => {
          stdout += String(chunk);
          const match = /cloud API: (http:\/\/[^/\s]+)/.exec(stdout);
          if (match?.[1]) resolve(match[1]);
        });
        running.once('exit', (code) => reject(new Error(`cloud exited with ${code}: ${stderr}`)));
        setTimeout(() => reject(new Error(`cloud did not start: ${stderr}`)), 60_000).unref();
      });
      const admin = await mintUserToken({ sub: 'admin', tid: 't', role: 'admin', secret: SECRET });
      const venue = await timedCall(url, admin, 'POST', '/api/v1/venues', { name: 'V', timezone: 'UTC' });
      expect(venue.status).toBe(201);
      expect(venue.ms).toBeLessThan(ANSWER_BOUND_MS);

      const exited = new Promise<number | null>((resolve) => running.once('exit', (code) => resolve(code)));
      const started = performance.now();
      running.kill('SIGTERM');
      const code = await exited;
      const elapsed = performance.now() - started;
      expect(elapsed, stderr).toBeLessThan(graceMs);
      expect(code, stderr).toBe(0);
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await redis.close();
    }
  }, 90_000);
});
