/**
 * Delegated minting end to end below HTTP: real purchases and transfers on real PostgreSQL, the real
 * in-process job runner running the `mint-ticket` job, the real MintingServiceClient, and a local HTTP
 * server standing in for the minting service (the only fake). Seeding goes through the public API.
 */
import { randomUUID } from 'node:crypto';
import { inArray } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tickets } from '../db/schema';
import { InProcessJobRunner } from '../jobs/in-process-runner';
import { createConfiguredMintingJobs, createMintingJobs } from '../jobs/mint-ticket';
import { LateJobQueue } from '../jobs/registry';
import type { Actor } from '../services/actor';
import type { ServiceContext } from '../services/context';
import type { EnqueueOptions, JobName, JobPayloads, JobQueue } from '../services/job-queue';
import { MintingServiceClient } from '../services/minting/client';
import { findTicketsToMint, mintJobId, sweepPendingMints } from '../services/minting/tickets';
import { purchaseReservation, refundOrder } from '../services/orders';
import { transferTicket } from '../services/tickets';
import { createTestCloud, type SeededEvent, seedEvent, type TestCloud } from '../test-support/cloud';
import { type FakeMintingServer, startFakeMintingServer } from '../test-support/fake-minting-server';

const SECRET = 'minting-jobs-test-secret-0123456789ab';
const silent = pino({ level: 'silent' });

let cloud: TestCloud;
let seeded: SeededEvent;
let fake: FakeMintingServer;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  fake = await startFakeMintingServer({ secret: SECRET });
  cloud = await createTestCloud({ MINTING_SERVICE_URL: fake.url, INTERNAL_SERVICE_SECRET: SECRET });
  seeded = await seedEvent(cloud, { capacities: [500] });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  fake.reset();
  fake.setDefault({ kind: 'mint' });
});

afterAll(async () => {
  await cloud?.close();
  await fake?.close();
});

/** A JobQueue that only records (to look at tickets before any job runs), or fails on demand. */
class RecordingQueue implements JobQueue {
  readonly jobs: { name: JobName; data: unknown; options?: EnqueueOptions }[] = [];
  constructor(private readonly failWith?: Error) {}
  async enqueue<N extends JobName>(name: N, data: JobPayloads[N], options?: EnqueueOptions): Promise<void> {
    await this.enqueueMany(name, [{ data, ...(options ? { options } : {}) }]);
  }
  async enqueueMany<N extends JobName>(
    name: N,
    jobs: readonly { data: JobPayloads[N]; options?: EnqueueOptions }[],
  ): Promise<void> {
    if (this.failWith) throw this.failWith;
    for (const job of jobs) this.jobs.push({ name, ...job });
  }
  async scheduleNightlyReconciliation(): Promise<void> {}
}

/** The service context of the test cloud with minting on and `jobs` replaced. */
function contextWith(jobs: JobQueue, mintingEnabled = true): ServiceContext {
  return { ...cloud.services, jobs, mintingEnabled };
}

/** A real runner with only the mint job, bound to a context; the client is this runner's one client. */
function mintingRunner(options: { timeoutMs?: number; attempts?: number; halfOpenAfterMs?: number } = {}) {
  const queue = new LateJobQueue();
  const ctx = contextWith(queue);
  const client = new MintingServiceClient({
    url: fake.url,
    secret: SECRET,
    timeoutMs: options.timeoutMs ?? 2_000,
    retryBaseMs: 10,
    halfOpenAfterMs: options.halfOpenAfterMs ?? 300,
  });
  const definitions = createMintingJobs(ctx, client, { attempts: options.attempts ?? 3, backoffBaseMs: 50 });
  const runner = new InProcessJobRunner({
    definitions,
    logger: silent,
    business: ctx.business,
    reconciliationLocalTime: '04:00',
  });
  queue.bind(runner);
  cleanups.push(() => runner.close());
  return { ctx, runner, client, definition: definitions['mint-ticket'] };
}

