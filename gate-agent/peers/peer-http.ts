/**
 * The peer protocol over HTTP: the server a gate runs on its `--peer-listen` address (the venue LAN,
 * never the loopback-only scanner API), and the client transport it reaches its peers with. HTTP
 * keep-alive connections make one LAN round trip per message. Bodies are bounded; anything but a sealed
 * JSON message is a 4xx with the error envelope; authentication is the replicator's (peer-messages.ts).
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import {
  MAX_PEER_BODY_BYTES,
  PEER_DEVICE_HEADER,
  PEER_EXCHANGE_PATH,
  PEER_PUSH_PATH,
  PEER_SIGNATURE_HEADER,
} from './protocol';
import type { PeerAnswer, PeerReplicator, PeerTransport } from './replicator';

/** The peer endpoints as a Hono app (served by the agent on its peer address). */
export function createPeerApp(replicator: () => PeerReplicator | undefined): Hono {
  const app = new Hono();
  const error = (code: string, message: string) => ({ error: { code, message } });
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_PEER_BODY_BYTES,
      onError: (c) =>
        c.json(error('PAYLOAD_TOO_LARGE', `peer messages are at most ${MAX_PEER_BODY_BYTES} bytes`), 413),
    }),
  );
  const handle =
    (kind: 'push' | 'exchange') =>
    async (c: import('hono').Context): Promise<Response> => {
      const current = replicator();
      if (!current) return c.json(error('NOT_READY', 'this gate is not enrolled or has no peers yet'), 503);
      if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json'))
        return c.json(error('UNSUPPORTED_MEDIA_TYPE', 'peer messages are application/json'), 415);
      const body = new Uint8Array(await c.req.arrayBuffer());
      const headers = {
        device: c.req.header(PEER_DEVICE_HEADER) ?? null,
        signature: c.req.header(PEER_SIGNATURE_HEADER) ?? null,
      };
      const answer: PeerAnswer =
        kind === 'push' ? current.handlePush(body, headers) : current.handleExchange(body, headers);
      if (answer.status !== 200) return c.json({ error: answer.error }, answer.status);
      return new Response(answer.sealed.body, { status: 200, headers: answer.sealed.headers });
    };
  app.post(PEER_PUSH_PATH, handle('push'));
  app.post(PEER_EXCHANGE_PATH, handle('exchange'));
  app.notFound((c) => c.json(error('NOT_FOUND', 'no such peer endpoint'), 404));
  app.onError((_err, c) => c.json(error('INTERNAL', 'internal error'), 500));
  return app;
}

/** Peer requests over fetch (undici keeps connections alive), each with its own timeout. */
export const httpPeerTransport: PeerTransport = {
  async send(target, path, message, timeoutMs) {
    const response = await fetch(`http://${target.address}${path}`, {
      method: 'POST',
      headers: message.headers,
      body: message.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = new Uint8Array(await response.arrayBuffer());
    if (!response.ok) throw new Error(`peer ${target.address} answered ${response.status}`);
    return {
      body,
      device: response.headers.get(PEER_DEVICE_HEADER),
      signature: response.headers.get(PEER_SIGNATURE_HEADER),
    };
  },
};
