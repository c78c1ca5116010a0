/**
 * The gate agent assembled: store, decision pipeline, sync engine and local HTTP server. This is the
 * programmatic API that the CLI (main.ts), Electron's main process and tests start the agent through.
 *
 * Settings live in the data directory: the first start needs --cloud and --enroll; a later start needs
 * only the data directory, and an option given again (cloudUrl, port) overrides and replaces what is stored.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Logger } from 'pino';
import { z } from 'zod';
import { createGateLogger } from './logger';
import { createPeerMetrics, type PeerMetrics } from './peers/peer-metrics';
import { type PeerNode, parsePeerAddress, startPeerNode } from './peers/peer-node';
import { type AgentStatus, createLocalApp, type UndoRefused, type UndoResponse } from './server/app';
import { createGateMetrics, type GateMetrics } from './server/metrics';
import { DEFAULT_UI_DIR } from './server/static-ui';
import { eventZoneStatus } from './server/zone-status';
import { storePath } from './store/database';
import type { KeyFileProtection } from './store/device-key-file';
import { type GateStore, openGateStore } from './store/gate-store';
import { CloudClient, CloudError } from './sync/cloud-client';
import { SyncEngine, type SyncEngineOptions } from './sync/sync-engine';
import { clockStatusOf } from './verify/holder-code';
import { createScanPipeline, type ScanResponse } from './verify/pipeline';
import { createScanBatcher } from './verify/scan-batcher';
import { createUndoer } from './verify/undo';

export type { AgentStatus, UndoRefused, UndoResponse } from './server/app';
export type { ScanResponse } from './verify/pipeline';

export interface GateAgentOptions {
  dataDir: string;
  cloudUrl?: string;
  enrollmentToken?: string;
  /** 0 = ephemeral, default 4100 (or the stored port). */
  port?: number;
  clock?: () => number;
  syncIntervalMs?: number;
  logger?: Logger;
  /** Where the scanner UI's built files are (default scanner-ui/dist). */
  uiDir?: string;
  /**
   * Where migrations/gate/ is (default: resolved from this module; a bundle that moves the code, such as
   * the Electron build, can pass its packaged path).
   */
  migrationsFolder?: string;
  /**
   * Wraps the data directory's key file (`device.key`) where the platform can: Electron passes
   * safeStorage. Without it the file holds the key plain, readable by the agent's user only.
   */
  keyProtection?: KeyFileProtection;
  /** Tickets per manifest page requested from the cloud (default 2000). */
  pageLimit?: number;
  /**
   * `host:port` on the venue LAN to exchange admissions with the event's other gates on (issue 14).
   * Without it this gate hears other doors' admissions only through the cloud.
   */
  peerListen?: string;
  /** `host:port` the other gates should use, when it differs from peerListen (NAT, 0.0.0.0). */
  peerAdvertise?: string;
  /** Extra peer addresses to try, beside those the cloud's peer lists carry. */
  peers?: string[];
  /** Anti-entropy heartbeat with peers, ms (default 1 s). */
  peerHeartbeatMs?: number;
  /**
   * Minutes without a successful pull after which the scanner UI shows the ticket list as stale (amber,
   * "sync failing"): revocations may be missing (default 10).
   */
  staleAfterMinutes?: number;
  /** Minutes after which it is shown as very stale (red); at least staleAfterMinutes (default 30). */
  veryStaleAfterMinutes?: number;
  /**
   * How far either side of the current step a rotating code may be while the clock offset is unknown or
   * large, seconds (default 120, issue 20). Stored: later starts keep it.
   */
  holderCodeMaxSkewSeconds?: number;
}

type ManifestThresholds = NonNullable<AgentStatus['manifestThresholds']>;

/** The ticket-list age thresholds the status gives the scanner UI when the options do not set them. */
export const DEFAULT_MANIFEST_THRESHOLDS = { staleAfterMinutes: 10, veryStaleAfterMinutes: 30 } as const;

