/**
 * The real cloud for gate-agent tests: the production app over a real test database (PostgreSQL from
 * TEST_DATABASE_URL, PGlite otherwise), served on a loopback port, behind a small proxy that can fail
 * the network the way a venue's link fails — refuse connections, answer 503, drop an answer after the
 * cloud processed the request, or hang or refuse health reports. Only the network is faked; the cloud
 * and its database are real.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { serve } from '@hono/node-server';
import { createTestCloud, type SeededEvent, seedEvent, type TestCloud } from '../../cloud/test-support/cloud';

/** What the link between gate and cloud does to the next requests. */
export type LinkMode =
  | 'up'
  /** every connection is cut at once (cloud unreachable) */
  | 'down'
  /** scan uploads answer 503 before reaching the cloud; everything else passes */
  | 'fail-uploads'
  /** manifest pulls answer 503 before reaching the cloud; everything else passes */
  | 'fail-manifest'
  /** scan uploads reach the cloud, which stores them, but the answer is lost on the way back */
  | 'lose-upload-answers'
  /** health reports are never answered (counted in `heldReports`); everything else passes */
  | 'hang-reports'
  /** health reports are refused with a 400; everything else passes */
  | 'refuse-reports';

export interface RealCloud {
  cloud: TestCloud;
  seeded: SeededEvent;
  /** The URL gates use: through the link proxy. */
  url: string;
  link: LinkMode;
  /** Requests that reached the cloud through the link, by path. */
  hits: Map<string, number>;
  /** Health reports the link has swallowed ('hang-reports'). */
  readonly heldReports: number;
  enrollmentToken(gateIndex?: number): Promise<string>;
  /**
   * The push streams open now stop for good without being closed, as when the cloud process behind a
   * proxy died and a new one took over: later requests (new streams too) work.
   */
  silenceOpenStreams(): void;
  stop(): Promise<void>;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

export async function startRealCloud(
  options: {
    capacities?: number[];
    vipGate?: boolean;
    doorsOpenSinceMs?: number;
    /** Cloud configuration overrides (e.g. SYNC_STREAM_HEARTBEAT_MS). */
    env?: Record<string, string>;
  } = {},
): Promise<RealCloud> {
  const cloud = await createTestCloud(options.env ?? {});
  // For gates that judge time by the real clock (child processes): doors opened this long before now
  // (seedEvent opens them one hour after the cloud's clock).
  if (options.doorsOpenSinceMs !== undefined) {
    cloud.advance(Date.now() - options.doorsOpenSinceMs - 3_600_000 - cloud.now());
  }
  const seeded = await seedEvent(cloud, {
    capacities: options.capacities ?? [100, 20],
    vipGate: options.vipGate ?? true,
  });
  const origin = serve({ fetch: cloud.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => origin.once('listening', () => resolve()));
  const originPort = (origin.address() as AddressInfo).port;

  const sockets = new Set<Socket>();
  /** Requests under way; those silenced by `silenceOpenStreams` carry nothing further. */
  const inFlight = new Set<IncomingMessage>();
  const dark = new WeakSet<IncomingMessage>();
  const state = { link: 'up' as LinkMode, heldReports: 0 };
  const hits = new Map<string, number>();
  /** Answers for the link itself (the request never reaches the cloud): true when it did. */
  const answeredByLink = (path: string, incoming: IncomingMessage, outgoing: ServerResponse): boolean => {
    const mode = state.link;
    if (mode === 'down') {
      incoming.socket.destroy();
      return true;
    }
    if (mode === 'hang-reports' && path.endsWith('/sync/report')) {
      incoming.resume();
      state.heldReports++;
      return true; // never answered; the socket is destroyed when the link stops
    }
    const refusal =
      (mode === 'fail-uploads' && path.endsWith('/sync/scans')) ||
      (mode === 'fail-manifest' && path.endsWith('/sync/manifest'))
        ? { status: 503, code: 'SERVICE_UNAVAILABLE' }
        : mode === 'refuse-reports' && path.endsWith('/sync/report')
          ? { status: 400, code: 'VALIDATION_FAILED' }
          : undefined;
    if (!refusal) return false;
    incoming.resume();
    outgoing.writeHead(refusal.status, { 'content-type': 'application/json' });
    outgoing.end(JSON.stringify({ error: { code: refusal.code, message: 'link test', requestId: 'proxy' } }));
    return true;
  };
  const proxy = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const path = (incoming.url ?? '/').split('?')[0]!;
    const mode = state.link;
    inFlight.add(incoming);
    outgoing.on('close', () => inFlight.delete(incoming));
    if (answeredByLink(path, incoming, outgoing)) return;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const forwarded = httpRequest(
      {
        host: '127.0.0.1',
        port: originPort,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        if (mode === 'lose-upload-answers' && path.endsWith('/sync/scans')) {
          // The cloud has processed the batch; the gate never hears so.
          answer.resume();
          answer.on('end', () => incoming.socket.destroy());
          return;
        }
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        // Not pipe(): a silenced answer must stop carrying bytes part way.
        answer.on('data', (chunk: Buffer) => {
          if (!dark.has(incoming)) outgoing.write(chunk);
        });
        answer.on('end', () => {
          if (!dark.has(incoming)) outgoing.end();
        });
      },
    );
    forwarded.on('error', () => incoming.socket.destroy());
    incoming.pipe(forwarded);
  });
  proxy.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (state.link === 'down') socket.destroy();
  });
  const proxyPort = await listen(proxy);

  return {
    cloud,
    seeded,
    url: `http://127.0.0.1:${proxyPort}`,
    get link() {
      return state.link;
    },
    set link(mode: LinkMode) {
      state.link = mode;
      // Cutting the link also cuts open connections (the push stream above all).
      if (mode === 'down') for (const socket of sockets) socket.destroy();
    },
    hits,
    get heldReports() {
      return state.heldReports;
    },
    async enrollmentToken(gateIndex = 0) {
      const response = await cloud.call('POST', `/api/v1/gates/${seeded.gateIds[gateIndex]}/enrollments`, {
        token: seeded.adminToken,
        body: {},
      });
      if (response.status !== 201) throw new Error(`enrollment token: ${response.status}`);
      return response.body.token as string;
    },
    silenceOpenStreams() {
      for (const request of inFlight) if (request.url?.startsWith('/api/v1/sync/stream')) dark.add(request);
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      origin.close();
      cloud.watcher.close();
      await cloud.close();
    },
  };
}
