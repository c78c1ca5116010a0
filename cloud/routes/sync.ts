/**
 * The gate-device side of the API (SPEC section 6): enrollment, challenge → access token, manifest
 * pages (signed, compressed), scan uploads, gate health reports, and a Server-Sent Events stream that
 * tells an online gate to pull now. Devices authenticate with their own credentials, never with a user JWT.
 */
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
import { createRoute } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import { signManifestPage, toBase64Url } from '../../shared/crypto';
import {
  ChallengeRequest,
  ChallengeResponse,
  DeviceTokenRequest,
  DeviceTokenResponse,
  EnrollRequest,
  EnrollResponse,
  GateReport,
  GateReportAck,
  MANIFEST_KEY_ID_HEADER,
  MANIFEST_SIGNATURE_HEADER,
  MAX_REPORT_BYTES,
  ManifestPage,
  ManifestQuery,
  ScanAck,
  ScanBatch,
} from '../../shared/sync-protocol';
import { AppError } from '../errors';
import type { AppEnv } from '../http/context';
import {
  createRouter,
  errorResponses,
  jsonBody,
  jsonResponse,
  type RouteDeps,
  unwrap,
} from '../http/openapi';
import type { ServiceContext } from '../services/context';
import { createChallenge, enrollDevice, eventsForDevice, exchangeChallenge } from '../services/devices';
import { recordGateReport } from '../services/gate-health';
import { buildManifestPage } from '../services/manifest';
import type { ManifestWatcher } from '../services/manifest-watch';
import { ingestScans } from '../services/scan-ingest';

const deviceSecurity = [{ deviceAuth: [] }];
/** Long-lived streams are closed after this long; the gate reconnects (and pulls on connect). */
const STREAM_MAX_MS = 5 * 60_000;
const STREAM_HEARTBEAT_MS = 15_000;

export interface SyncRouteDeps extends RouteDeps {
  requireDevice: MiddlewareHandler<AppEnv>;
  /** Counts an unauthenticated device call against the `auth` class of its address. */
  authLimit: MiddlewareHandler<AppEnv>;
  watcher: ManifestWatcher;
}

/** A report is a few KiB: anything far larger is refused before it is parsed. */
const reportBodyLimit = bodyLimit({
  maxSize: MAX_REPORT_BYTES,
  onError: () => {
    throw new AppError('PAYLOAD_TOO_LARGE', `a gate report is at most ${MAX_REPORT_BYTES} bytes`);
  },
});

/** Compresses a page for the wire: brotli if the gate accepts it, else gzip, else as is. */
function compress(body: Buffer, acceptEncoding: string | undefined): { body: Buffer; encoding?: string } {
  const accepted = (acceptEncoding ?? '').toLowerCase();
  if (/\bbr\b/.test(accepted)) {
    return {
      body: brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 4 } }),
      encoding: 'br',
    };
  }
  if (/\bgzip\b/.test(accepted)) return { body: gzipSync(body, { level: 6 }), encoding: 'gzip' };
  return { body };
}

function signPage(services: ServiceContext, body: Buffer): { keyId: number; signature: string } {
  const signed = signManifestPage(services.keyring.signingKey(), body);
  return { keyId: signed.keyId, signature: toBase64Url(signed.signature) };
}

