/**
 * The cloud of one simulated run: cloud/main.ts as a child process (cloud-child.ts) on its own fresh
 * PostgreSQL database (cloud-database.ts), which the simulation can stop (SIGTERM or kill -9), start
 * again on the same port, back up and restore. A backup is `CREATE DATABASE … TEMPLATE`, taken while the
 * cloud is stopped (a cold backup); a restore drops the live database and copies the backup back under
 * the same name, so the restarted cloud sees exactly the older state.
 */
import { randomBytes } from 'node:crypto';
import { benchCloudEnv, freePort } from '../lib/cloud-process';
import { type ApiUser, callCloudApi } from './cloud-api';
import { cloudChild } from './cloud-child';
import { copyDatabase, databaseUrlOn, dropDatabase, queryOnce } from './cloud-database';

export interface SimCloud {
  readonly url: string;
  readonly port: number;
  readonly databaseUrl: string;
  /** Started and answering /health/ready (false while stopped, starting, backed up or restored). */
  readonly running: boolean;
  /** Calls the API as user `sub` of `tenant` with `role`; throws CloudApiError on a non-2xx answer. */
  api<T = { id: string }>(
    user: ApiUser,
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

/** Creates a database and starts the cloud on it; waits until /health/ready answers. */
export async function startSimCloud(serverUrl: string, prefix: string): Promise<SimCloud> {
  if (!/^[a-z][a-z0-9_]{0,30}$/.test(prefix)) throw new RangeError(`bad database prefix: ${prefix}`);
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const backupName = `${name}_bak`;
  await queryOnce(serverUrl, `create database ${name}`);
  const databaseUrl = databaseUrlOn(serverUrl, name);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const secret = randomBytes(32).toString('base64url');
  // One environment for every restart: the same key-encryption key must open the same database.
  const child = cloudChild(url, benchCloudEnv({ port, databaseUrl, secret }, { SHUTDOWN_GRACE_MS: '1500' }));
  let hasBackup = false;

  const cloud: SimCloud = {
    url,
    port,
    databaseUrl,
    get running() {
      return child.ready;
    },
    api: (user, method, path, body, headers) =>
      callCloudApi({ url, secret }, user, method, path, body, headers),
    query: (text, values) => queryOnce(databaseUrl, text, values),
    stop: child.stop,
    start: child.start,
    async backup() {
      const wasRunning = child.alive;
      await child.stop('SIGTERM');
      if (hasBackup) await dropDatabase(serverUrl, backupName);
      await copyDatabase(serverUrl, name, backupName);
      hasBackup = true;
      if (wasRunning) await child.start();
    },
    async restore() {
      if (!hasBackup) throw new Error('restore without a backup');
      const wasRunning = child.alive;
      await child.stop('SIGTERM');
      await dropDatabase(serverUrl, name);
      await copyDatabase(serverUrl, backupName, name);
      if (wasRunning) await child.start();
    },
    stderr: child.stderr,
    async dispose() {
      await child.stop('SIGKILL');
      await dropDatabase(serverUrl, name).catch(() => undefined);
      await dropDatabase(serverUrl, backupName).catch(() => undefined);
    },
  };
  try {
    await child.start();
  } catch (error) {
    await cloud.dispose();
    throw error;
  }
  return cloud;
}