export interface GateAgent {
  readonly url: string;
  readonly port: number;
  scan(code: string, direction?: 'in' | 'out'): Promise<ScanResponse>;
  /**
   * Undoes an accepted scan of this station (its answer's `seq`) within shared/admission's undo rule:
   * the undo answer, or the refusal (issue 17).
   */
  undo(seq: number): Promise<UndoResponse | UndoRefused>;
  /** The answer a scan would get now, recording nothing (pipeline.preview). */
  preview(code: string, direction?: 'in' | 'out'): ScanResponse;
  status(): Promise<AgentStatus>;
  syncNow(): Promise<AgentStatus>;
  close(): Promise<void>;
}

export const DEFAULT_PORT = 4100;

const Options = z.object({
  dataDir: z.string().min(1, 'dataDir is required'),
  cloudUrl: z.url({ protocol: /^https?$/ }).optional(),
  enrollmentToken: z.string().min(16).max(256).optional(),
  port: z.number().int().min(0).max(65_535).optional(),
  syncIntervalMs: z.number().int().min(100).max(86_400_000).optional(),
  pageLimit: z.number().int().min(1).max(10_000).optional(),
  uiDir: z.string().min(1).optional(),
  migrationsFolder: z.string().min(1).optional(),
  peerHeartbeatMs: z.number().int().min(50).max(60_000).optional(),
  staleAfterMinutes: z.number().int().min(1).max(10_080).optional(),
  veryStaleAfterMinutes: z.number().int().min(1).max(10_080).optional(),
  holderCodeMaxSkewSeconds: z.number().int().min(15).max(86_400).optional(),
});

/** Options are checked here so a bad value fails at start, naming the option. */
function checkOptions(options: GateAgentOptions): void {
  const parsed = Options.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RangeError(`gate agent option ${issue.path.join('.')}: ${issue.message}`);
  }
  if (options.peerListen) parsePeerAddress(options.peerListen, 'peerListen');
  if (options.peerAdvertise) parsePeerAddress(options.peerAdvertise, 'peerAdvertise');
  for (const peer of options.peers ?? []) parsePeerAddress(peer, 'peers');
  if (options.peerAdvertise && !options.peerListen)
    throw new RangeError('gate agent option peerAdvertise: needs peerListen');
  const thresholds = manifestThresholds(options);
  if (thresholds.veryStaleAfterMinutes < thresholds.staleAfterMinutes)
    throw new RangeError('gate agent option veryStaleAfterMinutes: must be at least staleAfterMinutes');
}

function manifestThresholds(options: GateAgentOptions): ManifestThresholds {
  return {
    staleAfterMinutes: options.staleAfterMinutes ?? DEFAULT_MANIFEST_THRESHOLDS.staleAfterMinutes,
    veryStaleAfterMinutes: options.veryStaleAfterMinutes ?? DEFAULT_MANIFEST_THRESHOLDS.veryStaleAfterMinutes,
  };
}

function statusOf(
  store: GateStore,
  engine: SyncEngine | undefined,
  peerNode: PeerNode | undefined,
  clock: () => number,
  thresholds: ManifestThresholds,
): AgentStatus {
  const now = clock();
  const states = new Map(store.syncStates().map((s) => [s.eventId, s]));
  const served = store.servedEvents();
  const ids = new Set([...served.map((e) => e.eventId), ...states.keys()]);
  const lastSyncs = [...states.values()].map((s) => s.lastSyncAt).filter((t): t is number => t !== null);
  const zones = [...states.values()].map((s) => s.timeZone).filter((z): z is string => z !== null);
  return {
    deviceId: store.settings.deviceId,
    gate: { id: store.settings.gateId, name: store.settings.gateName },
    online: engine?.state.online ?? false,
    lastSyncAt: lastSyncs.length > 0 ? Math.max(...lastSyncs) : null,
    pendingUploads: store.pendingUploads,
    counters: store.counters,
    peers: peerNode ? (({ listed, reachable }) => ({ listed, reachable }))(peerNode.summary()) : null,
    manifestThresholds: thresholds,
    venueTimeZone: zones[0] ?? null,
    clock: clockStatusOf(store.settings),
    events: [...ids].sort().map((id) => {
      const state = states.get(id);
      return {
        id,
        name: state?.name ?? served.find((e) => e.eventId === id)?.name ?? '',
        manifestSeq: state?.after ?? 0,
        tickets: state?.rowCount ?? 0,
        manifestAgeSeconds:
          state?.lastSyncAt != null ? Math.max(0, Math.round((now - state.lastSyncAt) / 1000)) : null,
        timeZone: state?.timeZone ?? null,
        ...eventZoneStatus(store, id, store.settings.gateId, {
          lastSyncAt: state?.lastSyncAt ?? null,
          lastWordAt: peerNode?.lastWordAt(id),
        }),
      };
    }),
  };
}

