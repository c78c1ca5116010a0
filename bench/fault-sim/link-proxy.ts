/**
 * The link between one gate and the cloud in the fault simulation: a loopback HTTP proxy that fails the
 * way a venue's network does — down, 503 on manifest pulls, upload answers lost after the cloud stored
 * the batch, uploads replayed (the same batch again and an older one), and connections cut half way
 * through a request or a response body. Only the network is faked: gate and cloud are real processes.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { LinkFaultMode } from './plan';

export type LinkMode = 'up' | LinkFaultMode;

export interface LinkProxy {
  /** The URL the gate is given as its cloud. */
  readonly url: string;
  mode: LinkMode;
  /** Requests by outcome, for the run log: "forwarded", "refused", "cut-response", "replayed"… */
  readonly counts: Map<string, number>;
  close(): Promise<void>;
}

interface RecordedUpload {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const UPLOAD_PATH = '/sync/scans';
const MANIFEST_PATH = '/sync/manifest';
/** How many past uploads are kept for stale replays. */
const REPLAY_HISTORY = 8;

function readBody(incoming: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => resolve(Buffer.concat(chunks)));
    incoming.on('error', reject);
  });
}

/**
 * Starts a proxy on 127.0.0.1 in front of the cloud at `cloudPort`. The cloud may stop and start again
 * on the same port; while it is down the proxy cuts the gate's connection, as an unreachable host does.
 */
export async function startLinkProxy(cloudPort: number): Promise<LinkProxy> {
  const sockets = new Set<Socket>();
  const counts = new Map<string, number>();
  const history: RecordedUpload[] = [];
  let mode: LinkMode = 'up';
  const count = (what: string) => counts.set(what, (counts.get(what) ?? 0) + 1);

  /** Sends one request to the cloud and resolves with its answer (status, headers, whole body). */
  const send = (method: string, path: string, headers: IncomingHttpHeaders, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const forwarded = httpRequest(
        {
          host: '127.0.0.1',
          port: cloudPort,
          method,
          path,
          headers: { ...headers, 'content-length': String(body.length) },
        },
        (answer) => {
          readBody(answer).then(
            (answerBody) =>
              resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: answerBody }),
            reject,
          );
        },
      );
      forwarded.setTimeout(15_000, () => forwarded.destroy(new Error('cloud timeout')));
      forwarded.on('error', reject);
      forwarded.end(body);
    });

  /** A replay: the cloud gets the batch again; nobody hears its answer. */
  const replay = (upload: RecordedUpload, path: string) => {
    count('replayed');
    send('POST', path, upload.headers, upload.body).catch(() => undefined);
  };

  const handle = async (incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> => {
    const url = incoming.url ?? '/';
    const path = url.split('?')[0]!;
    const current = mode;
    if (current === 'down') {
      count('refused');
      incoming.socket.destroy();
      return;
    }
    if (current === 'fail-manifest' && path.endsWith(MANIFEST_PATH)) {
      count('manifest-503');
      outgoing.writeHead(503, { 'content-type': 'application/json' });
      outgoing.end(
        JSON.stringify({ error: { code: 'SERVICE_UNAVAILABLE', message: 'link fault', requestId: 'proxy' } }),
      );
      return;
    }
    const isUpload = incoming.method === 'POST' && path.endsWith(UPLOAD_PATH);
    if (current === 'cut-requests' && incoming.method === 'POST') {
      // Half the body reaches the cloud, then both connections die.
      const body = await readBody(incoming);
      count('cut-request');
      const forwarded = httpRequest({
        host: '127.0.0.1',
        port: cloudPort,
        method: incoming.method,
        path: url,
        headers: incoming.headers,
      });
      forwarded.on('error', () => undefined);
      forwarded.write(body.subarray(0, Math.floor(body.length / 2)), () => {
        setTimeout(() => {
          forwarded.destroy();
          incoming.socket.destroy();
        }, 20);
      });
      return;
    }

    const isStream = (incoming.headers.accept ?? '').includes('text/event-stream');
    if (isStream) {
      // The push stream is piped as it comes; a cut link ends it (see `mode` below).
      count('stream');
      const forwarded = httpRequest(
        { host: '127.0.0.1', port: cloudPort, method: incoming.method, path: url, headers: incoming.headers },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          if (current === 'cut-responses') {
            answer.once('data', (chunk: Buffer) => {
              outgoing.write(chunk.subarray(0, Math.ceil(chunk.length / 2)));
              incoming.socket.destroy();
              answer.destroy();
            });
            return;
          }
          answer.pipe(outgoing);
        },
      );
      forwarded.on('error', () => incoming.socket.destroy());
      incoming.socket.on('close', () => forwarded.destroy());
      incoming.pipe(forwarded);
      return;
    }

    const body = await readBody(incoming);
    let answer: Awaited<ReturnType<typeof send>>;
    try {
      answer = await send(incoming.method ?? 'GET', url, incoming.headers, body);
    } catch {
      // The cloud is down or died mid-answer: the gate sees a dead connection.
      count('cloud-unreachable');
      incoming.socket.destroy();
      return;
    }
    if (isUpload) {
      history.push({ headers: incoming.headers, body });
      if (history.length > REPLAY_HISTORY) history.shift();
    }
    if (isUpload && current === 'lose-upload-answers') {
      count('upload-answer-lost');
      incoming.socket.destroy();
      return;
    }
    if (isUpload && current === 'replay-uploads') {
      // The same batch again once the first was answered, and an older batch from the history.
      replay({ headers: incoming.headers, body }, url);
      const older = history[Math.floor(history.length / 2)];
      if (older) replay(older, url);
    }
    const headers = { ...answer.headers };
    delete headers['transfer-encoding'];
    if (current === 'cut-responses' && answer.body.length > 1) {
      // Headers and half the body, then the connection dies.
      count('cut-response');
      outgoing.writeHead(answer.status, { ...headers, 'content-length': String(answer.body.length) });
      outgoing.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)), () =>
        incoming.socket.destroy(),
      );
      return;
    }
    count('forwarded');
    outgoing.writeHead(answer.status, { ...headers, 'content-length': String(answer.body.length) });
    outgoing.end(answer.body);
  };

  const server: Server = createServer((incoming, outgoing) => {
    handle(incoming, outgoing).catch(() => incoming.socket.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (mode === 'down') socket.destroy();
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );

  return {
    url: `http://127.0.0.1:${port}`,
    get mode() {
      return mode;
    },
    set mode(next: LinkMode) {
      mode = next;
      // A cut link also cuts open connections (the push stream above all), so the gate notices at once.
      if (next !== 'up') for (const socket of sockets) socket.destroy();
    },
    counts,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
