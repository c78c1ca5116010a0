/**
 * The link between one gate and the cloud in the fault simulation: a loopback HTTP proxy that fails the
 * way a venue's network does — down, 503 on manifest pulls, upload answers lost after the cloud stored
 * the batch, uploads replayed (the same batch again and an older one), and connections cut half way
 * through a request or a response body (link-relay.ts, one function per way). Only the network is
 * faked: gate and cloud are real processes. The server behind it is any loopback HTTP server, so a
 * scenario can put the same link between two gates.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type Link, type LinkMode, type RecordedUpload, relay } from './link-relay';

export interface LinkProxy {
  /** The URL the gate is given as its cloud. */
  readonly url: string;
  mode: LinkMode;
  /** Requests by outcome, for the run log: "forwarded", "refused", "cut-response", "replayed"… */
  readonly counts: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Starts a proxy on 127.0.0.1 in front of the server at `targetPort` (the cloud). The server may stop
 * and start again on the same port; while it is down the proxy cuts the gate's connection, as an
 * unreachable host does.
 */
export async function startLinkProxy(targetPort: number): Promise<LinkProxy> {
  const sockets = new Set<Socket>();
  const counts = new Map<string, number>();
  const uploads: RecordedUpload[] = [];
  const link: Link = {
    targetPort,
    count: (what) => counts.set(what, (counts.get(what) ?? 0) + 1),
    uploads,
  };
  let mode: LinkMode = 'up';

  const server: Server = createServer((incoming, outgoing) => {
    relay(link, mode, incoming, outgoing).catch(() => incoming.socket.destroy());
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
