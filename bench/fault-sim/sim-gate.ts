/**
 * One gate of a simulated venue: a real gate agent (gate-agent/main.ts as a child process) on its own
 * data directory, restarted on the same directory after each kill, behind its own faulty link to the
 * cloud; and the two calls the driver makes on its local API — present a code, and ask it to sync.
 */
import { join } from 'node:path';
import { type ChildAgent, startChildAgent } from '../../gate-agent/test-support/child-agent';
import type { LinkProxy } from './link-proxy';
import type { LinkMode } from './link-relay';

const SYNC_INTERVAL_MS = 2_000;

/** The agent's answer to a presented code, as its local API gives it. */
export type GateAnswer = Record<string, unknown>;

/** What `POST /api/sync` reports once the agent has synced. */
export interface GateSyncStatus {
  deviceId: string;
  pendingUploads: number;
  events: Array<{ id: string; manifestSeq: number; tickets: number }>;
}

/** POSTs JSON to the agent; undefined when it is down, killed, answers an error, or takes too long. */
async function postJson(url: string, body?: unknown, timeoutMs = 10_000): Promise<GateAnswer | undefined> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) return undefined;
    return (await response.json()) as GateAnswer;
  } catch {
    return undefined;
  }
}

/** One gate agent process (restarted on the same data directory after each kill) and its link. */
export class SimGate {
  child: ChildAgent | undefined;
  restarting: Promise<void> | undefined;
  /** Bumped by every link change, so an older fault's timer does not end a newer one. */
  linkVersion = 0;
  /** More flags for every start (a scenario's peer flags: --peer-listen, --peer-advertise). */
  extraArgs: string[] = [];

  constructor(
    readonly index: number,
    readonly dataDir: string,
    readonly proxy: LinkProxy,
    readonly clockOffsetMs: number,
  ) {}

  get url(): string | undefined {
    return this.child?.url;
  }

  get storePath(): string {
    return join(this.dataDir, 'gate.sqlite');
  }

  async start(enrollmentToken?: string): Promise<void> {
    const args = [
      '--data-dir',
      this.dataDir,
      '--port',
      '0',
      '--sync-interval-ms',
      String(SYNC_INTERVAL_MS),
      // `=`: parseArgs would read a separate negative value as another option.
      ...(this.clockOffsetMs ? [`--clock-offset-ms=${this.clockOffsetMs}`] : []),
      ...(enrollmentToken ? ['--cloud', this.proxy.url, '--enroll', enrollmentToken] : []),
      ...this.extraArgs,
    ];
    this.child = await startChildAgent(args, 60_000);
  }

  async stop(signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await child?.kill(signal);
  }

  /** Waits for a restart in progress to end (whether it worked or not). */
  async restarted(): Promise<void> {
    await this.restarting?.catch(() => undefined);
  }

  setLink(mode: LinkMode, durationMs?: number): void {
    const version = ++this.linkVersion;
    this.proxy.mode = mode;
    if (durationMs !== undefined)
      setTimeout(() => {
        if (this.linkVersion === version) this.setLink('up');
      }, durationMs).unref();
  }

  /** Presents `code` at this gate; the answer, or undefined when the gate is down or did not answer. */
  async present(code: string, direction: 'in' | 'out'): Promise<GateAnswer | undefined> {
    const url = this.url;
    return url ? await postJson(`${url}/api/scan`, { code, direction }) : undefined;
  }

  /** The agent's GET /api/status, or undefined when it is down or did not answer. */
  async status(): Promise<GateAnswer | undefined> {
    const url = this.url;
    if (!url) return undefined;
    try {
      const response = await fetch(`${url}/api/status`, { signal: AbortSignal.timeout(5_000) });
      return response.ok ? ((await response.json()) as GateAnswer) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Asks the gate to sync now; its status afterwards, or undefined when it is down or did not answer. */
  async syncNow(): Promise<GateSyncStatus | undefined> {
    const url = this.url;
    return url
      ? ((await postJson(`${url}/api/sync`, undefined, 20_000)) as GateSyncStatus | undefined)
      : undefined;
  }
}
