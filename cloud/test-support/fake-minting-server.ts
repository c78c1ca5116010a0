/**
 * A stand-in for the external minting service in tests: a real HTTP server on 127.0.0.1 (port 0) that
 * checks `X-Internal-Auth` exactly as the real service must (cloud/services/minting/signature.ts) and
 * answers each authenticated mint request according to a script — mint, any status, hang past the
 * client's timeout, or reset the connection. Every request is recorded with its arrival time, raw body
 * and headers, so tests can assert the retry schedule and what was sent.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MINT_TICKET_PATH } from '../services/minting/client';
import { type InternalAuthCheck, verifyInternalAuth } from '../services/minting/signature';

/** How the server answers one authenticated mint request. */
export type FakeMintBehaviour =
  /** 200 `{ ref }` (default ref: `mint-<ticketId>-g<generation>`). */
  | { kind: 'mint'; ref?: string; body?: unknown }
  /** This status with a JSON error body (e.g. 503, 422, 429). */
  | { kind: 'status'; status: number; message?: string }
  /** Never answers (until the server closes): the client's timeout must fire. */
  | { kind: 'hang' }
  /** Destroys the socket without an answer (connection reset). */
  | { kind: 'reset' };

export interface RecordedMintRequest {
  /** performance.now() at arrival, ms (monotonic: for measuring gaps between retries). */
  arrivedAt: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body bytes exactly as received. */
  rawBody: Buffer;
  /** The body parsed as JSON (undefined if it was not JSON). */
  body: unknown;
  auth: InternalAuthCheck;
  /** What the server did (undefined when it refused before the script: bad auth, wrong path). */
  behaviour: FakeMintBehaviour | undefined;
}

export interface FakeMintingServer {
  /** Base URL, e.g. http://127.0.0.1:41234 (use as MINTING_SERVICE_URL). */
  url: string;
  /** Every request in arrival order, authenticated or not. */
  requests: RecordedMintRequest[];
  /** Queues behaviours for the next authenticated mint requests, one each, in order. */
  script(...behaviours: FakeMintBehaviour[]): void;
  /** The behaviour once the script is used up (initially `mint`). */
  setDefault(behaviour: FakeMintBehaviour): void;
  /** Forgets recorded requests and the remaining script. */
  reset(): void;
  /** Stops the server, cutting hanging requests. */
  close(): Promise<void>;
}

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/** Starts the fake service. `secret` is the INTERNAL_SERVICE_SECRET it accepts. */
export async function startFakeMintingServer(options: {
  secret: string;
  /** Clock for checking the signature timestamp, unix ms (default Date.now). */
  clock?: () => number;
}): Promise<FakeMintingServer> {
  const clock = options.clock ?? Date.now;
  const requests: RecordedMintRequest[] = [];
  let queue: FakeMintBehaviour[] = [];
  let fallback: FakeMintBehaviour = { kind: 'mint' };

  const server = createServer((request, response) => {
    const arrivedAt = performance.now();
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      let body: unknown;
      try {
        body = JSON.parse(rawBody.toString('utf8'));
      } catch {
        body = undefined;
      }
      const header = request.headers['x-internal-auth'];
      const auth = verifyInternalAuth(
        Array.isArray(header) ? header.join(',') : header,
        rawBody,
        options.secret,
        Math.floor(clock() / 1000),
      );
      const record: RecordedMintRequest = {
        arrivedAt,
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        rawBody,
        body,
        auth,
        behaviour: undefined,
      };
      requests.push(record);
      if (record.method !== 'POST' || record.path !== MINT_TICKET_PATH) {
        json(response, 404, { error: { message: 'not found' } });
        return;
      }
      if (!auth.ok) {
        json(response, 401, { error: { message: `X-Internal-Auth refused: ${auth.reason}` } });
        return;
      }
      const behaviour = queue.shift() ?? fallback;
      record.behaviour = behaviour;
      switch (behaviour.kind) {
        case 'mint': {
          const ticket = body as { ticketId?: string; generation?: number } | undefined;
          const ref = behaviour.ref ?? `mint-${ticket?.ticketId}-g${ticket?.generation}`;
          json(response, 200, behaviour.body ?? { ref });
          return;
        }
        case 'status':
          json(response, behaviour.status, {
            error: { message: behaviour.message ?? `scripted ${behaviour.status}` },
          });
          return;
        case 'hang':
          return;
        case 'reset':
          request.socket.destroy();
          return;
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...behaviours) => {
      queue.push(...behaviours);
    },
    setDefault: (behaviour) => {
      fallback = behaviour;
    },
    reset: () => {
      requests.length = 0;
      queue = [];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
