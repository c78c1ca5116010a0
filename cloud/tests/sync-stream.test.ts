/**
 * The push channel (docs/CONTRACT.md §8.4): an online gate listening on GET /sync/stream hears of a new
 * sale or a revocation of its event within 2 seconds — also one committed right after `ready` — and of
 * nothing from events it does not serve, and nothing it already got with its pull on connect.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';
import { enrollTestDevice } from '../test-support/devices';
import { holderDevice } from '../test-support/holder-device';

let cloud: TestCloud;
let seeded: SeededEvent;

beforeAll(async () => {
  cloud = await createTestCloud();
  seeded = await seedEvent(cloud);
});
afterAll(async () => {
  cloud?.watcher.close();
  await cloud?.close();
});

/** Reads SSE messages from a streaming response until `predicate` matches or `timeoutMs` passes. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  predicate: (event: string, data: string) => boolean,
  timeoutMs: number,
): Promise<{ event: string; data: string } | undefined> {
  const decoder = new TextDecoder();
  let buffer = '';
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const chunk = await Promise.race([
      reader.read(),
      new Promise<undefined>((resolve) =>
        setTimeout(() => resolve(undefined), Math.max(1, deadline - Date.now())),
      ),
    ]);
    if (!chunk || chunk.done) break;
    buffer += decoder.decode(chunk.value, { stream: true });
    let split = buffer.indexOf('\n\n');
    while (split >= 0) {
      const block = buffer.slice(0, split);
      buffer = buffer.slice(split + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? '';
      if (predicate(event, data)) return { event, data };
      split = buffer.indexOf('\n\n');
    }
  }
  return undefined;
}

describe('sync stream', () => {
  it('tells a connected gate of a sale and of a refund within 2 s, and not of other events', async () => {
    const device = await enrollTestDevice(cloud, seeded);
    const other = await seedEvent(cloud);
    const controller = new AbortController();
    const response = await cloud.app.request('/api/v1/sync/stream', {
      headers: { authorization: `Bearer ${device.accessToken}` },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    const ready = await readUntil(reader, (event) => event === 'ready', 2000);
    expect(JSON.parse(ready!.data)).toEqual({ eventIds: [seeded.eventId], heartbeatMs: 5_000 });
    // No pause: the stream's baseline was read before `ready`, so a change committed right now is told,
    // and what was there before `ready` (covered by the gate's pull on connect) is not told again.
    const [headAtReady] = [...(await cloud.watcher.heads([seeded.eventId])).values()];

    await buyTickets(cloud, other);
    const soldAt = Date.now();
    const bought = await buyTickets(cloud, seeded);
    const sale = await readUntil(reader, (event) => event === 'manifest', 2000);
    expect(sale).toBeDefined();
    expect(Date.now() - soldAt).toBeLessThan(2000);
    expect(JSON.parse(sale!.data).eventId).toBe(seeded.eventId);
    expect(JSON.parse(sale!.data).head).toBeGreaterThan(headAtReady!);

    const refundAt = Date.now();
    await cloud.call('POST', `/api/v1/orders/${bought.purchase.order.id}/refund`, {
      token: seeded.adminToken,
    });
    const refund = await readUntil(reader, (event) => event === 'manifest', 2000);
    expect(refund).toBeDefined();
    expect(Date.now() - refundAt).toBeLessThan(2000);
    expect(JSON.parse(refund!.data).head).toBeGreaterThan(JSON.parse(sale!.data).head);
    controller.abort();
    await reader.cancel().catch(() => {});
  });

  it('tells a connected gate of a holder-key binding (issue 20): the change that carries the new box', async () => {
    const bought = await buyTickets(cloud, seeded);
    const device = await enrollTestDevice(cloud, seeded);
    const controller = new AbortController();
    const response = await cloud.app.request('/api/v1/sync/stream', {
      headers: { authorization: `Bearer ${device.accessToken}` },
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    expect(await readUntil(reader, (event) => event === 'ready', 2000)).toBeDefined();
    const phone = holderDevice('Ed25519');
    const bound = await cloud.call('POST', `/api/v1/tickets/${bought.purchase.tickets[0].id}/holder-key`, {
      token: bought.token,
      body: { alg: 'Ed25519', publicKey: phone.publicKeyText },
    });
    expect(bound.status).toBe(200);
    const [headAfter] = [...(await cloud.watcher.heads([seeded.eventId])).values()];
    // Told within seconds (the bound is generous for a busy machine; the watcher polls every 200 ms).
    const told = await readUntil(
      reader,
      (event, data) => event === 'manifest' && JSON.parse(data).head >= headAfter!,
      5000,
    );
    expect(told).toBeDefined();
    expect(JSON.parse(told!.data).eventId).toBe(seeded.eventId);
    controller.abort();
    await reader.cancel().catch(() => {});
  });

  it('ends an open stream at once when the process shuts down (a restart is not held for the grace period)', async () => {
    // Its own cloud: shutdown() is final for a watcher.
    const own = await createTestCloud();
    try {
      const ownSeeded = await seedEvent(own);
      const device = await enrollTestDevice(own, ownSeeded);
      const response = await own.app.request('/api/v1/sync/stream', {
        headers: { authorization: `Bearer ${device.accessToken}` },
      });
      const reader = response.body!.getReader();
      expect(await readUntil(reader, (event) => event === 'ready', 2000)).toBeDefined();
      const shutdownAt = Date.now();
      own.watcher.shutdown();
      // The body ends (done) well before the 5 s heartbeat or the stream's maximum age.
      let done = false;
      while (!done && Date.now() - shutdownAt < 5000) done = (await reader.read()).done;
      expect(done).toBe(true);
      expect(Date.now() - shutdownAt).toBeLessThan(1000);
    } finally {
      await own.close();
    }
  });

  it('refuses a stream without a device token', async () => {
    const response = await cloud.app.request('/api/v1/sync/stream');
    expect(response.status).toBe(401);
  });
});
