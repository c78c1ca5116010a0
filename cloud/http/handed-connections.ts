/**
 * The worker's half of the lane router (lane-router.ts): a cloud worker behind the router does not listen
 * on the port itself; the primary hands it connections over IPC with the bytes it already read, which are
 * fed to the HTTP server before anything else the socket brings.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { HANDED_CONNECTION, type HandedConnectionMessage } from './lane-router';

function isHandedConnection(message: unknown): message is HandedConnectionMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as HandedConnectionMessage).type === HANDED_CONNECTION &&
    typeof (message as HandedConnectionMessage).head === 'string'
  );
}

export interface HandedConnections {
  /** Connections handed to this process and not yet closed. */
  open(): number;
  /**
   * Stops taking connections and resolves once every handed one has closed — what `server.close()` does
   * for a listening server (which counts only the connections it accepted itself).
   */
  close(): Promise<void>;
}

/** Serves the connections the primary hands this process with `server`, which must not listen itself. */
export function serveHandedConnections(server: Server): HandedConnections {
  // Node starts an HTTP server's connection tracking (request and header timeouts, closeIdleConnections
  // on shutdown) when it emits 'listening'; a server fed by the primary never listens, so say it does.
  server.emit('listening');
  const live = new Set<Socket>();
  let drained: (() => void) | undefined;
  const onMessage = (message: unknown, socket: unknown) => {
    if (!isHandedConnection(message) || !socket) return;
    const connection = socket as Socket;
    live.add(connection);
    connection.once('close', () => {
      live.delete(connection);
      if (live.size === 0) drained?.();
    });
    server.emit('connection', connection);
    connection.emit('data', Buffer.from(message.head, 'base64'));
    connection.resume();
  };
  process.on('message', onMessage);
  return {
    open: () => live.size,
    close: () => {
      process.off('message', onMessage);
      if (live.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        drained = resolve;
      });
    },
  };
}
