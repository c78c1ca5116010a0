/**
 * The cloud of one simulated run: cloud/main.ts as a child process (its own event loop, as in
 * production) on its own fresh PostgreSQL database, which the simulation can stop (SIGTERM or kill -9),
 * start again on the same port, back up and restore. A backup is `CREATE DATABASE … TEMPLATE`, taken
 * while the cloud is stopped (a cold backup); a restore drops the live database and copies the backup
 * back under the same name, so the restarted cloud sees exactly the older state.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { mintUserToken } from '../../cloud/test-support/tokens';
import { benchCloudEnv, freePort } from '../lib/cloud-process';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const READY_TIMEOUT_MS = 45_000;

export class CloudApiError extends Error {
  override readonly name = 'CloudApiError';
  constructor(
    readonly status: number,
    readonly body: unknown,
    message: string,
  ) {
    super(message);
  }
}

export interface SimCloud {
  readonly url: string;
  readonly port: number;
  readonly databaseUrl: string;
  /** Started and answering /health/ready (false while stopped, starting, backed up or restored). */
  readonly running: boolean;
  /** Calls the API as user `sub` of `tenant` with `role`; throws CloudApiError on a non-2xx answer. */
  api<T = { id: string }>(
    user: { role: string; tenant: string; sub: string },
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<T>;
  /** Runs SQL on the live database over a short-lived connection (none is left open: backups need that). */
  query<R extends object = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  start(): Promise<void>;
  /** Cold backup: stops the cloud if it runs, copies its database, starts it again. */
  backup(): Promise<void>;
  /** Restores the last backup: stop, replace the database with the backup's copy, start. */
  restore(): Promise<void>;
  /** What the cloud wrote to stderr (warnings and errors), for a failed run's report. */
  stderr(): string;
  /** Stops the process and drops its databases. */
  dispose(): Promise<void>;
}

function serverUrlOf(databaseUrl: string, name: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function adminQuery(serverUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates a database and starts the cloud on it; waits until /health/ready answers. */
export async function startSimCloud(serverUrl: string, prefix: string): Promise<SimCloud> {
  if (!/^[a-z][a-z0-9_]{0,30}$/.test(prefix)) throw new RangeError(`bad database prefix: ${prefix}`);
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const backupName = `${name}_bak`;
  await adminQuery(serverUrl, `create database ${name}`);
  const databaseUrl = serverUrlOf(serverUrl, name);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const secret = randomBytes(32).toString('base64url');
  // One environment for every restart: the same key-encryption key must open the same database.
  const env = benchCloudEnv({ port, databaseUrl, secret }, { SHUTDOWN_GRACE_MS: '1500' });
  let child: ChildProcess | undefined;
  /** True from /health/ready answering until the next stop. */
  let ready = false;
  let exited: Promise<void> = Promise.resolve();
  let stderr = '';
  let hasBackup = false;

  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    const running = child;
    if (!running) return;
    child = undefined;
    ready = false;
    if (running.exitCode === null && running.signalCode === null) running.kill(signal);
    const killer = setTimeout(() => running.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };

  const start = async () => {
    if (child) return;
    const spawned = spawn(process.execPath, ['--import', 'tsx', 'cloud/main.ts'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = spawned;
    exited = new Promise((resolve) => spawned.once('exit', () => resolve()));
    spawned.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-20_000);
    });
    const started = Date.now();
    for (;;) {
      if (spawned.exitCode !== null || spawned.signalCode !== null)
        throw new Error(`the cloud exited before it was ready:\n${stderr.slice(-2000)}`);
      if (Date.now() - started > READY_TIMEOUT_MS) {
        await stop('SIGKILL');
        throw new Error(`the cloud was not ready within ${READY_TIMEOUT_MS} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
      try {
        if ((await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2_000) })).ok) {
          ready = true;
          return;
        }
      } catch {
        // not listening yet
      }
    }
  };

  /** CREATE DATABASE … TEMPLATE needs the source without sessions; a just-stopped pool may linger. */
  const copyDatabase = async (from: string, to: string) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await adminQuery(serverUrl, `create database ${to} template ${from}`);
        return;
      } catch (error) {
        if (attempt >= 20 || !/being accessed by other users/.test(String(error))) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  };

  const cloud: SimCloud = {
    url,
    port,
    databaseUrl,
    get running() {
      return ready;
    },
    async api(user, method, path, body, headers = {}) {
      const token = await mintUserToken({
        sub: user.sub,
        tid: user.tenant,
        role: user.role as never,
        secret,
      });
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      let json: unknown = text;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text for the error message
      }
      if (!response.ok)
        throw new CloudApiError(
          response.status,
          json,
          `${method} ${path}: ${response.status} ${text.slice(0, 300)}`,
        );
      return json as never;
    },
    async query(text, values = []) {
      const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
      await client.connect();
      try {
        return (await client.query(text, values)).rows;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    stop,
    start,
    async backup() {
      const wasRunning = child !== undefined;
      await stop('SIGTERM');
      if (hasBackup) await adminQuery(serverUrl, `drop database if exists ${backupName} with (force)`);
      await copyDatabase(name, backupName);
      hasBackup = true;
      if (wasRunning) await start();
    },
    async restore() {
      if (!hasBackup) throw new Error('restore without a backup');
      const wasRunning = child !== undefined;
      await stop('SIGTERM');
      await adminQuery(serverUrl, `drop database if exists ${name} with (force)`);
      await copyDatabase(backupName, name);
      if (wasRunning) await start();
    },
    stderr: () => stderr,
    async dispose() {
      await stop('SIGKILL');
      await adminQuery(serverUrl, `drop database if exists ${name} with (force)`).catch(() => undefined);
      await adminQuery(serverUrl, `drop database if exists ${backupName} with (force)`).catch(
        () => undefined,
      );
    },
  };
  try {
    await start();
  } catch (error) {
    await cloud.dispose();
    throw error;
  }
  return cloud;
}