/** Routes under /api/v1 used by gate devices. */
export function syncRoutes(deps: SyncRouteDeps) {
  const { services, requireDevice, authLimit, watcher } = deps;
  return createRouter()
    .openapi(
      createRoute({
        method: 'post',
        path: '/devices/enroll',
        tags: ['sync'],
        summary: 'Exchange a one-time enrollment token and the device’s public key for a device identity',
        middleware: [authLimit],
        request: { body: jsonBody(EnrollRequest) },
        responses: { 201: jsonResponse(EnrollResponse, 'The enrolled device'), ...errorResponses() },
      }),
      async (c) => {
        const { deviceId, credentials, gate, events, signingKeys, cloudTime } = unwrap(
          await enrollDevice(services, c.req.valid('json')),
        );
        return c.json({ deviceId, credentials, gate, events, signingKeys, cloudTime }, 201);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/devices/challenge',
        tags: ['sync'],
        summary: 'A single-use challenge for the device to sign',
        middleware: [authLimit],
        request: { body: jsonBody(ChallengeRequest) },
        responses: { 200: jsonResponse(ChallengeResponse, 'The challenge'), ...errorResponses() },
      }),
      async (c) => {
        const { challenge, expiresAt } = unwrap(
          await createChallenge(services, c.req.valid('json').deviceId),
        );
        return c.json({ challenge, expiresAt }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/devices/token',
        tags: ['sync'],
        summary: 'Exchange a signed challenge for a short-lived device access token',
        middleware: [authLimit],
        request: { body: jsonBody(DeviceTokenRequest) },
        responses: { 200: jsonResponse(DeviceTokenResponse, 'The access token'), ...errorResponses() },
      }),
      async (c) => {
        const { accessToken, expiresAt } = unwrap(await exchangeChallenge(services, c.req.valid('json')));
        return c.json({ accessToken, expiresAt }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/sync/manifest',
        tags: ['sync'],
        summary: 'One signed, compressed page of an event’s manifest after a cursor',
        description:
          'The body’s exact bytes (before Content-Encoding) are signed with the cloud’s Ed25519 key: headers x-manifest-key-id and x-manifest-signature (base64url). 409 MANIFEST_RESET: install a snapshot (after=0, no epoch).',
        security: deviceSecurity,
        middleware: [requireDevice],
        request: { query: ManifestQuery },
        responses: { 200: jsonResponse(ManifestPage, 'A manifest page'), ...errorResponses(404, 409) },
      }),
      async (c) => {
        const { page } = unwrap(await buildManifestPage(services, c.get('device'), c.req.valid('query')));
        const body = Buffer.from(JSON.stringify(page));
        const { keyId, signature } = signPage(services, body);
        const wire = compress(body, c.req.header('accept-encoding'));
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          'cache-control': 'no-store',
          vary: 'accept-encoding',
          [MANIFEST_KEY_ID_HEADER]: String(keyId),
          [MANIFEST_SIGNATURE_HEADER]: signature,
        };
        if (wire.encoding) headers['content-encoding'] = wire.encoding;
        return c.body(new Uint8Array(wire.body), 200, headers) as never;
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/sync/scans',
        tags: ['sync'],
        summary: 'Upload a batch of scans; stored once each, answered with the acknowledged sequence',
        security: deviceSecurity,
        middleware: [requireDevice],
        request: { body: jsonBody(ScanBatch) },
        responses: { 200: jsonResponse(ScanAck, 'What the cloud now holds'), ...errorResponses() },
      }),
      async (c) => {
        const ack = await ingestScans(services, c.get('device'), c.req.valid('json'));
        return c.json(ack, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/sync/report',
        tags: ['sync'],
        summary: 'The gate’s key figures after a sync cycle (manifest age, backlog, offline time, decisions)',
        description:
          'Stored as the device’s latest report and shown on the event operations page and in /metrics. A report that does not match the schema exactly is refused whole (400); the gate logs it and syncs on.',
        security: deviceSecurity,
        middleware: [requireDevice, reportBodyLimit],
        request: { body: jsonBody(GateReport) },
        responses: { 200: jsonResponse(GateReportAck, 'Stored'), ...errorResponses(413) },
      }),
      async (c) => {
        const ack = await recordGateReport(services, c.get('device'), c.req.valid('json'));
        return c.json(ack, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/sync/stream',
        tags: ['sync'],
        summary: 'Server-Sent Events: `manifest` {eventId, head} when an event the gate serves changes',
        security: deviceSecurity,
        middleware: [requireDevice],
        responses: { 200: { description: 'text/event-stream' }, ...errorResponses() },
      }),
      async (c) => {
        const device = c.get('device');
        const served = await eventsForDevice(services.db, device);
        return streamSSE(c, async (stream) => {
          const queue: Array<{ eventId: string; head: number }> = [];
          let wake: (() => void) | undefined;
          const unwatch = watcher.watch(
            served.map((e) => e.id),
            (eventId, head) => {
              queue.push({ eventId, head });
              wake?.();
            },
          );
          const offShutdown = watcher.onShutdown(() => wake?.());
          stream.onAbort(() => {
            unwatch();
            wake?.();
          });
          const endAt = Date.now() + STREAM_MAX_MS;
          // Tell the gate at once which events this stream covers: it pulls them on (re)connect.
          await stream.writeSSE({
            event: 'ready',
            data: JSON.stringify({ eventIds: served.map((e) => e.id) }),
          });
          try {
            while (!stream.aborted && !watcher.shuttingDown && Date.now() < endAt) {
              while (queue.length > 0) {
                const message = queue.shift()!;
                await stream.writeSSE({ event: 'manifest', data: JSON.stringify(message) });
              }
              await new Promise<void>((resolve) => {
                wake = resolve;
                setTimeout(resolve, STREAM_HEARTBEAT_MS).unref();
              });
              wake = undefined;
              if (queue.length === 0 && !stream.aborted && !watcher.shuttingDown) {
                await stream.write(': heartbeat\n\n');
              }
            }
          } finally {
            unwatch();
            offShutdown();
          }
        }) as never;
      },
    );
}
