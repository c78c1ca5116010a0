// The cloud's own jobs through the real app, with real PostgreSQL and (for BullMQ) real Redis:
// holds expire on their own and their seats are sold again, a lost expiry job does not leak seats (the
// sweep), cancellation refunds run as retried jobs, and every venue gets its nightly schedule.
import { randomUUID } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { BullMqJobRunner } from '../jobs/bullmq-runner';
import { InProcessJobRunner } from '../jobs/in-process-runner';
import { sweepHolds, sweepRefunds, syncNightlySchedules } from '../jobs/sweeps';
import { expireHold } from '../services/reservations';
import { buyTickets, createTestCloud, seedEvent, type TestCloud } from '../test-support/cloud';
import { startFakeMintingServer } from '../test-support/fake-minting-server';
import { testRedisUrl, uniquePrefix } from '../test-support/redis';

const redisUrl = testRedisUrl();

const modes: [string, Record<string, string> | undefined][] = [
  ['in-process', {}],
  ['bullmq', redisUrl ? { REDIS_URL: redisUrl } : undefined],
];

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function rows<T>(cloud: TestCloud, query: SQL): Promise<T[]> {
  return ((await cloud.database.db.execute(query)) as unknown as { rows: T[] }).rows;
}

for (const [mode, env] of modes) {
  describe.skipIf(!env)(`jobs on the ${mode} runner`, () => {
    let cloud: TestCloud | undefined;
    const start = async (extra: Record<string, string> = {}) => {
      cloud = await createTestCloud(
        { ...env, JOBS_PREFIX: uniquePrefix('cloud-jobs'), RESERVATION_TTL_SECONDS: '1', ...extra },
        { realClock: true },
      );
      return cloud;
    };
    afterEach(async () => {
      await cloud?.close();
      cloud = undefined;
    });

    it('expires a hold on its own and sells its seat again', async () => {
      const cloud = await start();
      expect(cloud.jobs.kind).toBe(mode);
      const seed = await seedEvent(cloud, { capacities: [1] });
      const customer = await cloud.token('customer', seed.tenant);
      const reserve = () =>
        cloud.call('POST', `/api/v1/events/${seed.eventId}/reservations`, {
          token: customer,
          body: { items: [{ ticketTypeId: seed.ticketTypeIds[0], quantity: 1 }] },
        });
      const first = await reserve();
      expect(first.status).toBe(201);
      expect((await reserve()).body.error.code).toBe('SOLD_OUT');
      // No request touches the event while we wait: only the delayed job can return the seat.
      await until(async () => {
        const [row] = await rows<{ status: string }>(
          cloud,
          sql`select status from reservations where id = ${first.body.id}`,
        );
        return row?.status === 'expired';
      });
      const [type] = await rows<{ taken: number }>(
        cloud,
        sql`select taken from ticket_types where id = ${seed.ticketTypeIds[0]}`,
      );
      expect(type?.taken).toBe(0);
      expect((await reserve()).status).toBe(201);
    });

    it('refunds every paid order of a cancelled event, retrying a provider outage', async () => {
      const cloud = await start({ RESERVATION_TTL_SECONDS: '600' });
      const seed = await seedEvent(cloud, { capacities: [20] });
      const orders: string[] = [];
      for (let i = 0; i < 4; i++)
        orders.push((await buyTickets(cloud, seed, { quantity: 2 })).purchase.order.id);
      // The provider is outside the product: it fails the first two refund calls.
      const provider = cloud.payments;
      const realRefund = provider.refund.bind(provider);
      let outages = 2;
      provider.refund = async (request) =>
        outages-- > 0 ? { ok: false, code: 'PAYMENT_UNAVAILABLE', message: 'down' } : realRefund(request);

      const cancel = await cloud.call('POST', `/api/v1/events/${seed.eventId}/cancel`, {
        token: seed.adminToken,
        body: { reason: 'storm' },
      });
      expect(cancel.status).toBe(200);
      expect(cancel.body.refundsQueued).toBe(4);
      await until(async () => provider.refunded.length === 4, 30_000);
      // The sweep finds nothing left to do, and a second sweep-queued round refunds nobody twice.
      await sweepRefunds(cloud.services);
      await cloud.jobs.drain();
      const keys = provider.refunded.map((r) => r.idempotencyKey);
      expect(new Set(keys).size).toBe(4);
      const statuses = await rows<{ status: string }>(
        cloud,
        sql`select status from orders where event_id = ${seed.eventId}`,
      );
      expect(statuses.map((r) => r.status)).toEqual(Array(4).fill('refunded'));
      expect(orders).toHaveLength(4);
    });

    it('mints every purchased ticket through the minting service without holding up the purchase', async () => {
      const secret = 'minting-secret-that-is-long-enough-0123456789';
      const minting = await startFakeMintingServer({ secret });
      try {
        // The service hangs on the first call (the purchase must not wait for it), then answers.
        minting.script({ kind: 'hang' });
        const cloud = await start({
          RESERVATION_TTL_SECONDS: '600',
          MINTING_SERVICE_URL: minting.url,
          INTERNAL_SERVICE_SECRET: secret,
          MINTING_TIMEOUT_MS: '300',
        });
        const seed = await seedEvent(cloud, { capacities: [10] });
        const started = Date.now();
        const { purchase } = await buyTickets(cloud, seed, { quantity: 3 });
        expect(Date.now() - started).toBeLessThan(2_000);
        const ids = (purchase.tickets as { id: string }[]).map((t) => t.id);
        await until(async () => {
          const minted = await rows<{ mint_status: string }>(
            cloud,
            sql`select mint_status from tickets where order_id = ${purchase.order.id} and mint_status = 'minted'`,
          );
          return minted.length === 3;
        }, 30_000);
        const recorded = await rows<{ id: string; mint_ref: string; mint_attempts: number }>(
          cloud,
          sql`select id, mint_ref, mint_attempts from tickets where order_id = ${purchase.order.id} order by id`,
        );
        for (const row of recorded) expect(row.mint_ref).toBe(`mint-${row.id}-g1`);
        // Every request was signed, and each ticket was minted by its own job.
        expect(minting.requests.every((r) => r.auth.ok)).toBe(true);
        const mintedIds = new Set(minting.requests.map((r) => (r.body as { ticketId: string }).ticketId));
        expect([...mintedIds].sort()).toEqual([...ids].sort());
      } finally {
        await minting.close();
      }
    });

    it('schedules the nightly reconciliation of every venue in its time zone', async () => {
      const cloud = await start();
      const admin = await cloud.token('admin', `tenant-${randomUUID()}`);
      const zones = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo'];
      const venueIds: string[] = [];
      for (const timezone of zones) {
        const venue = await cloud.call('POST', '/api/v1/venues', {
          token: admin,
          body: { name: timezone, timezone },
        });
        venueIds.push(venue.body.id);
      }
      // Running the schedule sync again (every process does at start and hourly) changes nothing.
      await syncNightlySchedules(cloud.services, cloud.jobs);
      await syncNightlySchedules(cloud.services, cloud.jobs);
      if (cloud.jobs instanceof BullMqJobRunner) {
        const schedulers = await cloud.jobs.nightlySchedulers();
        expect(schedulers).toHaveLength(3);
        for (const [index, venueId] of venueIds.entries()) {
          const scheduler = schedulers.find((s) => s.id === `venue-${venueId}`);
          expect(scheduler).toMatchObject({ pattern: '0 4 * * *', tz: zones[index] });
        }
      } else if (cloud.jobs instanceof InProcessJobRunner) {
        const schedule = cloud.jobs.nightlySchedule();
        expect(schedule.size).toBe(3);
        for (const [index, venueId] of venueIds.entries()) {
          const due = schedule.get(venueId)!;
          // Due at 04:00 in the venue's zone, within the next day.
          const local = new Intl.DateTimeFormat('en-GB', {
            timeZone: zones[index],
            hour: '2-digit',
            minute: '2-digit',
          });
          expect(local.format(due)).toBe('04:00');
          expect(due - Date.now()).toBeGreaterThan(0);
          expect(due - Date.now()).toBeLessThanOrEqual(25 * 3600_000);
        }
      }
    });
  });
}

