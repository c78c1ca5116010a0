/**
 * A Redis that is not there, for outage tests: a loopback port where nothing listens (`refused`), or a
 * TCP server that accepts connections and never answers (`silent`). `recover()` turns it into a proxy to
 * a real Redis (listening on the same port if nothing did, cutting the silent connections so the clients
 * reconnect), which is Redis coming back.
 */
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

export type RedisOutage = 'refused' | 'silent';

export class RedisStandIn {
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #forwardTo: URL | undefined;

  private constructor(
    readonly port: number,
    readonly outage: RedisOutage,
  ) {}

  /** redis://127.0.0.1:PORT */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(outage: RedisOutage): Promise<RedisStandIn> {
    // A port that was free a moment ago; for `refused` nothing listens on it until recover().
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const standIn = new RedisStandIn(port, outage);
    if (outage === 'silent') await standIn.#listen();
    return standIn;
  }

  /** Redis is back: every new connection is forwarded to `target`, the silent ones are cut. */
  async recover(target: string): Promise<void> {
    this.#forwardTo = new URL(target);
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    if (!this.#server) await this.#listen();
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #listen(): Promise<void> {
    const server = createServer((socket) => this.#accept(socket));
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.#server = server;
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => this.#sockets.delete(socket));
    const target = this.#forwardTo;
    if (!target) return; // silent: read nothing, answer nothing
    const upstream = connect(Number(target.port || 6379), target.hostname);
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
    socket.pipe(upstream).pipe(socket);
  }
}
