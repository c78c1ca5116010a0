/**
 * The OpenAPI document exactly as the cloud serves it at /openapi.json, taken from the real app built
 * in this process (jobs in-process, no port, no network). `npm run lint:openapi` (scripts/openapi-lint.ts)
 * lints it. The document is made from the route definitions alone, so the app gets a database that
 * throws on any use instead of a real one (starting PGlite costs 5–20 s on this machine): a document
 * that ever needed the database would fail here loudly, not quietly differ.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createApp } from '../cloud/app';
import { loadConfig } from '../cloud/config';
import type { Database, DatabaseHandle } from '../cloud/db/client';
import { createLogger } from '../cloud/logger';
import { Keyring } from '../cloud/services/keyring';

/** GET /openapi.json of a freshly built app, parsed. */
export async function servedOpenApiDocument(): Promise<Record<string, unknown>> {
  const config = loadConfig(
    {
      NODE_ENV: 'test',
      AUTH_JWT_SECRET: randomBytes(32).toString('base64'),
      KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'silent',
    },
    { generateDevSecrets: false },
  );
  const unused = (what: string) => () => {
    throw new Error(`the OpenAPI document must not need the database (${what})`);
  };
  const db = new Proxy({} as Database, { get: (_target, key) => unused(`db.${String(key)}`)() });
  const database: DatabaseHandle = {
    db,
    scanDb: db,
    kind: 'pglite',
    ping: unused('ping'),
    flush: unused('flush'),
    close: async () => {},
    poolStats: () => ({ total: 0, idle: 0, waiting: 0 }),
    scanPoolStats: () => ({ total: 0, idle: 0, waiting: 0 }),
  };
  const logger = createLogger('silent', new Writable({ write: (_chunk, _encoding, done) => done() }));
  const keyring = new Keyring(database.db, config.keyEncryptionKey);
  const cloud = createApp({ config, database, keyring, logger, inProcessJobs: true });
  try {
    const response = await cloud.app.request('/openapi.json');
    if (response.status !== 200) throw new Error(`/openapi.json answered ${response.status}`);
    return (await response.json()) as Record<string, unknown>;
  } finally {
    await cloud.jobs.close();
    cloud.watcher.close();
    await database.close();
  }
}
