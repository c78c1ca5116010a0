/**
 * Rate limits (SPEC section 4): per-class limits answer 429 with Retry-After and the envelope; failed
 * authentications are limited per client address; with Redis configured the counts are shared, and a
 * Redis that is down fails open to the in-process limiter instead of refusing requests.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRateLimiter } from '../http/rate-limit';
import { createTestCloud, type TestCloud } from '../test-support/cloud';

let cloud: TestCloud;

beforeAll(async () => {
  cloud = await createTestCloud({
    RATE_LIMIT_READ_PER_MINUTE: '5',
    RATE_LIMIT_PURCHASE_PER_MINUTE: '3',
    RATE_LIMIT_AUTH_PER_MINUTE: '4',
  });
});

afterAll(async () => {
  await cloud?.close();
});

describe('per-class limits', () => {
  it('limits reads per user and answers 429 with Retry-After', async () => {
    const tenant = `tenant-${Date.now()}`;
    const customer = await cloud.token('customer', tenant);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push((await cloud.call('GET', '/api/v1/events', { token: customer })).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    const limited = await cloud.call('GET', '/api/v1/events', { token: customer });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another user is not affected.
    const other = await cloud.token('customer', tenant);
    expect((await cloud.call('GET', '/api/v1/events', { token: other })).status).toBe(200);
  });

  it('limits failed authentications per client address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await cloud.call('GET', '/api/v1/events', { token: 'forged' })).status);
    expect(statuses.slice(0, 4)).toEqual([401, 401, 401, 401]);
    expect(statuses.slice(4)).toEqual([429, 429]);
  });
});

describe('limiter stores', () => {
  it('fails open to the in-process limiter when Redis is unreachable', async () => {
    const dead = new Redis('redis://127.0.0.1:1', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    dead.on('error', () => {});
    const limiter = createRateLimiter({ auth: 2, purchase: 2, read: 2, sync: 2, deviceToken: 2 }, dead);
    await expect(limiter('read', 'user-1')).resolves.toBeUndefined();
    await expect(limiter('read', 'user-1')).resolves.toBeUndefined();
    // The insurance limiter still counts: the third call in the window is refused.
    await expect(limiter('read', 'user-1')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    dead.disconnect();
  });

  it.runIf(Boolean(process.env['REDIS_URL']))('shares counts through Redis between processes', async () => {
    const a = new Redis(process.env['REDIS_URL']!, { enableOfflineQueue: true, maxRetriesPerRequest: 1 });
    const b = new Redis(process.env['REDIS_URL']!, { enableOfflineQueue: true, maxRetriesPerRequest: 1 });
    try {
      const key = `test-${Date.now()}-${Math.random()}`;
      const first = createRateLimiter({ auth: 3, purchase: 3, read: 3, sync: 3, deviceToken: 3 }, a);
      const second = createRateLimiter({ auth: 3, purchase: 3, read: 3, sync: 3, deviceToken: 3 }, b);
      await first('sync', key);
      await second('sync', key);
      await first('sync', key);
      await expect(second('sync', key)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });
});
