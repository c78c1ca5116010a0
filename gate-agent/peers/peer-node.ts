/**
 * One gate's part in replication on the venue LAN (issue 14), assembled: the peer directory filled from
 * the cloud-signed peer lists in the store, the replicator over the gate's admission log, and the HTTP
 * server on `--peer-listen`. The agent asks it two things on the scan path, both cheap and in memory —
 * is an admission decided now confirmed, and "an admission was just committed, tell the others" — and
 * it never makes a door wait for the LAN.
 *
 * Started only when the gate is given a peer address to listen on (`--peer-listen`); a gate without it
 * still learns other doors' admissions through the cloud, and counts as confirmed only while online.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Logger } from 'pino';
import { createDetachedSigner } from '../../shared/crypto/index';
import type { StoredAdmission } from '../store/admission-log';
import type { GateStore } from '../store/gate-store';
import { PeerDirectory, type PeerSummary } from './peer-directory';
import { createPeerApp, httpPeerTransport } from './peer-http';
import type { PeerAdmission, UnsignedAdmission } from './protocol';
import {
  type AdmissionLogPort,
  DEFAULT_HEARTBEAT_MS,
  PeerReplicator,
  type PeerTransport,
} from './replicator';

export interface PeerNodeOptions {
  store: GateStore;
  /** `host:port` to serve the peer protocol on (the venue LAN). Port 0 picks a free one. */
  listen: string;
  /** `host:port` the other gates should use (reported to the cloud); default: the bound listen address. */
  advertise?: string;
  /** Extra peer addresses to try (`--peer`), for networks where the reported addresses do not work. */
  staticPeers?: readonly string[];
  /** The device clock (the gate corrects it by the stored offset to the cloud). */
  clock: () => number;
  /** Whether the cloud answers right now (the sync engine's state). */
  cloudOnline: () => boolean;
  heartbeatMs?: number;
  timeoutMs?: number;
  transport?: PeerTransport;
  logger?: Logger;
  /** Metrics hooks. */
  onLearned?: (records: readonly PeerAdmission[]) => void;
  onRoundTrip?: (ms: number) => void;
  onRefused?: (why: string) => void;
}