/** Enrolls with the token unless the store already holds a device; an unreachable cloud is not fatal. */
async function enrollOnce(
  client: CloudClient,
  store: GateStore,
  token: string,
  logger: Logger,
): Promise<void> {
  if (store.settings.deviceId) {
    logger.warn({ deviceId: store.settings.deviceId }, 'already enrolled; the enrollment token is ignored');
    return;
  }
  try {
    const enrolled = await client.enroll(token);
    logger.info({ deviceId: enrolled.deviceId, gate: enrolled.gate.name }, 'enrolled');
  } catch (error) {
    // A refused token is a configuration error: stop. An unreachable cloud is not: run offline.
    if (!(error instanceof CloudError) || !error.retryable) throw error;
    logger.warn({ err: error }, 'enrollment failed: the cloud is unreachable; start again with --enroll');
  }
}

/** Starts the peer protocol when `peerListen` is given and the gate is enrolled (its key signs for it). */
async function startPeersIfAsked(
  options: GateAgentOptions,
  store: GateStore,
  deps: { clock: () => number; cloudOnline: () => boolean; logger: Logger; metrics: PeerMetrics },
): Promise<PeerNode | undefined> {
  if (!options.peerListen) return undefined;
  if (!store.settings.deviceId) {
    deps.logger.warn('not enrolled: the peer protocol starts once this gate is enrolled (restart it then)');
    return undefined;
  }
  const node = await startPeerNode({
    store,
    listen: options.peerListen,
    ...(options.peerAdvertise ? { advertise: options.peerAdvertise } : {}),
    staticPeers: options.peers ?? [],
    clock: deps.clock,
    cloudOnline: deps.cloudOnline,
    ...(options.peerHeartbeatMs ? { heartbeatMs: options.peerHeartbeatMs } : {}),
    logger: deps.logger,
    ...deps.metrics.hooks,
  });
  deps.metrics.attach(node);
  return node;
}

/** What the sync engine does for the peer protocol: report its address, re-read peer lists after pulls. */
function peerSyncHooks(node: PeerNode | undefined): Pick<SyncEngineOptions, 'peerAddress' | 'afterPull'> {
  return node ? { peerAddress: () => node.address, afterPull: () => node.refresh() } : {};
}

/** The station's Undo (issue 17), told afterwards to the metrics, the peers and the uploader. */
function agentUndo(
  store: GateStore,
  clock: () => number,
  isConfirmed: (eventId: string) => boolean,
  metrics: GateMetrics,
  running: () => { peerNode: PeerNode | undefined; engine: SyncEngine | undefined },
): GateAgent['undo'] {
  const undoer = createUndoer({
    store,
    clock,
    isConfirmed,
    onUndone(done) {
      metrics.observeUndo();
      // Like an admission: the other doors hear of it on the LAN, the cloud with the next upload.
      const { peerNode, engine } = running();
      peerNode?.admitted(done.eventId);
      engine?.scanRecorded();
    },
  });
  return async (seq) => undoer(seq);
}

/** Flags given again override what is stored, and are stored for the next start. */
function storeGivenFlags(store: GateStore, options: GateAgentOptions): void {
  store.updateSettings({
    ...(options.cloudUrl ? { cloudUrl: options.cloudUrl } : {}),
    ...(options.port !== undefined && options.port !== 0 ? { port: options.port } : {}),
    ...(options.holderCodeMaxSkewSeconds !== undefined
      ? { holderCodeMaxSkewSeconds: options.holderCodeMaxSkewSeconds }
      : {}),
  });
}

/** The agent's store in its data directory (a packaged migrations folder and key protection when given). */
function openAgentStore(options: GateAgentOptions): GateStore {
  return openGateStore(storePath(options.dataDir), {
    ...(options.migrationsFolder ? { migrationsFolder: options.migrationsFolder } : {}),
    ...(options.keyProtection ? { keyProtection: options.keyProtection } : {}),
  });
}

