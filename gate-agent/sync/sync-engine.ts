/**
 * Runs the gate's two independent sync directions in the background (SPEC 6): the manifest pull (a
 * timer, plus the cloud's push stream when online) and the scan-log upload. Each has its own exponential
 * backoff with full jitter, so a failing upload never delays a pull and vice versa, and neither ever
 * blocks a scan: both run on the event loop between scans, in short transactions.
 */
import type { Logger } from 'pino';
import { MAX_SCAN_BATCH, StreamManifestMessage } from '../../shared/sync-protocol/index';
import type { GateStore } from '../store/gate-store';
import { type CloudClient, CloudError, DeviceRevokedError } from './cloud-client';
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
  /** Called on every failed pull or upload (metrics). */
  onFailure?: (direction: 'pull' | 'upload') => void;
}

export interface SyncState {
  online: boolean;
  lastPullAt: number | null;
  lastUploadAt: number | null;
  lastError: string | null;
  failures: { pull: number; upload: number };
  revoked: boolean;
}

const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 60_000;

/** Exponential backoff with full jitter (AWS architecture blog): spreads the retries of many gates. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 16));
  return Math.floor(random() * ceiling);
}

/** A repeating task with its own timer and backoff; `trigger` runs it now (coalescing concurrent calls). */
class Loop {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<boolean> | undefined;
  #next: Promise<boolean> | undefined;
  #attempt = 0;
  #stopped = false;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  get failures(): number {
    return this.#attempt;
  }

  start(): void {
    this.#schedule(0);
  }

  /**
   * Runs the task now, or — when a run is under way — once more right after it (callers asking at the
   * same time share that one extra run). Resolves true when the run it waited for succeeded.
   */
  trigger(): Promise<boolean> {
    if (this.#running) {
      this.#next ??= this.#running.then(() => {
        this.#next = undefined;
        return this.#stopped ? false : this.trigger();
      });
      return this.#next;
    }
    clearTimeout(this.#timer);
    this.#running = this.#run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #run(): Promise<boolean> {
    try {
      await this.task();
      this.#attempt = 0;
      this.#schedule(this.intervalMs);
      return true;
    } catch (error) {
      this.onFailure(error);
      if (error instanceof DeviceRevokedError) {
        this.stop();
        return false;
      }
      this.#attempt++;
      this.#schedule(Math.min(this.intervalMs, backoffDelay(this.#attempt)));
      return false;
    }
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.trigger(), delayMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running?.catch(() => undefined);
  }
}

export class SyncEngine {
  readonly #options: SyncEngineOptions;
  readonly #pull: Loop;
  readonly #upload: Loop;
  readonly #abort = new AbortController();
  #streamTask: Promise<void> | undefined;
  #state: SyncState = {
    online: false,
    lastPullAt: null,
    lastUploadAt: null,
    lastError: null,
    failures: { pull: 0, upload: 0 },
    revoked: false,
  };
  #pullFailures = 0;
  #uploadFailures = 0;

  constructor(options: SyncEngineOptions) {
    this.#options = options;
    const interval = options.intervalMs ?? 30_000;
    this.#pull = new Loop(
      () => this.#pullAll(),
      interval,
      (e) => this.#failed('pull', e),
    );
    this.#upload = new Loop(
      () => this.#uploadAll(),
      interval,
      (e) => this.#failed('upload', e),
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
      if (result.snapshots > 0)
        this.#options.logger?.info({ eventId, ...result }, 'manifest snapshot installed');
    }
    this.#state.lastPullAt = clock();
    // Old copies left by a swap go in short steps, yielding to scans between them.
    while (store.collectGarbage() > 0) await new Promise((resolve) => setImmediate(resolve));
  }

  async #uploadAll(): Promise<void> {
    const { store, client, clock } = this.#options;
    if (!store.settings.deviceId) return;
    const batchSize = Math.min(this.#options.uploadBatch ?? 500, MAX_SCAN_BATCH);
    for (;;) {
      const batch = store.scansToUpload(batchSize);
      if (batch.length === 0) break;
      const before = store.ackedSeq;
      const { ack, clockOffsetMs } = await client.uploadScans(batch);
      this.#reachable();
      store.setClockOffset(clockOffsetMs);
      store.acknowledgeUploads(ack.ackedSeq, clock());
      this.#state.lastUploadAt = clock();
      // The cloud holds a gap below this batch (it lost rows, e.g. restored from a backup): the ack
      // cannot move until it has them, and we resend from the acked sequence next round anyway.
      if (store.ackedSeq <= before)
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
        for await (const message of client.stream(signal)) {
          attempt = 0;
          this.#reachable();
          if (message.event === 'revoked') {
            this.#options.store.wipe();
            throw new DeviceRevokedError();
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
        logger?.debug({ err: error }, 'sync stream closed; reconnecting');
      }
      attempt++;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(250, backoffDelay(attempt)));
        timer.unref();
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Pull and upload now, both directions independently; resolves when both have finished. */
  async syncNow(): Promise<SyncState> {
    const [pulled, uploaded] = await Promise.all([this.#pull.trigger(), this.#upload.trigger()]);
    if (!pulled && !uploaded && this.#state.lastError?.includes('UNREACHABLE')) this.#state.online = false;
    return this.state;
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.all([this.#pull.stop(), this.#upload.stop()]);
    await this.#streamTask?.catch(() => undefined);
  }
}
