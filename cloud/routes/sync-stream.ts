/**
 * `GET /sync/stream` (docs/CONTRACT.md §6): Server-Sent Events that tell an online gate to pull now. The
 * stream names the events it covers at once (the gate pulls them on every connect), then sends
 * `manifest` {eventId, head} when one of them changes, a heartbeat while nothing does, and ends after
 * `STREAM_MAX_MS` or at shutdown (the gate reconnects).
 *
 * `ready` also names the heartbeat interval, so a gate knows how long silence may last: a stream whose
 * path died without closing the connection (a cloud killed behind a proxy, a link gone dark) is given
 * up after 2.5 heartbeats instead of hanging until the gate's next timed pull.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { type SSEStreamingApi, streamSSE } from 'hono/streaming';
import { errorResponses } from '../http/answers';
import { createRouter, deviceAccess, type SyncRouteDeps } from '../http/openapi';
import { eventsForDevice } from '../services/devices';
import type { ManifestWatcher } from '../services/manifest-watch';

/** Long-lived streams are closed after this long; the gate reconnects (and pulls on connect). */
const STREAM_MAX_MS = 5 * 60_000;

/** Forwards the watcher's change heads for `eventIds` to one stream until it ends. */
async function relayManifestHeads(
  stream: SSEStreamingApi,
  watcher: ManifestWatcher,
  eventIds: string[],
  heartbeatMs: number,
): Promise<void> {
  const queue: Array<{ eventId: string; head: number }> = [];
  let wake: (() => void) | undefined;
  // The heads as they are now, read BEFORE `ready` tells the gate to pull: everything up to them the
  // gate gets with that pull, and every later change moves a head away from this baseline.
  const baseline = await watcher.heads(eventIds);
  const unwatch = watcher.watch(
    eventIds,
    (eventId, head) => {
      queue.push({ eventId, head });
      wake?.();
    },
    baseline,
  );
  const offShutdown = watcher.onShutdown(() => wake?.());
  stream.onAbort(() => {
    unwatch();
    wake?.();
  });
  const endAt = Date.now() + STREAM_MAX_MS;
  // Tell the gate at once which events this stream covers: it pulls them on (re)connect.
  await stream.writeSSE({ event: 'ready', data: JSON.stringify({ eventIds, heartbeatMs }) });
  try {
    while (!stream.aborted && !watcher.shuttingDown && Date.now() < endAt) {
      while (queue.length > 0) {
        const message = queue.shift()!;
        await stream.writeSSE({ event: 'manifest', data: JSON.stringify(message) });
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, heartbeatMs).unref();
      });
      wake = undefined;
      if (queue.length === 0 && !stream.aborted && !watcher.shuttingDown) {
        await stream.write(': heartbeat\n\n');
      }
    }
  } finally {
    unwatch();
    offShutdown();
  }
}

/** The push-stream route under /api/v1. */
export function streamRoutes(deps: SyncRouteDeps) {
  const { services, requireDevice, watcher, streamHeartbeatMs } = deps;
  return createRouter().openapi(
    createRoute({
      method: 'get',
      path: '/sync/stream',
      summary: 'Server-Sent Events: `manifest` {eventId, head} when an event the gate serves changes',
      ...deviceAccess(requireDevice),
      responses: {
        200: {
          description:
            'Server-Sent Events: `ready` {eventIds, heartbeatMs} at once, then `manifest` {eventId, head} whenever an event the gate serves changes, and a `: heartbeat` comment every `heartbeatMs` (5 s by default) while nothing does; a gate gives up a stream silent for 2.5 heartbeats and reconnects. The stream ends after 5 minutes (the gate reconnects).',
          content: {
            'text/event-stream': {
              schema: z.string().openapi({
                example:
                  'event: ready\ndata: {"eventIds":["0196f3a2-7c1e-7b3a-9f2d-5e6f70819203"],"heartbeatMs":5000}\n\nevent: manifest\ndata: {"eventId":"0196f3a2-7c1e-7b3a-9f2d-5e6f70819203","head":43}\n\n',
              }),
            },
          },
        },
        ...errorResponses(),
      },
    }),
    async (c) => {
      const served = await eventsForDevice(services.db, c.get('device'));
      const eventIds = served.map((event) => event.id);
      return streamSSE(c, (stream) =>
        relayManifestHeads(stream, watcher, eventIds, streamHeartbeatMs),
      ) as never;
    },
  );
}
