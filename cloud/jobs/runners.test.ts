// The two job runners behave alike: the same definitions, retries on their schedule, permanent errors not
// retried, deduplication by job id, delays, concurrency, and a close that lets the running job finish.
// The BullMQ runner runs against real Redis with its own key prefix.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { testRedisUrl, uniquePrefix } from '../test-support/redis';
import { BullMqJobRunner } from './bullmq-runner';
import { type JobDefinition, type JobDefinitions, PermanentJobError } from './definition';
import { InProcessJobRunner } from './in-process-runner';
import type { JobRunner } from './runner';

const redisUrl = testRedisUrl();
const logger = pino({ level: 'silent' });

interface Recorder {
  events: { job: string; outcome: string }[];
  business: { job(job: string, outcome: string): void };
}

function recorder(): Recorder {
  const events: { job: string; outcome: string }[] = [];
  return { events, business: { job: (job, outcome) => events.push({ job, outcome }) } };
}

type Factory = (definitions: JobDefinitions, business: Recorder['business']) => JobRunner;

const factories: [string, Factory | undefined][] = [
  [
    'in-process',
    (definitions, business) =>
      new InProcessJobRunner({ definitions, logger, business, reconciliationLocalTime: '04:00' }),
  ],
  [
    'bullmq',
    redisUrl
      ? (definitions, business) =>
          new BullMqJobRunner({
            definitions,
            redisUrl,
            prefix: uniquePrefix('runner'),
            logger,
            business,
            reconciliationLocalTime: '04:00',
          })
      : undefined,
  ],
];

/** A refund-shaped test job whose behaviour each test scripts. */
function refundJob(
  overrides: Partial<JobDefinition<'refund'>> & Pick<JobDefinition<'refund'>, 'run'>,
): JobDefinitions {
  return {
    refund: { name: 'refund', attempts: 3, backoffMs: () => 50, concurrency: 1, ...overrides },
  };
}

const data = (orderId: string) => ({ tenantId: 't', orderId, reason: 'test' });

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

for (const [kind, factory] of factories) {
  describe.skipIf(!factory)(`${kind} runner`, () => {
    const open: JobRunner[] = [];
    const make: Factory = (definitions, business) => {
      const runner = factory!(definitions, business);
      open.push(runner);
      return runner;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((runner) => runner.close()));
    });

    it('retries on the definition schedule and stops at the first success', async () => {
      const calls: { attempt: number; at: number }[] = [];
      const rec = recorder();
      const runner = make(
        refundJob({
          attempts: 4,
          backoffMs: (attempt) => attempt * 150,
          async run(_data, { attempt }) {
            calls.push({ attempt, at: Date.now() });
            if (attempt < 3) throw new Error('provider down');
          },
        }),
        rec.business,
      );
      await runner.enqueue('refund', data('o1'));
      await until(() => rec.events.some((e) => e.outcome === 'completed'));
      expect(calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
      // Gaps follow backoffMs(1) = 150 ms, backoffMs(2) = 300 ms (timers may only be late, not early).
      expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(140);
      expect(calls[2]!.at - calls[1]!.at).toBeGreaterThanOrEqual(290);
      expect(rec.events.map((e) => e.outcome)).toEqual(['retrying', 'retrying', 'completed']);
    });

    it('gives up after the last attempt and records it once', async () => {
      const gaveUp: unknown[] = [];
      const rec = recorder();
      let calls = 0;
      const runner = make(
        refundJob({
          attempts: 2,
          async run() {
            calls++;
            throw new Error('still down');
          },
          async onGaveUp(_data, error) {
            gaveUp.push(error);
          },
        }),
        rec.business,
      );
      await runner.enqueue('refund', data('o2'));
      await until(() => gaveUp.length === 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(calls).toBe(2);
      expect(gaveUp).toHaveLength(1);
      expect(rec.events.map((e) => e.outcome)).toEqual(['retrying', 'failed']);
    });

    it('does not retry a permanent failure', async () => {
      const gaveUp: unknown[] = [];
      let calls = 0;
      const runner = make(
        refundJob({
          attempts: 5,
          async run() {
            calls++;
            throw new PermanentJobError('order does not exist');
          },
          async onGaveUp(_data, error) {
            gaveUp.push(error);
          },
        }),
        recorder().business,
      );
      await runner.enqueue('refund', data('o3'));
      await until(() => gaveUp.length === 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(calls).toBe(1);
      expect(gaveUp[0]).toBeInstanceOf(PermanentJobError);
    });

    it('drops a second job with the same id while the first is pending', async () => {
      const seen: string[] = [];
      const runner = make(
        refundJob({
          async run(job) {
            seen.push(job.orderId);
          },
        }),
        recorder().business,
      );
      await runner.enqueue('refund', data('same'), { jobId: 'order-1', delayMs: 200 });
      await runner.enqueue('refund', data('same'), { jobId: 'order-1', delayMs: 200 });
      await runner.enqueueMany('refund', [
        { data: data('same'), options: { jobId: 'order-1' } },
        { data: data('other'), options: { jobId: 'order-2' } },
      ]);
      await until(() => seen.length >= 2);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(seen.sort()).toEqual(['other', 'same']);
    });

    it('runs a delayed job no earlier than its delay', async () => {
      let ranAt = 0;
      const runner = make(
        refundJob({
          async run() {
            ranAt = Date.now();
          },
        }),
        recorder().business,
      );
      const queuedAt = Date.now();
      await runner.enqueue('refund', data('later'), { delayMs: 400 });
      await until(() => ranAt > 0);
      expect(ranAt - queuedAt).toBeGreaterThanOrEqual(390);
    });

    it('keeps to the definition concurrency', async () => {
      let active = 0;
      let peak = 0;
      let done = 0;
      const runner = make(
        refundJob({
          concurrency: 2,
          async run() {
            active++;
            peak = Math.max(peak, active);
            await new Promise((resolve) => setTimeout(resolve, 60));
            active--;
            done++;
          },
        }),
        recorder().business,
      );
      await runner.enqueueMany(
        'refund',
        Array.from({ length: 8 }, (_, i) => ({ data: data(`c${i}`) })),
      );
      await until(() => done === 8);
      expect(peak).toBe(2);
    });

    it('lets the running job finish on close', async () => {
      let finished = false;
      let started = false;
      const runner = make(
        refundJob({
          async run() {
            started = true;
            await new Promise((resolve) => setTimeout(resolve, 300));
            finished = true;
          },
        }),
        recorder().business,
      );
      await runner.enqueue('refund', data('slow'));
      await until(() => started);
      await runner.close();
      expect(finished).toBe(true);
    });

    it('refuses a job it has no definition for', async () => {
      const runner = make(refundJob({ async run() {} }), recorder().business);
      await expect(runner.enqueue('hold-expiry', { reservationId: 'x' })).rejects.toThrow(/no handler/);
    });
  });
}
