/**
 * The scan lane (issue 19, CLOUD_SCAN_WORKERS): a real cloud (cloud/main.ts as a child) with one general
 * and one scan worker behind the primary's lane router, on one PostgreSQL database and one Redis prefix.
 *
 * Isolation is shown the hard way: the general worker is frozen (SIGSTOP) and scans are still decided —
 * accepted once, refused as ALREADY_USED the second time — while a request of the general lane waits and
 * is answered once the worker runs again (SIGCONT). A request line split over several packets is routed
 * by its whole line; a scan worker killed with kill -9 is restarted while scans fall back to the general
 * lane; SIGTERM stops everything with exit code 0.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  cloudProcess,
  eventually,
  freePort,
  remoteApi,
  sharedCloudEnv,
  sharedDatabase,
} from '../test-support/cloud-process';
import { testRedisUrl, uniquePrefix } from '../test-support/redis';

const redisUrl = testRedisUrl();
const runnable = Boolean(redisUrl && process.env['TEST_DATABASE_URL']);
if (!runnable && process.env['CI'] === 'true') throw new Error('CI=true but TEST_DATABASE_URL is not set');

interface Answer {
  status: number;
  body: string;
}

/** One request on a connection of its own (so the router sees it first); rejects after `timeoutMs`. */
function requestOnNewConnection(
  url: string,
  method: string,
  token: string,
  body: unknown,
  timeoutMs: number,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = http.request(
      url,
      {
        method,
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    request.setTimeout(timeoutMs, () =>
      request.destroy(new Error(`${method} ${url}: no answer in ${timeoutMs} ms`)),
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/** Sends `raw` in pieces `gapMs` apart on one connection and resolves with everything the cloud answered. */
function sendInPieces(port: number, pieces: string[], gapMs: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer in ${timeoutMs} ms: ${received.slice(0, 300)}`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('end', () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('connect', async () => {
      for (const piece of pieces) {
        socket.write(piece);
        await new Promise((r) => setTimeout(r, gapMs));
      }
    });
  });
}

describe.skipIf(!runnable)('CLOUD_SCAN_WORKERS=1: scans served by a process of their own', () => {
  it('decides scans while the general worker is frozen, routes split request lines, survives kill -9', async () => {
    const database = await sharedDatabase();
    const secret = randomBytes(32).toString('base64url');
    const port = await freePort();
    const cloud = cloudProcess(port, {
      ...sharedCloudEnv({
        databaseUrl: database.url,
        redisUrl: redisUrl!,
        jobsPrefix: uniquePrefix('scan-lane'),
        secret,
      }),
      CLOUD_WORKERS: '1',
      CLOUD_SCAN_WORKERS: '1',
      LOG_LEVEL: 'info',
    });
    const workers = () =>
      [
        ...cloud
          .output()
          .matchAll(/"worker":(\d),"pid":(\d+),"lane":"(\w+)","msg":"cloud worker listening"/g),
      ].map((match) => ({ slot: Number(match[1]), pid: Number(match[2]), lane: match[3] }));
    let frozen: number | undefined;
    try {
      await cloud.start();
      await eventually('both workers listening', async () => workers().length >= 2, 60_000);
      expect(
        workers()
          .map((w) => w.lane)
          .sort(),
      ).toEqual(['general', 'scan']);
      expect(cloud.output()).toContain('(2 processes)');

      // An event whose doors are open, a gate, and two tickets bought through the API.
      const api = remoteApi(cloud.url, secret);
      const tenant = `tenant-${randomUUID()}`;
      const admin = await api.token('admin', tenant);
      const created = async (path: string, body: unknown) => {
        const answer = await api.call('POST', path, { token: admin, body });
        expect(answer.status, JSON.stringify(answer.body)).toBe(201);
        return answer.body as { id: string };
      };
      const venue = await created('/api/v1/venues', { name: 'Arena', timezone: 'UTC' });
      const gate = await created(`/api/v1/venues/${venue.id}/gates`, { name: 'North' });
      const now = Date.now();
      const event = await created('/api/v1/events', {
        venueId: venue.id,
        name: 'Open doors',
        startsAt: new Date(now - 3_600_000).toISOString(),
        endsAt: new Date(now + 86_400_000).toISOString(),
        doorsOpenAt: new Date(now - 7_200_000).toISOString(),
      });
      const type = await created(`/api/v1/events/${event.id}/ticket-types`, {
        name: 'Standard',
        priceCents: 2500,
        currency: 'EUR',
        capacity: 10,
      });
      expect((await api.call('POST', `/api/v1/events/${event.id}/publish`, { token: admin })).status).toBe(
        200,
      );
      const customer = await api.token('customer', tenant);
      const held = await api.call('POST', `/api/v1/events/${event.id}/reservations`, {
        token: customer,
        body: { items: [{ ticketTypeId: type.id, quantity: 2 }] },
      });
      expect(held.status).toBe(201);
      const bought = await api.call(
        'POST',
        `/api/v1/reservations/${(held.body as { id: string }).id}/purchase`,
        {
          token: customer,
          headers: { 'idempotency-key': `k-${randomUUID()}` },
          body: { paymentToken: 'tok_visa' },
        },
      );
      expect(bought.status, JSON.stringify(bought.body)).toBe(201);
      const [first, second] = (bought.body as { tickets: { qr: string }[] }).tickets.map((t) => t.qr);
      const steward = await api.token('venue_staff', tenant, 'steward-1');
      const scan = (qr: string | undefined, timeoutMs = 20_000) =>
        requestOnNewConnection(
          `${cloud.url}/api/v1/validate`,
          'POST',
          steward,
          { qr, gateId: gate.id },
          timeoutMs,
        );

      // Freeze the general worker: the scan worker alone decides.
      const general = workers().find((w) => w.lane === 'general')!;
      process.kill(general.pid, 'SIGSTOP');
      frozen = general.pid;
      const accepted = await scan(first);
      expect(accepted.status, accepted.body).toBe(200);
      expect(JSON.parse(accepted.body).decision).toBe('accept');
      const again = await scan(first);
      expect(JSON.parse(again.body)).toMatchObject({ decision: 'reject', reason: 'ALREADY_USED' });
      // A request of the general lane waits for its worker (no answer while it is frozen) …
      const waiting = requestOnNewConnection(
        `${cloud.url}/api/v1/events/${event.id}`,
        'GET',
        admin,
        undefined,
        60_000,
      );
      const early = await Promise.race([
        waiting.then(() => 'answered'),
        new Promise((resolve) => setTimeout(() => resolve('waiting'), 1_500)),
      ]);
      expect(early).toBe('waiting');
      // … and is answered once it runs again: the connection was handed over, not dropped.
      process.kill(general.pid, 'SIGCONT');
      frozen = undefined;
      expect((await waiting).status).toBe(200);

      // A request line that arrives in pieces is routed by the whole line.
      const body = JSON.stringify({ qr: second, gateId: gate.id });
      const raw = await sendInPieces(
        port,
        [
          'PO',
          'ST /api/v1/val',
          `idate HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${steward}\r\n`,
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        ],
        40,
        20_000,
      );
      expect(raw).toMatch(/^HTTP\/1\.1 200/);
      expect(raw).toContain('"decision":"accept"');
      // Which lane logged each answered scan (a log line may trail its answer through the pipe).
      const scanLanes = () =>
        [...cloud.output().matchAll(/"lane":"(\w+)"[^\n]*"path":"\/api\/v1\/validate","status":200/g)].map(
          (m) => m[1],
        );
      await eventually('three scans logged', async () => scanLanes().length >= 3, 10_000);
      expect(scanLanes()).toEqual(['scan', 'scan', 'scan']);

      // The scan worker killed: scans fall back to the general lane until it is back, then return to it.
      const scanWorker = workers().find((w) => w.lane === 'scan')!;
      process.kill(scanWorker.pid, 'SIGKILL');
      await eventually('the death logged', async () => cloud.output().includes('cloud worker died'), 30_000);
      const meanwhile = await scan(first);
      expect(JSON.parse(meanwhile.body).reason).toBe('ALREADY_USED');
      await eventually(
        'the scan worker started again',
        async () => workers().filter((w) => w.lane === 'scan').length === 2,
        60_000,
      );
      const afterRestart = await scan(first);
      expect(JSON.parse(afterRestart.body).reason).toBe('ALREADY_USED');
      await eventually('five scans logged', async () => scanLanes().length >= 5, 10_000);
      expect(scanLanes().slice(-2)).toEqual(['general', 'scan']);

      const code = await cloud.stop('SIGTERM');
      expect(code, cloud.output().slice(-3000)).toBe(0);
    } finally {
      if (frozen) process.kill(frozen, 'SIGCONT');
      await cloud.stop('SIGKILL');
      await database.drop();
    }
  }, 240_000);
});
