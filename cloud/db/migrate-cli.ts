/** `npm run migrate`: applies the cloud migrations to DATABASE_URL (or the PGlite store in DATA_DIR). */
import { ConfigError, loadConfig } from '../config';
import { openDatabase } from './client';
import { runMigrations } from './migrate';

async function main(): Promise<void> {
  const config = loadConfig(process.env, { generateDevSecrets: true });
  const handle = await openDatabase({ databaseUrl: config.databaseUrl, pgliteDir: config.dataDir });
  try {
    await runMigrations(handle);
    process.stdout.write(`migrations applied (${handle.kind})\n`);
  } finally {
    await handle.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(1);
});
