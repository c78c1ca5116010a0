/**
 * Redis for tests: REDIS_URL when set. Without it the Redis suites skip with a reason on a developer
 * machine, and fail under CI=true (a CI run that could not reach Redis must not pass by skipping).
 */
import { randomUUID } from 'node:crypto';

/** The Redis URL for tests, or undefined (developer machine without Redis). Throws under CI. */
export function testRedisUrl(): string | undefined {
  const url = process.env['REDIS_URL'];
  if (!url && process.env['CI'] === 'true') {
    throw new Error('REDIS_URL is not set under CI=true: the BullMQ suites cannot run');
  }
  if (!url) console.warn('REDIS_URL not set: BullMQ suites skipped (set REDIS_URL=redis://127.0.0.1:6379)');
  return url;
}

/** A key prefix no other test run uses (BullMQ queues live under it). */
export function uniquePrefix(label: string): string {
  return `test-${label}-${randomUUID().slice(0, 8)}`;
}
