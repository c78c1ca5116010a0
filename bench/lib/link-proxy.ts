/**
 * The venue's link to the cloud, for benchmarks and the `npm start` demo's outage switch: a TCP proxy
 * on loopback in front of the cloud process that can be cut (`down`: every open connection — the push stream above all — is destroyed and new ones
 * are refused at once, as when the venue's uplink fails) and restored (`up`). Bytes pass untouched.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface LinkProxy {
  /** The URL gates use instead of the cloud's: through this link. */
  url: string;
  state: 'up' | 'down';
  close(): Promise<void>;
}

export async function startLinkProxy(targetUrl: string): Promise<LinkProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  let state: 'up' | 'down' = 'up';
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server: Server = createServer((incoming) => {
    track(incoming);
    if (state === 'down') {
      incoming.destroy();
      return;
    }
    const outgoing = connect({ host: target.hostname, port: Number(target.port) });
    track(outgoing);
    outgoing.setNoDelay(true);
    incoming.setNoDelay(true);
    incoming.pipe(outgoing);
    outgoing.pipe(incoming);
    incoming.on('close', () => outgoing.destroy());
    outgoing.on('close', () => incoming.destroy());
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    get state() {
      return state;
    },
    set state(next: 'up' | 'down') {
      state = next;
      if (next === 'down') for (const socket of sockets) socket.destroy();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
