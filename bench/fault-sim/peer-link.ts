/**
 * The venue LAN between gates in the fault simulation: one loopback proxy in front of each gate's peer
 * server (`--peer-listen`), whose address the gate advertises (`--peer-advertise`), so every peer
 * request to that gate crosses it. The proxy tells the sending gate by the peer protocol's device
 * header and treats the request as the LAN link between the two gates is set: `up`, `down` (the
 * connection dies, as to an unreachable host), `slow` (each request held 100–700 ms: some outlive the
 * agent's 500 ms peer timeout) or `lossy` (half the requests die). A request and its answer share one
 * connection, so a link cut this way is cut in both directions.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { readBody } from './link-relay';
import { type Random, seededRandom } from './prng';
import type { PeerLinkMode } from './same-ticket-plan';

const DEVICE_HEADER = 'x-peer-device';

/** The LAN of a venue: the mode of each link between two gates, and which device is which gate. */
export class PeerLan {
  readonly #modes = new Map<string, PeerLinkMode>();
  readonly #inbound: PeerInbound[] = [];
  /** Device id (lower case) → gate index, filled once the gates have enrolled. */
  readonly gateOfDevice = new Map<string, number>();

  /** Each gate's inbound proxy, by gate index. */
  get inbound(): readonly PeerInbound[] {
    return this.#inbound;
  }

  static key(a: number, b: number): string {
    return `${Math.min(a, b)}-${Math.max(a, b)}`;
  }

  modeOf(a: number, b: number): PeerLinkMode {
    return this.#modes.get(PeerLan.key(a, b)) ?? 'up';
  }

  /** Sets the link between gates a and b; a link not up also cuts its open connections at once. */
  setMode(a: number, b: number, mode: PeerLinkMode): void {
    this.#modes.set(PeerLan.key(a, b), mode);
    if (mode === 'up') return;
    this.#inbound[a]?.cutFrom(b);
    this.#inbound[b]?.cutFrom(a);
  }

  /** Starts the proxy in front of gate `gate`'s peer server at `targetPort`. */
  async open(gate: number, targetPort: number, seed: number): Promise<PeerInbound> {
    const inbound = await startPeerInbound(this, gate, targetPort, seededRandom((seed * 31 + gate) >>> 0));
    this.#inbound[gate] = inbound;
    return inbound;
  }

  async close(): Promise<void> {
    await Promise.all(this.#inbound.map((p) => p?.close()));
  }
}

export interface PeerInbound {
  /** `127.0.0.1:port`: what the gate advertises to the others. */
  readonly address: string;
  /** Requests by outcome, for the run log. */
  readonly counts: Map<string, number>;
  /** Cuts the open connections gate `from` made to this gate. */
  cutFrom(from: number): void;
  close(): Promise<void>;
}

/** A free loopback port (for a gate's `--peer-listen`): bound once and released. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function startPeerInbound(
  lan: PeerLan,
  gate: number,
  targetPort: number,
  random: Random,
): Promise<PeerInbound> {
  const counts = new Map<string, number>();
  const count = (what: string) => counts.set(what, (counts.get(what) ?? 0) + 1);
  /** Each open connection and the gate that last sent on it. */
  const senders = new Map<Socket, number | undefined>();

  const server: Server = createServer((incoming, outgoing) => {
    const device = String(incoming.headers[DEVICE_HEADER] ?? '').toLowerCase();
    const from = lan.gateOfDevice.get(device);
    senders.set(incoming.socket, from);
    const mode = from === undefined ? 'up' : lan.modeOf(from, gate);
    if (mode === 'down' || (mode === 'lossy' && random.chance(0.5))) {
      count(mode === 'down' ? 'refused' : 'dropped');
      incoming.socket.destroy();
      return;
    }
    const delayMs = mode === 'slow' ? random.int(100, 700) : 0;
    readBody(incoming)
      .then(async (body) => {
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        // The link may have been cut while the request was held.
        if (from !== undefined && lan.modeOf(from, gate) === 'down') throw new Error('cut');
        const forwarded = httpRequest(
          {
            host: '127.0.0.1',
            port: targetPort,
            method: incoming.method,
            path: incoming.url,
            headers: { ...incoming.headers, 'content-length': String(body.length) },
          },
          (answer) => {
            count(mode === 'up' ? 'forwarded' : `forwarded-${mode}`);
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(outgoing);
          },
        );
        forwarded.setTimeout(5_000, () => forwarded.destroy());
        forwarded.on('error', () => incoming.socket.destroy());
        forwarded.end(body);
      })
      .catch(() => incoming.socket.destroy());
  });
  server.on('connection', (socket) => {
    senders.set(socket, undefined);
    socket.on('close', () => senders.delete(socket));
    socket.on('error', () => undefined);
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
  return {
    address: `127.0.0.1:${port}`,
    counts,
    cutFrom(from) {
      for (const [socket, sender] of senders) if (sender === from) socket.destroy();
    },
    async close() {
      for (const socket of senders.keys()) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
