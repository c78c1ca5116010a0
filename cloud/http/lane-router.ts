/**
 * The scan lane's front door (CLOUD_SCAN_WORKERS > 0, cloud/cluster.ts): in the cluster's primary, one
 * listener on the cloud's port reads each new connection's first request line and hands the connection to
 * a worker of its lane — a steward's connection that opens with `POST /api/v1/validate` to a scan worker,
 * every other connection to a general worker.
 *
 * Why: node:cluster spreads connections over identical workers, so a scan lands in a process busy with
 * 500 buyers and waits behind every callback queued ahead of it (issue 19 measured p95 ≈ 2.9 s under the
 * seeds' load against a 100 ms target). A process that serves scans only is idle between them, and the
 * operating system runs it at once. A reverse proxy routing by path does the same across machines; this
 * does it on one machine with nothing else to install.
 *
 * The connection, not the request, is routed (the primary never parses HTTP beyond the first line): a
 * keep-alive connection stays with the worker that took it, whatever it asks later — a scanner's
 * connection carries scans. What the primary read is sent along and fed to the worker's HTTP server first
 * (handed-connections.ts), the pattern @socket.io/sticky uses.
 */
import type { Worker } from 'node:cluster';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';

export type Lane = 'general' | 'scan';

/** The message a worker receives with a handed connection (the socket travels as the message's handle). */
export const HANDED_CONNECTION = 'cloud:connection';

export interface HandedConnectionMessage {
  type: typeof HANDED_CONNECTION;
  /** What the primary read from the connection before handing it over, base64. */
  head: string;
}

/** Requests whose connections the scan lane serves: method and path (query strings ignored). */
const SCAN_REQUESTS: ReadonlyArray<readonly [string, string]> = [['POST', '/api/v1/validate']];

/** A request line longer than this is not one a client of ours sends: the general lane answers it. */
export const MAX_REQUEST_LINE_BYTES = 8 * 1024;
/** A connection that has not sent its request line in this time is closed (a slowloris-style hold). */
export const REQUEST_LINE_TIMEOUT_MS = 10_000;

/** The lane of a connection whose first request line is `line` (without its CRLF). */
export function laneOfRequestLine(line: string): Lane {
  const [method = '', target = ''] = line.split(' ', 2);
  const path = target.split('?', 1)[0] ?? '';
  return SCAN_REQUESTS.some(([m, p]) => m === method && p === path) ? 'scan' : 'general';
}

export interface LaneRouterOptions {
  port: number;
  host: string;
  /** The worker that takes the next connection of `lane`, or undefined when the lane has none alive. */
  pick(lane: Lane): Worker | undefined;
  logger: Logger;
}

export interface LaneRouter {
  server: Server;
  port: number;
  /** Stops taking connections (handed ones live on in their workers). */
  close(): Promise<void>;
}

/** Listens on `port` and routes every connection to a worker of its lane. */
export async function startLaneRouter(options: LaneRouterOptions): Promise<LaneRouter> {
  const server = createServer({ pauseOnConnect: true }, (socket) => route(socket, options));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    server,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Reads the connection's first line, then hands the socket and what was read to a worker. */
function route(socket: Socket, options: LaneRouterOptions): void {
  const chunks: Buffer[] = [];
  let length = 0;
  const timer = setTimeout(() => socket.destroy(), REQUEST_LINE_TIMEOUT_MS);
  const finish = () => {
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('error', onError);
    socket.off('end', onEnd);
  };
  const onError = () => finish();
  const onEnd = () => {
    finish();
    socket.destroy();
  };
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    length += chunk.length;
    const head = Buffer.concat(chunks, length);
    const lineEnd = head.indexOf('\r\n');
    if (lineEnd < 0 && length < MAX_REQUEST_LINE_BYTES) return;
    socket.pause();
    finish();
    const lane = lineEnd < 0 ? 'general' : laneOfRequestLine(head.subarray(0, lineEnd).toString('latin1'));
    handOver(socket, head, lane, options);
  };
  socket.on('data', onData);
  socket.on('error', onError);
  socket.on('end', onEnd);
  socket.resume();
}

function handOver(socket: Socket, head: Buffer, lane: Lane, options: LaneRouterOptions): void {
  // A lane with no live worker (one restarting) falls back to the other: a scan answered slowly beats
  // a refused connection.
  const worker = options.pick(lane) ?? options.pick(lane === 'scan' ? 'general' : 'scan');
  if (!worker) {
    socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  const message: HandedConnectionMessage = { type: HANDED_CONNECTION, head: head.toString('base64') };
  worker.send(message, socket, (error) => {
    if (!error) return;
    options.logger.warn({ err: error, lane }, 'could not hand a connection to a cloud worker');
    socket.destroy();
  });
}