/** Opens the data directory, enrolls if asked, starts sync and the local server on 127.0.0.1. */
export async function startGateAgent(options: GateAgentOptions): Promise<GateAgent> {
  checkOptions(options);
  const clock = options.clock ?? Date.now;
  const logger = options.logger ?? createGateLogger();
  const store = openAgentStore(options);
  let engine: SyncEngine | undefined;
  let peerNode: PeerNode | undefined;
  let server: ReturnType<typeof serve> | undefined;
  try {
    storeGivenFlags(store, options);
    // The live occupancy of every event held, folded from the admission log before the first scan.
    store.warmOccupancy();
    const metrics = createGateMetrics(store, clock);
    const peerMetrics = createPeerMetrics(metrics.registry, store);
    const cloudOnline = () => engine?.state.online ?? false;
    // An admission is confirmed when no other door could have admitted the ticket unseen: the cloud
    // answers, or every peer of the event does. Otherwise it is flagged for reconciliation.
    const isConfirmed = (eventId: string) => peerNode?.confirmed(eventId) ?? cloudOnline();
    const pipeline = createScanPipeline({
      store,
      clock,
      isConfirmed,
      onDecision(response) {
        metrics.observeDecision(response);
        // After the commit, off the answer's path: the other doors hear of it within ms (LAN) and
        // within a fraction of a second (cloud).
        if (response.decision === 'accept' && response.ticket) peerNode?.admitted(response.ticket.eventId);
        if (response.decision === 'accept') engine?.scanRecorded();
      },
      onError: (error) => logger.error({ err: error }, 'scan could not be recorded'),
    });

    const cloudUrl = store.settings.cloudUrl;
    if (cloudUrl) {
      const client = new CloudClient({
        baseUrl: cloudUrl,
        store,
        clock,
        onRevoked: () => logger.error('the cloud revoked this device: local data wiped'),
      });
      if (options.enrollmentToken) await enrollOnce(client, store, options.enrollmentToken, logger);
      peerNode = await startPeersIfAsked(options, store, {
        clock,
        cloudOnline,
        logger,
        metrics: peerMetrics,
      });
      engine = new SyncEngine({
        store,
        client,
        clock,
        logger,
        ...(options.syncIntervalMs ? { intervalMs: options.syncIntervalMs } : {}),
        ...(options.pageLimit ? { pageLimit: options.pageLimit } : {}),
        onFailure: metrics.syncFailed,
        reportFigures: metrics.decisionFigures,
        ...peerSyncHooks(peerNode),
      });
      const running = engine;
      metrics.attachSync(() => running.state);
      engine.start();
    } else {
      logger.warn('no cloud URL configured: scanning offline against the stored manifest only');
      if (options.peerListen) logger.warn('no cloud URL configured: the peer protocol needs one');
    }

    const status = async () => statusOf(store, engine, peerNode, clock, manifestThresholds(options));
    const syncNow = async () => {
      if (engine) await engine.syncNow();
      return status();
    };
    const batcher = createScanBatcher(pipeline);
    const undo = agentUndo(store, clock, isConfirmed, metrics, () => ({ peerNode, engine }));
    const app = createLocalApp({
      scan: (code, direction) => batcher.submit(code, direction),
      undo,
      status,
      syncNow,
      metrics,
      uiDir: options.uiDir ?? DEFAULT_UI_DIR,
      logger,
    });
    const requestedPort = options.port ?? store.settings.port ?? DEFAULT_PORT;
    const listening = await new Promise<AddressInfo>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, port: requestedPort, hostname: '127.0.0.1' }, (info) =>
        resolve(info),
      );
      server = s;
      s.once('error', reject);
    });
    const url = `http://127.0.0.1:${listening.port}`;
    logger.info({ url, deviceId: store.settings.deviceId }, 'gate agent listening');

    let closing: Promise<void> | undefined;
    return {
      url,
      port: listening.port,
      scan: (code, direction) => batcher.submit(code, direction ?? 'in'),
      undo,
      preview: (code, direction) => pipeline.preview(code, direction ?? 'in'),
      status,
      syncNow,
      close() {
        closing ??= (async () => {
          await engine?.stop();
          await peerNode?.close();
          await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
          store.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await engine?.stop();
    await peerNode?.close();
    server?.close();
    store.close();
    throw error;
  }
}
