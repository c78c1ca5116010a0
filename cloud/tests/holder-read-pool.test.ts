/**
 * A holder's read of their own tickets does not queue behind purchases for a database connection (issue
 * 19): it runs on the small pool online scans use (db/client.ts scanDb), not the main pool a sale fills.
 * Shown the hard way on real PostgreSQL: every connection of the main pool is checked out and held, the
 * holder's list, one ticket and its QR code are still answered, while a request that needs the main pool
 * waits — and is answered once the connections are given back; held past the pool's wait, that request is
 * answered 503 with Retry-After (overload), not 500. (PGlite has one connection for everything: nothing to
 * show there.)
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buyTickets, createTestCloud, seedEvent, type TestCloud } from '../test-support/cloud';

const postgres = Boolean(process.env['TEST_DATABASE_URL']);
if (!postgres && process.env['CI'] === 'true') throw new Error('CI=true but TEST_DATABASE_URL is not set');

/** Checks out every connection of `pool` and keeps them until `release` (which may be called twice). */
async function holdEveryConnection(pool: pg.Pool): Promise<{ release(): void }> {
  const held: pg.PoolClient[] = [];
  const release = () => {
    for (const client of held.splice(0)) client.release();
  };
  try {
    while (held.length < pool.options.max) held.push(await pool.connect());
  } catch (error) {
    release();
    throw error;
  }
  return { release };
}

describe.skipIf(!postgres)('the main pool exhausted', () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await createTestCloud();
  });
  afterAll(async () => {
    await cloud?.close();
  });

  it("a holder's ticket reads are answered from the scan pool while a main-pool request waits", async () => {
    const seeded = await seedEvent(cloud);
    const { token, purchase } = await buyTickets(cloud, seeded, { quantity: 2 });
    const bought = (purchase.tickets as { id: string; qr: string }[]).map((t) => t.id).sort();

    // Take every connection of the main pool and hold it.
    const pool = cloud.database.pool!;
    const held = await holdEveryConnection(pool);
    try {
      expect(pool.idleCount).toBe(0);
      // A request that needs the main pool waits for a connection …
      const waiting = cloud.call('GET', `/api/v1/events/${seeded.eventId}`, { token: seeded.adminToken });
      const early = await Promise.race([
        waiting.then(() => 'answered'),
        new Promise((resolve) => setTimeout(() => resolve('waiting'), 500)),
      ]);
      expect(early).toBe('waiting');
      expect(pool.waitingCount).toBeGreaterThanOrEqual(1);

      // … while the holder's reads are answered.
      const listed = await cloud.call('GET', '/api/v1/me/tickets?limit=20', { token });
      expect(listed.status, JSON.stringify(listed.body)).toBe(200);
      expect((listed.body.items as { id: string }[]).map((t) => t.id).sort()).toEqual(bought);
      const one = await cloud.call('GET', `/api/v1/tickets/${bought[0]}`, { token });
      expect(one.status, JSON.stringify(one.body)).toBe(200);
      expect(one.body.id).toBe(bought[0]);
      const qr = await cloud.call('GET', `/api/v1/tickets/${bought[1]}/qr.svg`, { token });
      expect(qr.status).toBe(200);
      expect(String(qr.body)).toContain('<svg');

      // Given back, the waiting request is answered: it waited, it was not refused.
      held.release();
      expect((await waiting).status).toBe(200);
    } finally {
      held.release();
    }
  });

  it('answers a main-pool request 503 with Retry-After once no connection came free in time', async () => {
    const seeded = await seedEvent(cloud);
    const held = await holdEveryConnection(cloud.database.pool!);
    try {
      // The pool's wait (connectionTimeoutMillis, 10 s in db/client.ts) runs out with every connection held.
      const answer = await cloud.call('GET', `/api/v1/events/${seeded.eventId}`, {
        token: seeded.adminToken,
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(503);
      expect(answer.body.error.code).toBe('SERVICE_UNAVAILABLE');
      expect(answer.headers.get('retry-after')).toBe('2');
    } finally {
      held.release();
    }
    // Given back, the same request is answered.
    const again = await cloud.call('GET', `/api/v1/events/${seeded.eventId}`, { token: seeded.adminToken });
    expect(again.status).toBe(200);
  });
});