describe('hold expiry without its job', () => {
  let cloud: TestCloud | undefined;
  afterEach(async () => {
    await cloud?.close();
  });

  it('returns the seats exactly once through the sweep when the job is lost, and ignores late deliveries', async () => {
    cloud = await createTestCloud({ RESERVATION_TTL_SECONDS: '60' });
    const seed = await seedEvent(cloud, { capacities: [3] });
    const customer = await cloud.token('customer', seed.tenant);
    const held = await cloud.call('POST', `/api/v1/events/${seed.eventId}/reservations`, {
      token: customer,
      body: { items: [{ ticketTypeId: seed.ticketTypeIds[0], quantity: 3 }] },
    });
    expect(held.status).toBe(201);
    // The process "crashes": its in-process delayed job is gone (a runner closed without running it).
    await cloud.jobs.close();
    const taken = async () =>
      (
        await rows<{ taken: number }>(
          cloud!,
          sql`select taken from ticket_types where id = ${seed.ticketTypeIds[0]}`,
        )
      )[0]?.taken;
    expect(await taken()).toBe(3);
    // Before expiry neither the sweep nor an early job delivery releases anything.
    expect(await sweepHolds(cloud.services)).toBe(0);
    expect(await expireHold(cloud.services, held.body.id, cloud.now())).toBe('not-due');
    cloud.advance(61_000);
    expect(await sweepHolds(cloud.services)).toBe(1);
    expect(await taken()).toBe(0);
    // The job arriving late (BullMQ delivers at least once) and a second sweep change nothing.
    expect(await expireHold(cloud.services, held.body.id, cloud.now())).toBe('settled');
    expect(await sweepHolds(cloud.services)).toBe(0);
    expect(await taken()).toBe(0);
  });
});
