/**
 * A real cloud server for benchmarks: a child process running cloud/main.ts (its own event loop, as in
 * production) against a fresh PostgreSQL database made from DATABASE_URL or TEST_DATABASE_URL, which is
 * dropped again afterwards, with Redis when REDIS_URL is set (BENCH_REDIS=0: the cloud's in-process
 * jobs and rate limits instead). Plus a tiny API client that mints user JWTs with the process's secret.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { freePort, freshDatabase } from '../../cloud/test-support/cloud-process';
import { mintUserToken } from '../../cloud/test-support/tokens';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface BenchCloud {
  url: string;
  databaseUrl: string;
  /** The cloud process's id (for its memory in /proc/<pid>/status). */
  pid: number;
  /** A user JWT (1 h) for `role` in `tenant`, signed with this cloud's secret. */
  token(role: string, tenant: string, sub: string): Promise<string>;
  /** Calls the API as a user of `tenant` with `role`. */
  api<T = { id: string }>(
    role: string,
    tenant: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<T>;
  stop(): Promise<void>;
}

/** The PostgreSQL server URL benchmarks may use, or undefined (then they report "not measured"). */
export function benchDatabaseServer(): string | undefined {
  return process.env.DATABASE_URL || process.env.TEST_DATABASE_URL || undefined;
}

/**
 * The Redis the benchmarked cloud uses: REDIS_URL, unless BENCH_REDIS=0 asks for the cloud's in-process
 * jobs and rate limits. Undefined = no Redis.
 */
export function benchRedisUrl(): string | undefined {
  return process.env.BENCH_REDIS === '0' ? undefined : process.env.REDIS_URL || undefined;
}

export { freePort, freshDatabase };

/**
 * The environment of a cloud child process under measurement: production settings (explicit secrets,
 * nothing generated), its own port, database and secrets, warnings only, and rate limits out of the way
 * (benchmarks measure capacity, not the limiter). `extra` adds to or overrides it. NODE_ENV is `test`, not
 * `production`: production refuses the test payment provider the benchmarks buy through, and NODE_ENV
 * decides nothing else in the cloud (cloud/config.ts).
 */
export function benchCloudEnv(
  options: { port: number; databaseUrl: string; secret: string },
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'test',
    PAYMENT_PROVIDER: 'test',
    PORT: String(options.port),
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: '',
    AUTH_JWT_SECRET: options.secret,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PURCHASE_PER_MINUTE: '1000000',
    RATE_LIMIT_READ_PER_MINUTE: '1000000',
    RATE_LIMIT_SYNC_PER_MINUTE: '1000000',
    RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
    ...extra,
  };
}

/** Starts cloud/main.ts on a fresh database and waits until /health/ready answers. */
export async function startBenchCloud(prefix: string, env: Record<string, string> = {}): Promise<BenchCloud> {
  const server = benchDatabaseServer();
  if (!server) throw new Error('benchmarks of the cloud need DATABASE_URL or TEST_DATABASE_URL');
  const database = await freshDatabase(server, prefix);
  const port = await freePort();
  const secret = randomBytes(32).toString('base64url');
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'cloud/main.ts'], {
    cwd: ROOT,
    env: benchCloudEnv(
      { port, databaseUrl: database.url, secret },
      {
        REDIS_URL: benchRedisUrl() ?? '',
        // Each cloud its own BullMQ queues, so runs sharing one Redis never take each other's jobs.
        JOBS_PREFIX: `${prefix}-${randomBytes(4).toString('hex')}`,
        ...env,
      },
    ),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await database.drop();
  };
  for (let i = 0; ; i++) {
    if (i > 150 || child.exitCode !== null) {
      await stop();
      throw new Error('the cloud did not become ready');
    }
    await new Promise((r) => setTimeout(r, 200));
    try {
      if ((await fetch(`${url}/health/ready`)).ok) break;
    } catch {
      // not listening yet
    }
  }
  return {
    url,
    databaseUrl: database.url,
    pid: child.pid!,
    token: (role, tenant, sub) =>
      mintUserToken({ sub, tid: tenant, role: role as never, secret, expiresInSeconds: 3600 }),
    api: async (role, tenant, method, path, body) => {
      const token = await mintUserToken({ sub: `bench-${role}`, tid: tenant, role: role as never, secret });
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json = await response.json();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
      return json as never;
    },
    stop,
  };
}
