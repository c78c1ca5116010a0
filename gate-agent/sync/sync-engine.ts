/**
 * Runs the gate's two independent sync directions in the background (SPEC 6): the manifest pull (a
 * timer, plus the cloud's push stream when online) and the scan-log upload. Each has its own exponential
 * backoff with full jitter, so a failing upload never delays a pull and vice versa, and neither ever
 * blocks a scan: both run on the event loop between scans, in short transactions.
 *
 * After each pull or upload cycle the gate also sends the cloud its health report (manifest age per
 * event, backlog, offline time, decisions by reason; shared/sync-protocol GateReport) on a third loop of
 * its own: sent at most every `reportMinIntervalMs`, never awaited by the other two, with its own short
 * timeout and backoff. A refused or failed report is logged and counted, and changes nothing else.
 */
import type { Logger } from 'pino';
import packageJson from '../../package.json' with { type: 'json' };
import { isUuid } from '../../shared/crypto/index';
import {
  GateReport,
  MAX_REPORT_EVENTS,
  MAX_SCAN_BATCH,
  StreamManifestMessage,
  SYNC_PROTOCOL_VERSION,
} from '../../shared/sync-protocol/index';
import type { DecisionFigures } from '../server/metrics';
import type { GateStore } from '../store/gate-store';
import {
  type CloudClient,
  CloudError,
  DEFAULT_STREAM_SILENCE_MS,
  DeviceRevokedError,
  streamSilenceLimit,
} from './cloud-client';
import { backoffDelay, Loop } from './loop';
import { pullEvent } from './pull';

export interface SyncEngineOptions {
  store: GateStore;
  client: CloudClient;
  clock: () => number;
  logger?: Logger;
  /** Pull (and upload) at least this often, ms (default 30 s). */
  intervalMs?: number;
  /** Tickets per manifest page (default 2000). */
  pageLimit?: number;
  /** Upload batch size (default 500, at most the protocol's 1000). */
  uploadBatch?: number;
  /** Open the push stream (default true). */
  stream?: boolean;
  onRevoked?: () => void;
  /** Called on every failed pull, upload or health report (metrics). */
  onFailure?: (direction: 'pull' | 'upload' | 'report') => void;
  /** Decisions since start for the health report (server/metrics.ts); without it none is sent. */
  reportFigures?: () => DecisionFigures;
  /** Send the health report at most this often, ms (default 2 s). */
  reportMinIntervalMs?: number;
  /** The agent version named in reports (default: package.json's). */
  agentVersion?: string;
  /** The `host:port` other gates reach this one at on the venue LAN (reported to the cloud). */
  peerAddress?: () => string;
  /** Called after every successful pull (the peer lists may have changed). */
  afterPull?: () => void;
}

/** The version this agent reports to the cloud. */
export const GATE_AGENT_VERSION: string = packageJson.version;
/** Ten years: the report schema's bound on any age. */
const MAX_AGE_SECONDS = 315_576_000;

export interface SyncState {
  online: boolean;
  lastPullAt: number | null;
  lastUploadAt: number | null;
  /** Last successful contact with the cloud (any answer to a pull, upload, report or the stream). */
  lastContactAt: number | null;
  /** When the cloud last stored this gate's health report. */
  lastReportAt: number | null;
  lastError: string | null;
  failures: { pull: number; upload: number };
  revoked: boolean;
}

/**
 * The push stream reconnects at most this long after it dropped: a reconnect is one cheap request, and
 * after a cloud restart or a deploy a gate should hear of changes again within seconds, not after an
 * exponential backoff has grown to a minute.
 */
const STREAM_RETRY_CAP_MS = 2_000;
/**
 * An accepted scan is uploaded this long after it committed (issue 14: within 250 ms), so the other doors
 * hear of it through the cloud; scans within the window share one upload. Never on the decision path.
 */
export const PROMPT_UPLOAD_DELAY_MS = 50;

