/**
 * How one request crosses a faulty link of the fault simulation (link-proxy.ts holds the server): one
 * function per way the link treats it — refused, a 503 for a manifest pull, half a request body, the
 * push stream piped (or cut after its first chunk), or a whole request forwarded with its answer
 * delivered, lost, cut half way, or followed by replays of uploads.
 */
import {
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { LinkFaultMode } from './plan';

export type LinkMode = 'up' | LinkFaultMode;

/** An upload the link has carried, kept so it can be replayed later. */
export interface RecordedUpload {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** What the relay functions share for one link. */
export interface Link {
  /** The loopback port of the server behind the link. */
  readonly targetPort: number;
  /** Counts a request by outcome, for the run log. */
  count(outcome: string): void;
  /** The latest uploads, oldest first (at most REPLAY_HISTORY). */
  readonly uploads: RecordedUpload[];
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const UPLOAD_PATH = '/sync/scans';
const MANIFEST_PATH = '/sync/manifest';
/** How many past uploads are kept for stale replays. */
const REPLAY_HISTORY = 8;

/** The whole body of a request or response. */
export function readBody(incoming: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => resolve(Buffer.concat(chunks)));
    incoming.on('error', reject);
  });
}

/** Sends one request through to the target and resolves with its answer (status, headers, whole body). */
function send(link: Link, method: string, path: string, headers: IncomingHttpHeaders, body: Buffer) {
  return new Promise<Answer>((resolve, reject) => {
    const forwarded = httpRequest(
      {
        host: '127.0.0.1',
        port: link.targetPort,
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
}

/** A replay: the target gets the batch again; nobody hears its answer. */
function replay(link: Link, upload: RecordedUpload, path: string): void {
  link.count('replayed');
  send(link, 'POST', path, upload.headers, upload.body).catch(() => undefined);
}

/** The link is down: the connection dies, as to an unreachable host. */
function refuse(link: Link, incoming: IncomingMessage): void {
  link.count('refused');
  incoming.socket.destroy();
}

/** A manifest pull answered 503 by the link itself. */
function failManifest(link: Link, outgoing: ServerResponse): void {
  link.count('manifest-503');
  outgoing.writeHead(503, { 'content-type': 'application/json' });
  outgoing.end(
    JSON.stringify({ error: { code: 'SERVICE_UNAVAILABLE', message: 'link fault', requestId: 'proxy' } }),
  );
}

/** Half the body reaches the target, then both connections die. */
async function cutRequest(link: Link, incoming: IncomingMessage, url: string): Promise<void> {
  const body = await readBody(incoming);
  link.count('cut-request');
  const forwarded = httpRequest({
    host: '127.0.0.1',
    port: link.targetPort,
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
}

/** The push stream is piped as it comes; a cut link ends it (the proxy cuts open sockets). */
function pipeStream(
  link: Link,
  mode: LinkMode,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  url: string,
): void {
  link.count('stream');
  const forwarded = httpRequest(
    {
      host: '127.0.0.1',
      port: link.targetPort,
      method: incoming.method,
      path: url,
      headers: incoming.headers,
    },
    (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      if (mode === 'cut-responses') {
        answer.once('data', (chunk: Buffer) => {
          outgoing.write(chunk.subarray(0, Math.ceil(chunk.length / 2)));
          incoming.socket.destroy();
          answer.destroy();
        });
        return;
      }
      answer.pipe(outgoing);
      // The cloud's end died part way (kill -9): cut the gate's end too, as a TCP proxy does. pipe()
      // alone would leave the gate holding a silent stream.
      answer.on('close', () => {
        if (!answer.complete) incoming.socket.destroy();
      });
    },
  );
  forwarded.on('error', () => incoming.socket.destroy());
  incoming.socket.on('close', () => forwarded.destroy());
  incoming.pipe(forwarded);
}

/**
 * A whole request forwarded and its whole answer read; then, by mode, the answer of an upload lost,
 * the upload replayed (and an older one), the answer cut half way, or the answer delivered.
 */
async function forwardWhole(
  link: Link,
  mode: LinkMode,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  url: string,
  isUpload: boolean,
): Promise<void> {
  const body = await readBody(incoming);
  let answer: Answer;
  try {
    answer = await send(link, incoming.method ?? 'GET', url, incoming.headers, body);
  } catch {
    // The target is down or died mid-answer: the gate sees a dead connection.
    link.count('cloud-unreachable');
    incoming.socket.destroy();
    return;
  }
  if (isUpload) {
    link.uploads.push({ headers: incoming.headers, body });
    if (link.uploads.length > REPLAY_HISTORY) link.uploads.shift();
  }
  if (isUpload && mode === 'lose-upload-answers') {
    link.count('upload-answer-lost');
    incoming.socket.destroy();
    return;
  }
  if (isUpload && mode === 'replay-uploads') {
    // The same batch again once the first was answered, and an older batch from the history.
    replay(link, { headers: incoming.headers, body }, url);
    const older = link.uploads[Math.floor(link.uploads.length / 2)];
    if (older) replay(link, older, url);
  }
  const headers = { ...answer.headers };
  delete headers['transfer-encoding'];
  if (mode === 'cut-responses' && answer.body.length > 1) {
    // Headers and half the body, then the connection dies.
    link.count('cut-response');
    outgoing.writeHead(answer.status, { ...headers, 'content-length': String(answer.body.length) });
    outgoing.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)), () =>
      incoming.socket.destroy(),
    );
    return;
  }
  link.count('forwarded');
  outgoing.writeHead(answer.status, { ...headers, 'content-length': String(answer.body.length) });
  outgoing.end(answer.body);
}

/** Carries one request across the link in `mode` (the mode when the request arrived). */
export async function relay(
  link: Link,
  mode: LinkMode,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
): Promise<void> {
  const url = incoming.url ?? '/';
  const path = url.split('?')[0]!;
  if (mode === 'down') return refuse(link, incoming);
  if (mode === 'fail-manifest' && path.endsWith(MANIFEST_PATH)) return failManifest(link, outgoing);
  const isUpload = incoming.method === 'POST' && path.endsWith(UPLOAD_PATH);
  if (mode === 'cut-requests' && incoming.method === 'POST') return cutRequest(link, incoming, url);
  if ((incoming.headers.accept ?? '').includes('text/event-stream'))
    return pipeStream(link, mode, incoming, outgoing, url);
  return forwardWhole(link, mode, incoming, outgoing, url, isUpload);
}
