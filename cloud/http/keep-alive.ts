/**
 * Keep-alive connections of the cloud's HTTP server: kept open long while idle, so clients and load
 * balancers close them first and never send a request into a connection the server is closing; let go
 * of quickly once the process drains for a shutdown, so a long idle timeout never holds a restart.
 */
import type { Server, ServerResponse } from 'node:http';

/**
 * How long an idle keep-alive connection stays open (Node's default: 5 s). A client that sends its next
 * request just as the server closes the connection gets ECONNRESET — 0–11 times in every load test run
 * with the default — and Node 20's own HTTP client ignores the `Keep-Alive: timeout` hint the server
 * sends. Above the 60 s idle timeout load balancers use and the 5 s of Node's default client agent, the
 * client side closes first. An idle connection costs a file descriptor.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * How long a request's headers may take to arrive (Node's default: 60 s). Kept above the keep-alive
 * timeout, as is usual since nodejs/node#27363: a connection held open for reuse must not have its next
 * request's headers judged late. It stays below Node's 300 s whole-request timeout.
 */
const HEADERS_TIMEOUT_MS = KEEP_ALIVE_TIMEOUT_MS + 1_000;

/**
 * While draining, how often connections that went idle are closed. Node 20 keeps a connection that was
 * busy when `server.close()` was called open for the whole keep-alive timeout after its last answer.
 */
const DRAIN_SWEEP_MS = 100;

export interface KeepAlive {
  /**
   * Starts draining: every answer not yet begun says `Connection: close` (its client opens a new
   * connection, elsewhere, for its next request), idle connections are closed now and whenever one goes
   * idle. Returns the function that stops the sweep.
   */
  drain(): () => void;
}

/** Sets the server's keep-alive timeout and prepares its draining; call before it takes connections. */
export function manageKeepAlive(server: Server): KeepAlive {
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  let draining = false;
  // Answers in progress, so a drain can still mark those whose headers are not out yet.
  const answering = new Set<ServerResponse>();
  const closeAfter = (response: ServerResponse) => {
    if (!response.headersSent) response.setHeader('connection', 'close');
  };
  // Runs before the app's listener: a header set here is merged into the app's answer.
  server.prependListener('request', (_request, response) => {
    if (draining) return closeAfter(response);
    answering.add(response);
    response.once('close', () => answering.delete(response));
  });
  return {
    drain() {
      draining = true;
      for (const response of answering) closeAfter(response);
      answering.clear();
      server.closeIdleConnections();
      const sweep = setInterval(() => server.closeIdleConnections(), DRAIN_SWEEP_MS);
      sweep.unref();
      return () => clearInterval(sweep);
    },
  };
}