/** Holds `quantity` tickets through the API and buys them through the purchase service with `ctx`. */
async function buy(ctx: ServiceContext, quantity = 1) {
  const userId = `user-${randomUUID()}`;
  const token = await cloud.token('customer', seeded.tenant, userId);
  const hold = await cloud.call('POST', `/api/v1/events/${seeded.eventId}/reservations`, {
    token,
    body: { items: [{ ticketTypeId: seeded.ticketTypeIds[0], quantity }] },
  });
  expect(hold.status).toBe(201);
  const actor: Actor = { userId, tenantId: seeded.tenant, role: 'customer' };
  const started = performance.now();
  const result = await purchaseReservation(ctx, actor, hold.body.id, {
    paymentToken: 'tok_visa',
    idempotencyKey: `key-${randomUUID()}`,
  });
  const elapsedMs = performance.now() - started;
  if (!result.ok) throw new Error(`purchase failed: ${result.code}`);
  return { actor, purchase: result.purchase, elapsedMs, ticketIds: result.purchase.tickets.map((t) => t.id) };
}

async function ticketRows(ids: string[]) {
  return cloud.services.db.select().from(tickets).where(inArray(tickets.id, ids)).orderBy(tickets.serial);
}

/** Polls until `check` passes (bounded: 50 tries × 100 ms). */
async function eventually(check: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await check();
    } catch (error) {
      if (attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('purchase → mint', () => {
  it('marks new tickets pending and queues one job per ticket, keyed by the ticket id', async () => {
    const recording = new RecordingQueue();
    const { ticketIds } = await buy(contextWith(recording), 3);
    const rows = await ticketRows(ticketIds);
    expect(rows.map((row) => row.mintStatus)).toEqual(['pending', 'pending', 'pending']);
    expect(rows.every((row) => row.mintAttempts === 0 && row.mintRef === null)).toBe(true);
    expect(recording.jobs).toEqual(
      ticketIds.map((ticketId) => ({
        name: 'mint-ticket',
        data: { tenantId: seeded.tenant, ticketId },
        options: { jobId: ticketId },
      })),
    );
    expect(fake.requests).toHaveLength(0);
  });

  it('the job records minted, the ref and the time; the service got the ticket without its QR', async () => {
    const { ctx, runner } = mintingRunner();
    const { actor, purchase, ticketIds } = await buy(ctx, 2);
    await runner.drain();
    await eventually(async () => expect(fake.requests).toHaveLength(2));
    const rows = await ticketRows(ticketIds);
    for (const row of rows) {
      expect(row).toMatchObject({
        mintStatus: 'minted',
        mintRef: `mint-${row.id}-g1`,
        mintAttempts: 1,
        mintError: null,
        mintedAt: new Date(cloud.now()),
      });
    }
    const sent = fake.requests.find((r) => (r.body as { ticketId: string }).ticketId === ticketIds[0])!;
    expect(sent.auth.ok).toBe(true);
    expect(sent.body).toEqual({
      ticketId: ticketIds[0],
      tenantId: seeded.tenant,
      eventId: seeded.eventId,
      ticketTypeId: seeded.ticketTypeIds[0],
      generation: 1,
      owner: actor.userId,
      event: { name: 'Concert', startsAt: new Date(cloud.now() + 3 * 3600_000).toISOString() },
      venue: { id: seeded.venueId, name: 'Arena', timezone: 'Europe/Berlin' },
      ticketType: { name: 'Standard', priceCents: 2500, currency: 'EUR' },
    });
    // Nothing that admits anyone leaves the cloud.
    const qr = purchase.tickets[0]!.qr;
    expect(sent.rawBody.toString('utf8')).not.toContain(qr.slice(0, 24));
    expect(sent.rawBody.toString('utf8')).not.toContain(rows[0]!.digest);
  });

  it('a 4xx marks the ticket failed with the answer and is not retried', async () => {
    const { ctx, runner } = mintingRunner();
    fake.script({ kind: 'status', status: 422, message: 'ticket type not mintable' });
    const { ticketIds } = await buy(ctx, 1);
    await runner.drain();
    await eventually(async () => {
      const [row] = await ticketRows(ticketIds);
      expect(row).toMatchObject({
        mintStatus: 'failed',
        mintError: 'rejected: HTTP 422: ticket type not mintable',
        mintAttempts: 1,
        mintRef: null,
      });
    });
    // A job retry would come 50 ms later, a client retry 10 ms later: neither happens.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await runner.drain();
    expect(fake.requests).toHaveLength(1);
    expect((await ticketRows(ticketIds))[0]!.mintAttempts).toBe(1);
  });

  it('running the job twice mints once', async () => {
    const { ctx, definition } = mintingRunner();
    const { ticketIds } = await buy(contextWith(new RecordingQueue()), 1);
    const ticketId = ticketIds[0]!;
    const attempt = { attempt: 1, attempts: 3, jobId: ticketId };
    await definition.run({ tenantId: seeded.tenant, ticketId }, attempt);
    await definition.run({ tenantId: seeded.tenant, ticketId }, attempt);
    expect(fake.requests).toHaveLength(1);
    const [row] = await ticketRows([ticketId]);
    expect(row).toMatchObject({ mintStatus: 'minted', mintRef: `mint-${ticketId}-g1`, mintAttempts: 1 });
    expect(ctx.mintingEnabled).toBe(true);
  });

  it('an unavailable service keeps the ticket pending across job retries, then the job gives up', async () => {
    // The circuit stays open for the whole test, however slow the machine (job retries come after 50 and
    // 100 ms), so the request count below is exact.
    const { ctx, runner, client } = mintingRunner({ attempts: 3, halfOpenAfterMs: 10_000 });
    fake.setDefault({ kind: 'status', status: 503 });
    const { ticketIds } = await buy(ctx, 1);
    await eventually(async () => {
      const [row] = await ticketRows(ticketIds);
      expect(row!.mintStatus).toBe('failed');
    });
    const [row] = await ticketRows(ticketIds);
    // Attempt 1: 1 + 3 calls; attempt 2: one call, the fifth failure, opens the circuit; attempt 3 is
    // refused by the open circuit without a call; then the job gives up.
    expect(fake.requests).toHaveLength(5);
    expect(client.circuitState).toBe('open');
    expect(row).toMatchObject({
      mintAttempts: 3,
      mintRef: null,
      mintError: 'gave up: minting service unavailable: minting service circuit is open',
    });
    await runner.drain();
  });

  it('the purchase answers at once while the minting service hangs', async () => {
    const timeoutMs = 3_000;
    const { ctx } = mintingRunner({ timeoutMs, attempts: 1 });
    fake.setDefault({ kind: 'hang' });
    const { elapsedMs, ticketIds } = await buy(ctx, 1);
    // A purchase that waited for minting would take at least one timeout (3 s).
    expect(elapsedMs).toBeLessThan(1_500);
    expect((await ticketRows(ticketIds))[0]!.mintStatus).toBe('pending');
    // …and the mint call really was in flight, hanging, meanwhile.
    await eventually(async () => expect(fake.requests).toHaveLength(1));
    expect((await ticketRows(ticketIds))[0]!.mintStatus).toBe('pending');
    fake.setDefault({ kind: 'status', status: 503 });
  });

  it('leaves minting alone when it is off', async () => {
    const recording = new RecordingQueue();
    const { ticketIds } = await buy(contextWith(recording, false), 2);
    const rows = await ticketRows(ticketIds);
    expect(rows.map((row) => row.mintStatus)).toEqual([null, null]);
    expect(recording.jobs).toHaveLength(0);
  });
});

describe('lost jobs and the sweep', () => {
  it('a purchase succeeds when queueing fails; the sweep finds the pending tickets and they get minted', async () => {
    const broken = contextWith(new RecordingQueue(new Error('redis unavailable')));
    const { ticketIds } = await buy(broken, 2);
    const rows = await ticketRows(ticketIds);
    expect(rows.map((row) => [row.mintStatus, row.mintError])).toEqual([
      ['pending', 'not queued: redis unavailable'],
      ['pending', 'not queued: redis unavailable'],
    ]);
    const mine = (found: { ticketId: string }[]) => found.filter((t) => ticketIds.includes(t.ticketId));
    // Too recent for the sweep: its job may still be on the way.
    expect(mine(await findTicketsToMint(cloud.services, 60_000))).toHaveLength(0);
    cloud.advance(120_000);
    expect(mine(await findTicketsToMint(cloud.services, 60_000))).toEqual(
      ticketIds.map((ticketId) => ({ tenantId: seeded.tenant, ticketId, generation: 1 })),
    );
    const { ctx, runner } = mintingRunner();
    expect(await sweepPendingMints(ctx, { olderThanMs: 60_000 })).toBeGreaterThanOrEqual(2);
    await runner.drain();
    await eventually(async () => {
      const after = await ticketRows(ticketIds);
      expect(after.map((row) => [row.mintStatus, row.mintError])).toEqual([
        ['minted', null],
        ['minted', null],
      ]);
    });
    expect(mine(await findTicketsToMint(cloud.services, 0))).toHaveLength(0);
  });

  it('rejects a bad sweep window', async () => {
    await expect(findTicketsToMint(cloud.services, -1)).rejects.toThrow(/olderThanMs/);
    await expect(findTicketsToMint(cloud.services, 0, 0)).rejects.toThrow(/limit/);
  });
});

describe('transfers and refunds', () => {
  it('a transfer re-mints the ticket for its new holder (next generation, its own job id)', async () => {
    const { ctx, runner } = mintingRunner();
    const { actor, ticketIds } = await buy(ctx, 1);
    const ticketId = ticketIds[0]!;
    await runner.drain();
    await eventually(async () => expect((await ticketRows([ticketId]))[0]!.mintStatus).toBe('minted'));

    const recording = new RecordingQueue();
    const transferred = await transferTicket(contextWith(recording), actor, ticketId, {
      toUserId: 'user-new',
    });
    expect(transferred.ok).toBe(true);
    expect((await ticketRows([ticketId]))[0]).toMatchObject({ mintStatus: 'pending', generation: 2 });
    expect(recording.jobs).toEqual([
      {
        name: 'mint-ticket',
        data: { tenantId: seeded.tenant, ticketId },
        options: { jobId: `${ticketId}-g2` },
      },
    ]);
    expect(mintJobId(ticketId, 2)).toBe(`${ticketId}-g2`);

    await ctx.jobs.enqueue(
      'mint-ticket',
      { tenantId: seeded.tenant, ticketId },
      { jobId: mintJobId(ticketId, 2) },
    );
    await runner.drain();
    await eventually(async () =>
      expect((await ticketRows([ticketId]))[0]).toMatchObject({
        mintStatus: 'minted',
        mintRef: `mint-${ticketId}-g2`,
        mintAttempts: 2,
      }),
    );
    expect(fake.requests.map((r) => (r.body as { owner: string; generation: number }).generation)).toEqual([
      1, 2,
    ]);
    expect((fake.requests[1]!.body as { owner: string }).owner).toBe('user-new');
  });

  it('a ticket refunded before its job runs is never minted', async () => {
    const { definition } = mintingRunner();
    const { purchase, ticketIds } = await buy(contextWith(new RecordingQueue()), 1);
    const refunded = await refundOrder(cloud.services, {
      tenantId: seeded.tenant,
      orderId: purchase.order.id,
      reason: 'customer_request',
    });
    expect(refunded.ok).toBe(true);
    await definition.run(
      { tenantId: seeded.tenant, ticketId: ticketIds[0]! },
      { attempt: 1, attempts: 3, jobId: 'x' },
    );
    expect(fake.requests).toHaveLength(0);
    expect((await ticketRows(ticketIds))[0]).toMatchObject({
      mintStatus: 'failed',
      mintError: 'revoked before minting',
      mintRef: null,
    });
  });

  it('a job for an unknown ticket fails permanently', async () => {
    const { definition } = mintingRunner();
    await expect(
      definition.run(
        { tenantId: seeded.tenant, ticketId: randomUUID() },
        { attempt: 1, attempts: 3, jobId: 'y' },
      ),
    ).rejects.toMatchObject({ name: 'PermanentJobError' });
    // Another tenant's ticket is unknown too.
    const { ticketIds } = await buy(contextWith(new RecordingQueue()), 1);
    await expect(
      definition.run(
        { tenantId: 'other-tenant', ticketId: ticketIds[0]! },
        { attempt: 1, attempts: 3, jobId: 'z' },
      ),
    ).rejects.toMatchObject({ name: 'PermanentJobError' });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('registration', () => {
  it('registers the mint job only when minting is configured, with the production retry policy', async () => {
    expect(createConfiguredMintingJobs(cloud.services, undefined)).toEqual({});
    const ctx = contextWith(new RecordingQueue());
    const { 'mint-ticket': definition } = createConfiguredMintingJobs(ctx, cloud.config.minting);
    expect(cloud.config.minting).toMatchObject({ url: fake.url, timeoutMs: 5_000 });
    expect(definition).toBeDefined();
    expect(definition!.attempts).toBe(8);
    expect([1, 2, 3, 4, 5, 6, 7].map((attempt) => definition!.backoffMs(attempt))).toEqual([
      30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000,
    ]);
    const { ticketIds } = await buy(ctx, 1);
    await definition!.run(
      { tenantId: seeded.tenant, ticketId: ticketIds[0]! },
      { attempt: 1, attempts: 8, jobId: 'r' },
    );
    expect((await ticketRows(ticketIds))[0]!.mintStatus).toBe('minted');
  });
});
