/**
 * A stand-in for the cloud's device API (SPEC 6, shared/sync-protocol) for gate-agent tests, until the
 * real endpoints exist: one-time enrollment tokens, challenge/token device auth with the device's
 * Ed25519 key, signed and gzip-compressed manifest pages from ManifestFixtures (409 MANIFEST_RESET on an
 * unknown epoch or a cursor beyond the head), idempotent scan ingestion acknowledging the longest
 * gap-free sequence, an SSE stream, and device revocation. Served on a real loopback port.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { serve } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { fromBase64Url, toBase64Url, verifyDetached } from '../../shared/crypto/index';
import {
  deviceTokenMessage,
  MANIFEST_KEY_ID_HEADER,
  MANIFEST_RESET_CODE,
  MANIFEST_SIGNATURE_HEADER,
  ManifestQuery,
} from '../../shared/sync-protocol/index';
import type { ManifestFixture } from './manifest-fixture';

interface Device {
  id: string;
  publicKey: Uint8Array;
  revoked: boolean;
}

export interface FakeCloudOptions {
  fixtures: ManifestFixture[];
  gate?: { id: string; name: string };
  accessTokenTtlMs?: number;
}

export class FakeCloud {
  readonly app = new Hono();
  readonly fixtures: Map<string, ManifestFixture>;
  readonly gate: { id: string; name: string; venueId: string; zone: null };
  readonly devices = new Map<string, Device>();
  readonly enrollmentTokens = new Set<string>();
  readonly challenges = new Map<string, string>();
  readonly accessTokens = new Map<string, { deviceId: string; expiresAt: number }>();
  /** Scans stored per device, by seq (ON CONFLICT DO NOTHING: the first copy wins). */
  readonly scans = new Map<string, Map<number, Record<string, unknown>>>();
  /** Every scan row received, duplicates included. */
  received = 0;
  /** When set, /sync/scans answers 503 (a cloud with a failing database). */
  failUploads = false;
  /** When set, the next /sync/scans stores the batch and then answers 503 (the ack is lost). */
  loseNextAck = false;
  /** When set, /sync/manifest answers 503. */
  failManifest = false;
  /** Requests seen, by path (for assertions). */
  readonly hits = new Map<string, number>();
  #streams = new Set<(event: string, data: string) => void>();
  #server: ReturnType<typeof serve> | undefined;
  url = '';
  #port = 0;
  readonly #ttl: number;

  constructor(options: FakeCloudOptions) {
    this.fixtures = new Map(options.fixtures.map((f) => [f.eventId, f]));
    this.gate = {
      ...(options.gate ?? { id: randomUUID(), name: 'Main entrance' }),
      venueId: randomUUID(),
      zone: null,
    };
    this.#ttl = options.accessTokenTtlMs ?? 15 * 60_000;
    this.#routes();
  }

  #now(): number {
    return [...this.fixtures.values()][0]?.cloudTime ?? Date.now();
  }

  /** A fresh one-time enrollment token. */
  newEnrollmentToken(): string {
    const token = toBase64Url(randomBytes(24));
    this.enrollmentTokens.add(token);
    return token;
  }

  revoke(deviceId: string): void {
    const device = this.devices.get(deviceId);
    if (device) device.revoked = true;
    this.#emit('revoked', '{}');
  }

  /** Tells online gates to pull now (what a sale or revocation does in the real cloud). */
  notify(eventId: string): void {
    const fixture = this.fixtures.get(eventId);
    this.#emit('manifest', JSON.stringify({ eventId, head: fixture?.head ?? 0 }));
  }

  #emit(event: string, data: string): void {
    for (const send of this.#streams) send(event, data);
  }

  /** The acknowledged (gap-free) sequence of a device. */
  ackedSeq(deviceId: string): number {
    const rows = this.scans.get(deviceId);
    let seq = 0;
    while (rows?.has(seq + 1)) seq++;
    return seq;
  }

  #hit(path: string): void {
    this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
  }

  #error(c: Context, status: 400 | 401 | 404 | 409 | 503, code: string) {
    return c.json({ error: { code, message: code, requestId: randomUUID() } }, status);
  }

  #device(c: Context): Device | 'revoked' | undefined {
    const header = c.req.header('authorization') ?? '';
    const token = this.accessTokens.get(header.replace(/^Bearer /, ''));
    if (!token || token.expiresAt <= this.#now()) return undefined;
    const device = this.devices.get(token.deviceId);
    if (!device) return undefined;
    return device.revoked ? 'revoked' : device;
  }

  #routes(): void {
    const app = this.app;
    app.post('/api/v1/devices/enroll', async (c) => {
      this.#hit('enroll');
      const body = (await c.req.json()) as { enrollmentToken: string; publicKey: string; name: string };
      if (!this.enrollmentTokens.delete(body.enrollmentToken))
        return this.#error(c, 401, 'ENROLLMENT_TOKEN_INVALID');
      const device = { id: randomUUID(), publicKey: fromBase64Url(body.publicKey)!, revoked: false };
      this.devices.set(device.id, device);
      const accessToken = toBase64Url(randomBytes(24));
      const expiresAt = this.#now() + this.#ttl;
      this.accessTokens.set(accessToken, { deviceId: device.id, expiresAt });
      return c.json({
        deviceId: device.id,
        credentials: { accessToken, expiresAt },
        gate: this.gate,
        events: [...this.fixtures.values()].map((f) => ({ id: f.eventId, name: f.event.name })),
        cloudTime: this.#now(),
      });
    });
    app.post('/api/v1/devices/challenge', async (c) => {
      this.#hit('challenge');
      const { deviceId } = (await c.req.json()) as { deviceId: string };
      const device = this.devices.get(deviceId);
      if (!device || device.revoked) return this.#error(c, 401, 'DEVICE_REVOKED');
      const challenge = toBase64Url(randomBytes(32));
      this.challenges.set(challenge, deviceId);
      return c.json({ challenge, expiresAt: this.#now() + 60_000 });
    });
    app.post('/api/v1/devices/token', async (c) => {
      this.#hit('token');
      const body = (await c.req.json()) as { deviceId: string; challenge: string; signature: string };
      const device = this.devices.get(body.deviceId);
      if (!device || device.revoked) return this.#error(c, 401, 'DEVICE_REVOKED');
      if (this.challenges.get(body.challenge) !== body.deviceId)
        return this.#error(c, 401, 'UNAUTHENTICATED');
      this.challenges.delete(body.challenge);
      const signature = fromBase64Url(body.signature);
      if (
        !signature ||
        !verifyDetached(
          device.publicKey,
          deviceTokenMessage(device.id, body.challenge),
          signature,
          'device-request',
        )
      ) {
        return this.#error(c, 401, 'UNAUTHENTICATED');
      }
      const accessToken = toBase64Url(randomBytes(24));
      const expiresAt = this.#now() + this.#ttl;
      this.accessTokens.set(accessToken, { deviceId: device.id, expiresAt });
      return c.json({ accessToken, expiresAt });
    });
    app.get('/api/v1/sync/manifest', (c) => {
      this.#hit('manifest');
      const device = this.#device(c);
      if (device === 'revoked') return this.#error(c, 401, 'DEVICE_REVOKED');
      if (!device) return this.#error(c, 401, 'UNAUTHENTICATED');
      if (this.failManifest) return this.#error(c, 503, 'SERVICE_UNAVAILABLE');
      const query = ManifestQuery.safeParse(c.req.query());
      if (!query.success) return this.#error(c, 400, 'VALIDATION_FAILED');
      const fixture = this.fixtures.get(query.data.eventId);
      if (!fixture) return this.#error(c, 404, 'NOT_FOUND');
      if (
        (query.data.epoch !== undefined && query.data.epoch !== fixture.epoch) ||
        query.data.after > fixture.head
      ) {
        return this.#error(c, 409, MANIFEST_RESET_CODE);
      }
      const signed = fixture.signedPage(query.data.after, query.data.limit);
      return c.body(gzipSync(signed.body), 200, {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        [MANIFEST_SIGNATURE_HEADER]: toBase64Url(signed.signature),
        [MANIFEST_KEY_ID_HEADER]: String(signed.keyId),
      });
    });
    app.post('/api/v1/sync/scans', async (c) => {
      this.#hit('scans');
      const device = this.#device(c);
      if (device === 'revoked') return this.#error(c, 401, 'DEVICE_REVOKED');
      if (!device) return this.#error(c, 401, 'UNAUTHENTICATED');
      if (this.failUploads) return this.#error(c, 503, 'SERVICE_UNAVAILABLE');
      const body = (await c.req.json()) as { scans: Record<string, unknown>[] };
      const rows = this.scans.get(device.id) ?? new Map<number, Record<string, unknown>>();
      this.scans.set(device.id, rows);
      let stored = 0;
      let duplicates = 0;
      for (const scan of body.scans) {
        this.received++;
        const seq = scan.seq as number;
        if (rows.has(seq)) duplicates++;
        else {
          rows.set(seq, scan);
          stored++;
        }
      }
      if (this.loseNextAck) {
        this.loseNextAck = false;
        return this.#error(c, 503, 'SERVICE_UNAVAILABLE');
      }
      return c.json({
        ackedSeq: this.ackedSeq(device.id),
        stored,
        duplicates,
        quarantined: 0,
        cloudTime: this.#now(),
      });
    });
    app.get('/api/v1/sync/stream', (c) => {
      this.#hit('stream');
      const device = this.#device(c);
      if (device === 'revoked') return this.#error(c, 401, 'DEVICE_REVOKED');
      if (!device) return this.#error(c, 401, 'UNAUTHENTICATED');
      return streamSSE(c, async (stream) => {
        const queue: { event: string; data: string }[] = [];
        let wake: (() => void) | undefined;
        const send = (event: string, data: string) => {
          queue.push({ event, data });
          wake?.();
        };
        this.#streams.add(send);
        stream.onAbort(() => {
          this.#streams.delete(send);
          wake?.();
        });
        while (!stream.aborted && !stream.closed) {
          const next = queue.shift();
          if (next) await stream.writeSSE(next);
          else await new Promise<void>((resolve) => (wake = resolve));
        }
        this.#streams.delete(send);
      });
    });
  }

  /** Starts on `port` (default: ephemeral, or the port of the previous start, so gates find it again). */
  async start(port = this.#port): Promise<string> {
    const info = await new Promise<AddressInfo>((resolve) => {
      this.#server = serve({ fetch: this.app.fetch, port, hostname: '127.0.0.1' }, resolve);
    });
    this.#port = info.port;
    this.url = `http://127.0.0.1:${info.port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const send of this.#streams) send('bye', '{}');
    this.#streams.clear();
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
