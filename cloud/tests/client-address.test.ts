/**
 * Per-address rate limits on the real HTTP server (issue 15, finding 2). Anonymous traffic flooding the
 * auth endpoints from a gate's own address (the venue's NAT, or every client behind the load balancer)
 * must not stop the gate from renewing its access token: failures alone count against the address, and
 * renewals count per device only once the device's signature verified. The address is the socket's,
 * unless the socket's peer is in TRUSTED_PROXIES: X-Forwarded-For from anyone else changes nothing.
 */
import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDeviceKeyPair, signDetached, toBase64Url } from '../../shared/crypto';
import { deviceTokenMessage } from '../../shared/sync-protocol';
import { normalizeAddress, resolveClientAddress, trustedProxyMatcher } from '../http/client-address';
import { createTestCloud, type SeededEvent, seedEvent, type TestCloud } from '../test-support/cloud';
import { enrollTestDevice, type TestDevice } from '../test-support/devices';

/** A test cloud served on a real loopback socket (the client address comes from the socket). */
interface ServedCloud {
  cloud: TestCloud;
  server: ServerType;
  base: string;
}

async function serveCloud(env: Record<string, string>): Promise<ServedCloud> {
  const cloud = await createTestCloud(env);
  const server = serve({ fetch: cloud.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return { cloud, server, base: `http://127.0.0.1:${port}` };
}

async function stop(served: ServedCloud | undefined): Promise<void> {
  if (!served) return;
  await new Promise<void>((resolve) => served.server.close(() => resolve()));
  await served.cloud.close();
}

async function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the tests read several response shapes
  return { status: response.status, body: (await response.json()) as any };
}

async function bogusUserCall(base: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(`${base}/api/v1/events`, {
    headers: { authorization: 'Bearer forged.token.value', ...headers },
  });
  await response.arrayBuffer();
  return response.status;
}

/** Challenge + signed token exchange over HTTP, the way a gate renews its access token. */
async function renew(base: string, device: TestDevice) {
  const challenge = await post(base, '/api/v1/devices/challenge', { deviceId: device.deviceId });
  if (challenge.status !== 200) return { step: 'challenge', ...challenge };
  const signature = signDetached(
    device.privateKey,
    deviceTokenMessage(device.deviceId, challenge.body.challenge),
    'device-request',
  );
  const token = await post(base, '/api/v1/devices/token', {
    deviceId: device.deviceId,
    challenge: challenge.body.challenge,
    signature: toBase64Url(signature),
  });
  if (token.status === 200) device.accessToken = token.body.accessToken;
  return { step: 'token', ...token };
}

/** One round of anonymous traffic on every auth endpoint; resolves to the statuses it got. */
async function floodRound(base: string, knownDeviceId: string): Promise<number[]> {
  const randomB64 = (bytes: number) => toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
  const statuses = await Promise.all([
    bogusUserCall(base),
    post(base, '/api/v1/devices/challenge', { deviceId: crypto.randomUUID() }).then((r) => r.status),
    post(base, '/api/v1/devices/enroll', {
      enrollmentToken: `enr_${randomB64(32)}`,
      // A real key: a random 32 bytes is often no curve point, refused (400) before the token is looked at.
      publicKey: toBase64Url(generateDeviceKeyPair().publicKey),
      name: 'intruder',
    }).then((r) => r.status),
    post(base, '/api/v1/devices/token', {
      deviceId: knownDeviceId,
      challenge: randomB64(32),
      signature: randomB64(64),
    }).then((r) => r.status),
    // Someone who knows a real device id gets challenges (they cost nothing) but cannot sign them.
    (async () => {
      const challenge = await post(base, '/api/v1/devices/challenge', { deviceId: knownDeviceId });
      if (challenge.status !== 200) return challenge.status;
      const forged = signDetached(
        generateDeviceKeyPair().privateKey,
        deviceTokenMessage(knownDeviceId, challenge.body.challenge),
        'device-request',
      );
      const token = await post(base, '/api/v1/devices/token', {
        deviceId: knownDeviceId,
        challenge: challenge.body.challenge,
        signature: toBase64Url(forged),
      });
      return token.status;
    })(),
  ]);
  return statuses;
}

describe('client address', () => {
  it('is the socket address unless the peer is a trusted proxy; then the first untrusted hop from the right', () => {
    const none = trustedProxyMatcher([]);
    const lb = trustedProxyMatcher(['10.0.0.0/8', '127.0.0.1', 'fd00::/8']);
    expect(resolveClientAddress('127.0.0.1', '203.0.113.7', none)).toBe('127.0.0.1');
    expect(resolveClientAddress('::ffff:127.0.0.1', '203.0.113.7', lb)).toBe('203.0.113.7');
    expect(resolveClientAddress('127.0.0.1', '198.51.100.9, 203.0.113.7', lb)).toBe('203.0.113.7');
    expect(resolveClientAddress('127.0.0.1', '203.0.113.7, 10.1.2.3', lb)).toBe('203.0.113.7');
    expect(resolveClientAddress('10.9.9.9', '[2001:db8::1]:443', lb)).toBe('2001:db8::1');
    expect(resolveClientAddress('fd00::5', '203.0.113.7:5555', lb)).toBe('203.0.113.7');
    expect(resolveClientAddress('10.9.9.9', undefined, lb)).toBe('10.9.9.9');
    // A hop that is not an address was not written by a trusted proxy: the last good hop is used.
    expect(resolveClientAddress('10.9.9.9', 'nonsense', lb)).toBe('10.9.9.9');
    expect(resolveClientAddress('10.9.9.9', '203.0.113.7, 10.0.0.2, garbage', lb)).toBe('10.9.9.9');
    expect(normalizeAddress('2001:DB8::1')).toBe('2001:db8::1');
    expect(normalizeAddress('not an ip')).toBeUndefined();
  });
});

describe('a flood of anonymous auth traffic from a gate’s own address', () => {
  let served: ServedCloud;
  let seeded: SeededEvent;

  beforeAll(async () => {
    served = await serveCloud({ RATE_LIMIT_AUTH_PER_MINUTE: '5', RATE_LIMIT_DEVICE_TOKEN_PER_MINUTE: '4' });
    seeded = await seedEvent(served.cloud);
  });
  afterAll(async () => {
    await stop(served);
  });

  it('does not stop the gate from renewing its token', async () => {
    const gate = await enrollTestDevice(served.cloud, seeded);
    const statuses: number[] = [];
    // The flood (5 kinds of bogus request per round) and the gate's renewal run at the same time.
    const flooding = (async () => {
      for (let round = 0; round < 12; round++)
        statuses.push(...(await floodRound(served.base, gate.deviceId)));
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const during = await renew(served.base, gate);
    await flooding;
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(30);
    expect(during).toMatchObject({ step: 'token', status: 200 });

    // The address is now out of `auth` points: anonymous calls are refused ...
    expect(await bogusUserCall(served.base)).toBe(429);
    // ... and the gate still renews, and its new token works.
    const after = await renew(served.base, gate);
    expect(after).toMatchObject({ step: 'token', status: 200 });
    const pull = await fetch(`${served.base}/api/v1/sync/manifest?eventId=${seeded.eventId}&after=0`, {
      headers: { authorization: `Bearer ${gate.accessToken}` },
    });
    await pull.arrayBuffer();
    expect(pull.status).toBe(200);
  });

  it('counts renewals per device after the signature: a gate’s own loop is limited, nobody else’s', async () => {
    const looping = await enrollTestDevice(served.cloud, seeded);
    const other = await enrollTestDevice(served.cloud, seeded, 1);
    const results = [];
    for (let i = 0; i < 5; i++) results.push((await renew(served.base, looping)).status);
    expect(results).toEqual([200, 200, 200, 200, 429]);
    expect((await renew(served.base, other)).status).toBe(200);
  });
});

describe('X-Forwarded-For', () => {
  let direct: ServedCloud | undefined;
  let proxied: ServedCloud | undefined;

  afterAll(async () => {
    await stop(direct);
    await stop(proxied);
  });

  it('from a peer that is not a trusted proxy does not change the bucket', async () => {
    direct = await serveCloud({ RATE_LIMIT_AUTH_PER_MINUTE: '3' });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push(await bogusUserCall(direct.base, { 'x-forwarded-for': `203.0.113.${i + 1}` }));
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });

  it('from a trusted proxy (TRUSTED_PROXIES) names the client, and only its own hop is believed', async () => {
    proxied = await serveCloud({ RATE_LIMIT_AUTH_PER_MINUTE: '3', TRUSTED_PROXIES: '127.0.0.1/32, ::1' });
    const as = (xff?: string) => bogusUserCall(proxied!.base, xff ? { 'x-forwarded-for': xff } : {});
    const first: number[] = [];
    for (let i = 0; i < 4; i++) first.push(await as('203.0.113.7'));
    expect(first).toEqual([401, 401, 401, 429]);
    // Another client behind the same proxy has its own bucket.
    expect(await as('203.0.113.8')).toBe(401);
    // A client that prepends a forged hop is still itself: the proxy appended the address it saw.
    expect(await as('198.51.100.1, 203.0.113.7')).toBe(429);
    // The proxy's own requests (no header) are the proxy's bucket.
    expect(await as()).toBe(401);
  });
});
