/**
 * Real cloud processes for tests of several processes: cloud/main.ts as a child (`node --import tsx`, so
 * a signal reaches the cloud itself), started, killed and started again on the same port with the same
 * environment; a fresh PostgreSQL database they share; an API client over HTTP that seeding helpers
 * (test-support/cloud.ts) accept; and a reader of Server-Sent Events.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { CloudApi } from './cloud';
import { mintUserToken } from './tokens';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** tsx compiles on start: generous on a busy two-core machine. */
const READY_TIMEOUT_MS = 90_000;

/** A free loopback port (taken again at once by the caller's process). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Creates a fresh database on the server of `serverUrl` (tests and benches); its URL and a drop function. */
export async function freshDatabase(serverUrl: string, prefix: string) {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const dropper = new pg.Client({ connectionString: serverUrl });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

/** A fresh database on TEST_DATABASE_URL's server for processes to share; `drop` removes it. */
export async function sharedDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const server = process.env['TEST_DATABASE_URL'];
  if (!server) throw new Error('TEST_DATABASE_URL is required to share a database between processes');
  return freshDatabase(server, 'cloudprocs');
}

/** The environment of cloud processes sharing one database, one Redis prefix and one set of secrets. */
export function sharedCloudEnv(options: {
  databaseUrl: string;
  redisUrl: string;
  jobsPrefix: string;
  secret: string;
}): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    NODE_ENV: 'test',
    PAYMENT_PROVIDER: 'test',
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    JOBS_PREFIX: options.jobsPrefix,
    AUTH_JWT_SECRET: options.secret,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PURCHASE_PER_MINUTE: '1000000',
    RATE_LIMIT_READ_PER_MINUTE: '1000000',
    RATE_LIMIT_SYNC_PER_MINUTE: '1000000',
    RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
    HOLD_LIMIT_PER_CUSTOMER: '100000',
  };
}

export interface CloudProcess {
  readonly url: string;
  /** The running child's pid (undefined when stopped). */
  readonly pid: number | undefined;
  /** Starts the process unless one runs; resolves once /health/ready answers (bounded). */
  start(): Promise<void>;
  /** Sends `signal` and waits for the exit (SIGKILL after 15 s); resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Everything the process wrote (stdout and stderr), for assertions and failure messages. */
  output(): string;
}

/** A cloud process on `port` with `env` (not started yet). */
export function cloudProcess(port: number, env: Record<string, string>): CloudProcess {
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<number | null> = Promise.resolve(null);
  let output = '';

  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const running = child;
    if (!running) return null;
    child = undefined;
    if (running.exitCode === null && running.signalCode === null) running.kill(signal);
    const killer = setTimeout(() => running.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(killer);
    return code;
  };

  const start = async () => {
    if (child) return;
    const spawned = spawn(process.execPath, ['--import', 'tsx', 'cloud/main.ts'], {
      cwd: ROOT,
      env: { ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = spawned;
    exited = new Promise((resolve) => spawned.once('exit', (code) => resolve(code)));
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-200_000);
    };
    spawned.stdout!.on('data', keep);
    spawned.stderr!.on('data', keep);
    const started = Date.now();
    for (;;) {
      if (spawned.exitCode !== null || spawned.signalCode !== null)
        throw new Error(`the cloud exited before it was ready:\n${output.slice(-3000)}`);
      if (Date.now() - started > READY_TIMEOUT_MS) {
        await stop('SIGKILL');
        throw new Error(`the cloud was not ready within ${READY_TIMEOUT_MS} ms:\n${output.slice(-3000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      try {
        if ((await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2_000) })).ok) return;
      } catch {
        // not listening yet
      }
    }
  };

  return {
    url,
    get pid() {
      return child?.pid;
    },
    start,
    stop,
    output: () => output,
  };
}

/** The API of a cloud process over HTTP, as seeding helpers take it; the clock is the real one. */
export function remoteApi(url: string, secret: string): CloudApi {
  return {
    now: () => Date.now(),
    token: (role, tenant, sub) =>
      mintUserToken({ sub: sub ?? `user-${randomUUID()}`, tid: tenant, role, secret }),
    call: async (method, path, options = {}) => {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      if (options.token) headers['authorization'] = `Bearer ${options.token}`;
      let body: string | undefined;
      if (options.body !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      }
      const response = await fetch(`${url}${path}`, {
        method,
        headers,
        signal: AbortSignal.timeout(30_000),
        ...(body !== undefined ? { body } : {}),
      });
      const text = await response.text();
      let parsed: unknown = text;
      if ((response.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
      return { status: response.status, body: parsed, headers: response.headers };
    },
  };
}

/** Reads SSE messages from a stream until `predicate` matches or `timeoutMs` passes. */
export async function readEventsUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  predicate: (event: string, data: string) => boolean,
  timeoutMs: number,
): Promise<{ event: string; data: string } | undefined> {
  const decoder = new TextDecoder();
  let buffer = '';
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let timer: NodeJS.Timeout | undefined;
    const chunk = await Promise.race([
      reader.read(),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), Math.max(1, deadline - Date.now()));
      }),
    ]);
    clearTimeout(timer);
    if (!chunk || chunk.done) break;
    buffer += decoder.decode(chunk.value, { stream: true });
    let split = buffer.indexOf('\n\n');
    while (split >= 0) {
      const block = buffer.slice(0, split);
      buffer = buffer.slice(split + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? '';
      if (predicate(event, data)) return { event, data };
      split = buffer.indexOf('\n\n');
    }
  }
  return undefined;
}

/** Polls `check` until it holds; throws naming `what` after `timeoutMs`. */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs: number) {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