export class SyncEngine {
  readonly #options: SyncEngineOptions;
  readonly #pull: Loop;
  readonly #upload: Loop;
  readonly #report: Loop;
  readonly #abort = new AbortController();
  #streamTask: Promise<void> | undefined;
  /** How long the push stream may be silent: from the cloud's heartbeat in its last `ready`. */
  #streamSilenceMs = DEFAULT_STREAM_SILENCE_MS;
  readonly #startedAt: number;
  /** Real time (not the injected clock) of the last report attempt, for the minimum spacing. */
  #lastReportTry = 0;
  #reportTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  #state: SyncState = {
    online: false,
    lastPullAt: null,
    lastUploadAt: null,
    lastContactAt: null,
    lastReportAt: null,
    lastError: null,
    failures: { pull: 0, upload: 0 },
    revoked: false,
  };
  #pullFailures = 0;
  /** Probe the cloud's acknowledgement once at start and after every manifest reset (see #uploadAll). */
  #probeUploads = true;
  /** Real time of the last probe: an idle upload cycle also probes once per interval (see #uploadAll). */
  #lastProbeAt = 0;
  #uploadFailures = 0;
  #promptUpload: NodeJS.Timeout | undefined;

  constructor(options: SyncEngineOptions) {
    this.#options = options;
    this.#startedAt = options.clock();
    // The last acknowledged upload survives restarts in the store; until this process uploads, that is it.
    if (!options.store.closed) this.#state.lastUploadAt = options.store.lastUploadAt;
    const interval = options.intervalMs ?? 30_000;
    this.#pull = new Loop(
      async () => {
        try {
          await this.#pullAll();
        } finally {
          this.#reportSoon();
        }
      },
      interval,
      (e) => this.#failed('pull', e),
    );
    this.#upload = new Loop(
      async () => {
        try {
          await this.#uploadAll();
        } finally {
          this.#reportSoon();
        }
      },
      interval,
      (e) => this.#failed('upload', e),
    );
    this.#report = new Loop(
      () => this.#sendReport(),
      interval,
      (e) => this.#reportFailed(e),
    );
  }

  get state(): SyncState {
    return { ...this.#state, failures: { pull: this.#pullFailures, upload: this.#uploadFailures } };
  }

  #failed(direction: 'pull' | 'upload', error: unknown): void {
    if (direction === 'pull') this.#pullFailures++;
    else this.#uploadFailures++;
    this.#options.onFailure?.(direction);
    if (error instanceof DeviceRevokedError) {
      this.#state.revoked = true;
      this.#options.onRevoked?.();
      void this.stop();
    }
    if (error instanceof CloudError && error.status === null) this.#state.online = false;
    this.#state.lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.#options.logger?.warn({ err: error, direction }, 'sync failed; will retry with backoff');
  }

  #reachable(): void {
    this.#state.online = true;
    this.#state.lastContactAt = this.#options.clock();
  }

  /** Seconds since the last successful contact with the cloud; 0 when online. */
  offlineSeconds(now = this.#options.clock()): number {
    if (this.#state.online) return 0;
    return Math.max(0, (now - (this.#state.lastContactAt ?? this.#startedAt)) / 1000);
  }

  /** Asks for a health report: now, or as soon as the minimum spacing allows (one pending at a time). */
  #reportSoon(): void {
    if (this.#stopped || !this.#options.reportFigures || this.#reportTimer) return;
    const spacing = this.#options.reportMinIntervalMs ?? 2_000;
    // A short pause lets a pull and an upload that finish together share one report.
    const delay = Math.max(50, this.#lastReportTry + spacing - Date.now());
    this.#reportTimer = setTimeout(() => {
      this.#reportTimer = undefined;
      void this.#report.trigger();
    }, delay);
    this.#reportTimer.unref();
  }

  /** The gate's key figures now (shared/sync-protocol GateReport). */
  buildReport(): GateReport {
    const { store, clock } = this.#options;
    const now = clock();
    const figures = this.#options.reportFigures?.();
    const age = (since: number) => Math.min(MAX_AGE_SECONDS, Math.max(0, (now - since) / 1000));
    return {
      protocol: SYNC_PROTOCOL_VERSION,
      agentVersion: this.#options.agentVersion ?? GATE_AGENT_VERSION,
      deviceTime: now,
      startedAt: figures?.startedAt ?? this.#startedAt,
      clockOffsetMs: store.settings.clockOffsetMs,
      online: this.#state.online,
      offlineSeconds: Math.min(MAX_AGE_SECONDS, this.offlineSeconds(now)),
      pendingUploads: store.pendingUploads,
      lastScanSeq: store.lastScanSeq,
      lastUploadAt: this.#state.lastUploadAt,
      lastScanAt: figures?.lastScanAt ?? null,
      decisions: { accepted: figures?.accepted ?? 0, rejected: figures?.rejected ?? 0 },
      rejectsByReason: figures?.rejectsByReason ?? {},
      syncFailures: { pull: this.#pullFailures, upload: this.#uploadFailures },
      ...(this.#options.peerAddress ? { peerAddress: this.#options.peerAddress() } : {}),
      events: store
        .syncStates()
        .slice(0, MAX_REPORT_EVENTS)
        .map((state) => ({
          eventId: state.eventId,
          manifestSeq: state.after,
          tickets: state.rowCount,
          manifestAgeSeconds: state.lastSyncAt === null ? null : age(state.lastSyncAt),
        })),
    };
  }

  async #sendReport(): Promise<void> {
    const { store, client } = this.#options;
    if (!store.settings.deviceId || store.closed) return;
    this.#lastReportTry = Date.now();
    const report = GateReport.safeParse(this.buildReport());
    if (!report.success) {
      // Our own figures out of the protocol's bounds (a clock far off): nothing the cloud could store.
      throw new CloudError(
        'BAD_REPORT',
        null,
        `health report out of bounds: ${report.error.issues[0]?.message}`,
      );
    }
    await client.sendReport(report.data);
    this.#reachable();
    this.#state.lastReportAt = this.#options.clock();
  }

  #reportFailed(error: unknown): void {
    this.#options.onFailure?.('report');
    if (error instanceof DeviceRevokedError) {
      this.#state.revoked = true;
      this.#options.onRevoked?.();
      void this.stop();
      return;
    }
    // A refusal (4xx) is worth a warning: the cloud and this gate disagree about the report. Being
    // offline is not news here; the pull and upload loops already say so.
    if (error instanceof CloudError && error.status !== null && !error.retryable) {
      this.#options.logger?.warn(
        { err: error },
        'health report refused by the cloud; scanning and sync go on',
      );
    } else {
      this.#options.logger?.debug({ err: error }, 'health report not sent; will retry');
    }
  }

  async #pullAll(): Promise<void> {
    const { store, client, clock } = this.#options;
    if (!store.settings.deviceId) return;
    for (const { eventId } of store.servedEvents()) {
      const result = await pullEvent(eventId, {
        store,
        fetchPage: async (request) => {
          const page = await client.fetchPage(request);
          this.#reachable();
          return page;
        },
        clock,
        ...(this.#options.pageLimit ? { pageLimit: this.#options.pageLimit } : {}),
      });
      if (result.snapshots > 0) this.#probeUploads = true;
      if (result.snapshots > 0)
        this.#options.logger?.info({ eventId, ...result }, 'manifest snapshot installed');
    }
    this.#state.lastPullAt = clock();
    this.#options.afterPull?.();
    // Old copies left by a swap go in short steps, yielding to scans between them.
    while (store.manifest.collectGarbage() > 0) await new Promise((resolve) => setImmediate(resolve));
  }

  async #uploadAll(): Promise<void> {
    const { store, client, clock } = this.#options;
    if (!store.settings.deviceId) return;
    const batchSize = Math.min(this.#options.uploadBatch ?? 500, MAX_SCAN_BATCH);
    let rewinds = 0;
    for (;;) {
      let batch = store.scansToUpload(batchSize);
      if (batch.length === 0) {
        // Nothing new: after a start or a manifest reset, re-send the last acknowledged scan once to
        // learn whether the cloud still holds everything it acknowledged (a restored backup may not).
        // Also once per interval when idle: a restore that changed no manifest resets nothing here, and
        // a gate with no new scans would otherwise never learn its last scans were lost (fault-sim).
        const due =
          this.#probeUploads || Date.now() - this.#lastProbeAt >= (this.#options.intervalMs ?? 30_000);
        const probe = due ? store.lastAcknowledgedScan() : undefined;
        this.#probeUploads = false;
        if (!probe) break;
        this.#lastProbeAt = Date.now();
        batch = [probe];
      }
      const before = store.ackedSeq;
      const { ack, clockOffsetMs } = await client.uploadScans(batch);
      this.#reachable();
      store.setClockOffset(clockOffsetMs);
      const after = store.acknowledgeUploads(ack.ackedSeq, clock());
      this.#state.lastUploadAt = clock();
      if (after < before) {
        // The cloud lost scans it had acknowledged: the cursor moved back, send them again.
        this.#options.logger?.warn({ before, after }, 'the cloud lost acknowledged scans; re-uploading');
        if (++rewinds > 3)
          throw new CloudError('ACK_REWOUND', 200, `cloud acknowledgement keeps moving back (${after})`);
        continue;
      }
      if (batch.length === 1 && batch[0]!.seq <= before) break; // a probe that found nothing missing
      // The cloud holds a gap below this batch: the ack cannot move until it has those rows.
      if (after <= before)
        throw new CloudError('ACK_STALLED', 200, `cloud acknowledged ${ack.ackedSeq}, stuck`);
    }
  }

  /** Starts the timers and the push stream. */
  start(): void {
    this.#pull.start();
    this.#upload.start();
    if (this.#options.stream !== false) this.#streamTask = this.#runStream();
  }

  async #runStream(): Promise<void> {
    const { client, logger } = this.#options;
    let attempt = 0;
    const signal = this.#abort.signal;
    while (!signal.aborted && !this.#state.revoked) {
      try {
        if (!this.#options.store.settings.deviceId)
          throw new CloudError('NOT_ENROLLED', null, 'not enrolled');
        // The silence limit of this connection: the last one a `ready` gave (a reconnect that hangs
        // while the link is dark is given up as fast as a stream that went silent).
        const silence = { limitMs: this.#streamSilenceMs };
        for await (const message of client.stream(signal, silence)) {
          attempt = 0;
          this.#reachable();
          if (message.event === 'revoked') {
            this.#options.store.wipe();
            throw new DeviceRevokedError();
          }
          if (message.event === 'ready') {
            // (Re)connected: the stream covers these events from now on. What changed while it was down
            // comes with one pull, and scans recorded meanwhile go up now, not on the next timer.
            this.#learnServedEvents(message.data);
            const heartbeatMs = heartbeatOf(message.data);
            this.#streamSilenceMs =
              heartbeatMs === undefined ? DEFAULT_STREAM_SILENCE_MS : streamSilenceLimit(heartbeatMs);
            silence.limitMs = this.#streamSilenceMs;
            void this.#pull.trigger();
            void this.#upload.trigger();
            continue;
          }
          if (message.event === 'manifest') {
            let parsed: unknown;
            try {
              parsed = JSON.parse(message.data);
            } catch {
              continue;
            }
            const manifest = StreamManifestMessage.safeParse(parsed);
            if (manifest.success) {
              const known = this.#options.store
                .servedEvents()
                .some((e) => e.eventId === manifest.data.eventId);
              if (!known) this.#options.store.addServedEvents([{ id: manifest.data.eventId, name: '' }]);
              void this.#pull.trigger();
            }
          }
        }
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof DeviceRevokedError) {
          this.#failed('pull', error);
          return;
        }
        // A stream that cannot (re)connect means the cloud is unreachable now, even when no pull or
        // upload has failed yet (their timers may be far off): the door shows offline at once, and an
        // admission decided now is not vouched for by the cloud.
        if (error instanceof CloudError && error.status === null) this.#state.online = false;
        logger?.debug({ err: error }, 'sync stream closed; reconnecting');
      }
      attempt++;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(
          resolve,
          Math.min(STREAM_RETRY_CAP_MS, Math.max(250, backoffDelay(attempt))),
        );
        timer.unref();
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Events named by the stream's `ready` that this gate did not know it serves (a new assignment). */
  #learnServedEvents(data: string): void {
    let eventIds: unknown;
    try {
      eventIds = (JSON.parse(data) as { eventIds?: unknown }).eventIds;
    } catch {
      return;
    }
    if (!Array.isArray(eventIds)) return;
    const known = new Set(this.#options.store.servedEvents().map((e) => e.eventId));
    const fresh = eventIds.filter(
      (id): id is string => typeof id === 'string' && isUuid(id) && !known.has(id),
    );
    if (fresh.length > 0) this.#options.store.addServedEvents(fresh.map((id) => ({ id, name: '' })));
  }

  /**
   * A scan was just recorded: upload it shortly (PROMPT_UPLOAD_DELAY_MS), batched with the scans that
   * follow within the window. Only while the cloud answers — offline, the upload loop's own backoff
   * decides when to try again, so a busy door never hammers an unreachable cloud.
   */
  scanRecorded(): void {
    if (this.#stopped || this.#promptUpload || !this.#state.online) return;
    this.#promptUpload = setTimeout(() => {
      this.#promptUpload = undefined;
      if (!this.#stopped) void this.#upload.trigger();
    }, PROMPT_UPLOAD_DELAY_MS);
    this.#promptUpload.unref();
  }

  /** Pull and upload now, both directions independently; resolves when both have finished. */
  async syncNow(): Promise<SyncState> {
    const [pulled, uploaded] = await Promise.all([this.#pull.trigger(), this.#upload.trigger()]);
    if (!pulled && !uploaded && this.#state.lastError?.includes('UNREACHABLE')) this.#state.online = false;
    return this.state;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#reportTimer);
    clearTimeout(this.#promptUpload);
    this.#abort.abort();
    await Promise.all([this.#pull.stop(), this.#upload.stop(), this.#report.stop()]);
    await this.#streamTask?.catch(() => undefined);
  }
}

/** The heartbeat interval a `ready` message names (clouds before it was named: undefined). */
function heartbeatOf(data: string): number | undefined {
  try {
    const value = (JSON.parse(data) as { heartbeatMs?: unknown }).heartbeatMs;
    return typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 600_000
      ? value
      : undefined;
  } catch {
    return undefined;
  }
}