export interface PeerNode {
  /** The address other gates reach this one at (what the health report carries). */
  readonly address: string;
  /** Confirmed = the cloud answers, or every peer listed for the event was heard from recently. */
  confirmed(eventId: string): boolean;
  /** An admission of `eventId` was just committed here: broadcast this gate's records not yet sent. */
  admitted(eventId: string): void;
  /** Re-reads the peer lists (after a manifest pull changed them). */
  refresh(): void;
  summary(): PeerSummary;
  /** The device-clock time of the last word from the event's least recently heard peer (peer-directory). */
  lastWordAt(eventId: string): number | undefined;
  /** One anti-entropy round now (tests; the heartbeat runs it every second). */
  exchangeNow(): Promise<void>;
  /** Waits until every broadcast and exchange in flight has finished (tests, shutdown). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** `host:port` → parts; throws RangeError naming the flag on anything else. */
export function parsePeerAddress(value: string, flag: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || port > 65_535) throw new RangeError(`${flag} must be host:port, got ${value}`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

/** A stored record as it travels between gates (the fields its origin signs). */
function unsignedOf(r: StoredAdmission): UnsignedAdmission {
  return {
    eventId: r.eventId,
    serial: r.serial,
    origin: r.origin,
    originSeq: r.originSeq,
    direction: r.direction,
    ...(r.direction === 'undo' && r.undoes ? { undoes: r.undoes } : {}),
    at: r.at,
    gateId: r.gateId,
    unconfirmed: r.unconfirmed,
    // Only when the record has them (issue 18): a record without zones signs the bytes it always did.
    ...(r.direction !== 'undo' && r.fromZone && r.toZone ? { fromZone: r.fromZone, toZone: r.toZone } : {}),
  };
}

/**
 * The admission log as the replicator sees it: only records it may vouch for travel. `deviceClock`
 * stamps when a record arrived, on the device clock like every other arrival in the log (the replicator
 * runs on the corrected clock).
 */
export function admissionLogPort(
  store: GateStore,
  selfDeviceId: string,
  deviceClock: () => number,
): AdmissionLogPort {
  const self = selfDeviceId.toLowerCase();
  return {
    vector: (eventId) => store.admissions.vector(eventId),
    recordsAfter(eventId, origin, after, limit) {
      // Records another gate made that reached us through the cloud carry no origin signature, so they
      // cannot be relayed (a peer would rightly refuse them); that peer gets them from the cloud too.
      return store.admissions
        .recordsAfter(eventId, origin, after, limit)
        .filter((r) => r.origin.toLowerCase() === self || r.signature !== null)
        .map((r) => ({ ...unsignedOf(r), signature: r.origin.toLowerCase() === self ? null : r.signature }));
    },
    storePeerRecords(records) {
      if (records.length === 0) return [];
      const gateNames = new Map<string, string | null>();
      for (const list of store.peers.all().values())
        for (const peer of list) gateNames.set(peer.gateId.toLowerCase(), peer.gateName);
      const stored = store.admissions.storeRecords(
        records.map((r) => ({
          eventId: r.eventId.toLowerCase(),
          serial: r.serial,
          origin: r.origin.toLowerCase(),
          originSeq: r.originSeq,
          direction: r.direction,
          ...(r.undoes
            ? { undoes: { origin: r.undoes.origin.toLowerCase(), originSeq: r.undoes.originSeq } }
            : {}),
          at: r.at,
          gateId: r.gateId.toLowerCase(),
          gateName: gateNames.get(r.gateId.toLowerCase()) ?? null,
          unconfirmed: r.unconfirmed,
          ...(r.fromZone && r.toZone ? { fromZone: r.fromZone, toZone: r.toZone } : {}),
          signature: r.signature,
        })),
        'peer',
        deviceClock(),
      );
      const fresh = new Set(stored.map((r) => `${r.origin}/${r.originSeq}`));
      return records.filter((r) => fresh.has(`${r.origin.toLowerCase()}/${r.originSeq}`));
    },
  };
}

/**
 * Starts the peer server and the replicator. The gate must be enrolled (its device key signs every
 * message and record); a gate enrolled later starts replicating on its next start.
 */
export async function startPeerNode(options: PeerNodeOptions): Promise<PeerNode> {
  const { store } = options;
  const { deviceId, privateKey } = store.settings;
  if (!deviceId || !privateKey) throw new Error('the peer protocol needs an enrolled gate (--enroll first)');
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  // The timeline records and messages carry: the device clock corrected by the offset to the cloud.
  const corrected = () => options.clock() + store.settings.clockOffsetMs;
  const directory = new PeerDirectory({
    selfDeviceId: () => store.settings.deviceId,
    staticAddresses: options.staticPeers ?? [],
    // Three heartbeats: one lost exchange does not make a peer unreachable, a cut LAN does within ~3 s.
    reachableForMs: 3 * heartbeatMs,
    wallClock: options.clock,
  });
  const refresh = () => {
    const lists = store.peers.all();
    for (const [eventId, peers] of lists) directory.setPeers(eventId, peers);
    // An event whose list became empty has no rows left: its last peer (revoked, say) must go too.
    for (const eventId of directory.events()) if (!lists.has(eventId)) directory.setPeers(eventId, []);
  };
  refresh();
  const replicator = new PeerReplicator({
    identity: { deviceId, sign: createDetachedSigner(privateKey, 'peer-message') },
    signRecord: createDetachedSigner(privateKey, 'admission-record'),
    directory,
    log: admissionLogPort(store, deviceId, options.clock),
    transport: options.transport ?? httpPeerTransport,
    clock: corrected,
    cloudInContact: options.cloudOnline,
    heartbeatMs,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.onLearned ? { onLearned: options.onLearned } : {}),
    ...(options.onRoundTrip ? { onRoundTrip: options.onRoundTrip } : {}),
    ...(options.onRefused ? { onRefused: options.onRefused } : {}),
  });

  const { host, port } = parsePeerAddress(options.listen, '--peer-listen');
  if (!options.advertise && (host === '0.0.0.0' || host === '::'))
    throw new RangeError(
      `--peer-listen ${options.listen} listens everywhere: say --peer-advertise host:port`,
    );
  const app = createPeerApp(() => replicator);
  let server: ReturnType<typeof serve> | undefined;
  const bound = await new Promise<AddressInfo>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname: host }, (info) => resolve(info));
    server = s;
    s.once('error', reject);
  });
  const address = options.advertise ?? `${host.includes(':') ? `[${host}]` : host}:${bound.port}`;

  // The highest own originSeq broadcast per event: each commit sends what is new since.
  const published = new Map<string, number>();
  const publishPending = (eventId: string) => {
    const from = published.get(eventId) ?? 0;
    const records = store.admissions.recordsAfter(eventId, deviceId, from, 500);
    if (records.length === 0) return;
    published.set(eventId, records.at(-1)!.originSeq);
    replicator.publish(records.map(unsignedOf));
  };
  // Start from what is already in the log: records made before this start reach peers by exchange.
  for (const { eventId } of store.servedEvents())
    published.set(eventId, store.admissions.vector(eventId)[deviceId] ?? 0);
  // Peer lists change with manifest pulls (a gate enrolled or moved); re-reading them is one small query.
  const refreshTimer = setInterval(refresh, heartbeatMs);
  refreshTimer.unref();

  const pending = new Set<string>();
  let scheduled = false;
  replicator.start();
  options.logger?.info({ listen: `${host}:${bound.port}`, advertise: address }, 'peer protocol listening');

  return {
    address,
    confirmed: (eventId) => replicator.confirmed(eventId),
    admitted(eventId) {
      // After the scan's commit, off the answer's path: a burst of scans shares one broadcast.
      pending.add(eventId);
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        for (const id of pending) publishPending(id);
        pending.clear();
      });
    },
    refresh,
    summary: () => directory.summary(),
    lastWordAt: (eventId) => directory.lastWordAt(eventId),
    exchangeNow: () => replicator.exchangeNow(),
    settle: () => replicator.settle(),
    async close() {
      clearInterval(refreshTimer);
      await replicator.stop();
      await new Promise<void>((resolve) => {
        if (!server) return resolve();
        server.close(() => resolve());
        // Peers keep connections alive between heartbeats; they must not hold a shutdown open.
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
    },
  };
}
