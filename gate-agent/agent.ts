/**
 * The gate agent assembled: store, decision pipeline, sync engine and local HTTP server. This is the
 * programmatic API that the CLI (main.ts), Electron's main process and tests start the agent through.
 *
 * Settings live in the data directory: the first start needs --cloud and --enroll; a later start needs
 * only the data directory, and an option given again (cloudUrl, port) overrides and replaces what is stored.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type Logger, pino } from 'pino';
import { z } from 'zod';
import { type AgentStatus, createLocalApp } from './server/app';
import { createGateMetrics } from './server/metrics';
import { DEFAULT_UI_DIR } from './server/static-ui';
import { storePath } from './store/database';
import { type GateStore, openGateStore } from './store/gate-store';
import { CloudClient, CloudError } from './sync/cloud-client';
import { SyncEngine } from './sync/sync-engine';
import { createScanPipeline, type ScanResponse } from './verify/pipeline';
import { createScanBatcher } from './verify/scan-batcher';

export type { AgentStatus } from './server/app';
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
  /** Tickets per manifest page requested from the cloud (default 2000). */
  pageLimit?: number;
}

export interface GateAgent {
  readonly url: string;
  readonly port: number;
  scan(code: string, direction?: 'in' | 'out'): Promise<ScanResponse>;
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
});

/** Options are checked here so a bad value fails at start, naming the option. */
function checkOptions(options: GateAgentOptions): void {
  const parsed = Options.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RangeError(`gate agent option ${issue.path.join('.')}: ${issue.message}`);
  }
}

function statusOf(store: GateStore, engine: SyncEngine | undefined, clock: () => number): AgentStatus {
  const now = clock();
  const states = new Map(store.syncStates().map((s) => [s.eventId, s]));
  const served = store.servedEvents();
  const ids = new Set([...served.map((e) => e.eventId), ...states.keys()]);
  const lastSyncs = [...states.values()].map((s) => s.lastSyncAt).filter((t): t is number => t !== null);
  return {
    deviceId: store.settings.deviceId,
    gate: { id: store.settings.gateId, name: store.settings.gateName },
    online: engine?.state.online ?? false,
    lastSyncAt: lastSyncs.length > 0 ? Math.max(...lastSyncs) : null,
    pendingUploads: store.pendingUploads,
    counters: store.counters,
    events: [...ids].sort().map((id) => {
      const state = states.get(id);
      return {
        id,
        name: state?.name ?? served.find((e) => e.eventId === id)?.name ?? '',
        manifestSeq: state?.after ?? 0,
        tickets: state?.rowCount ?? 0,
        manifestAgeSeconds:
          state?.lastSyncAt != null ? Math.max(0, Math.round((now - state.lastSyncAt) / 1000)) : null,
      };
    }),
  };
}

/** Opens the data directory, enrolls if asked, starts sync and the local server on 127.0.0.1. */
export async function startGateAgent(options: GateAgentOptions): Promise<GateAgent> {
  checkOptions(options);
  const clock = options.clock ?? Date.now;
  const logger = options.logger ?? pino({ name: 'gate-agent' });
  const store = openGateStore(
    storePath(options.dataDir),
    options.migrationsFolder ? { migrationsFolder: options.migrationsFolder } : {},
  );
  let engine: SyncEngine | undefined;
  let server: ReturnType<typeof serve> | undefined;
  try {
    // Flags given again override what is stored, and are stored for the next start.
    store.updateSettings({
      ...(options.cloudUrl ? { cloudUrl: options.cloudUrl } : {}),
      ...(options.port !== undefined && options.port !== 0 ? { port: options.port } : {}),
    });
    const metrics = createGateMetrics(store, clock);
    const pipeline = createScanPipeline({
      store,
      clock,
      onDecision: metrics.observeDecision,
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
      if (options.enrollmentToken) {
        if (store.settings.deviceId) {
          logger.warn(
            { deviceId: store.settings.deviceId },
            'already enrolled; the enrollment token is ignored',
          );
        } else {
          try {
            const enrolled = await client.enroll(options.enrollmentToken);
            logger.info({ deviceId: enrolled.deviceId, gate: enrolled.gate.name }, 'enrolled');
          } catch (error) {
            // A refused token is a configuration error: stop. An unreachable cloud is not: run offline.
            if (!(error instanceof CloudError) || !error.retryable) throw error;
            logger.warn(
              { err: error },
              'enrollment failed: the cloud is unreachable; start again with --enroll',
            );
          }
        }
      }
      engine = new SyncEngine({
        store,
        client,
        clock,
        logger,
        ...(options.syncIntervalMs ? { intervalMs: options.syncIntervalMs } : {}),
        ...(options.pageLimit ? { pageLimit: options.pageLimit } : {}),
        onFailure: metrics.syncFailed,
        reportFigures: metrics.decisionFigures,
      });
      const running = engine;
      metrics.attachSync(() => running.state);
      engine.start();
    } else {
      logger.warn('no cloud URL configured: scanning offline against the stored manifest only');
    }

    const status = async () => statusOf(store, engine, clock);
    const syncNow = async () => {
      if (engine) await engine.syncNow();
      return status();
    };
    const batcher = createScanBatcher(pipeline);
    const app = createLocalApp({
      scan: (code, direction) => batcher.submit(code, direction),
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
      status,
      syncNow,
      close() {
        closing ??= (async () => {
          await engine?.stop();
          await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
          store.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await engine?.stop();
    server?.close();
    store.close();
    throw error;
  }
}
