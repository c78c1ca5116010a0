/** `npm run cloud`: parses the environment, starts the cloud API, and stops it cleanly on SIGTERM/SIGINT. */
import { ConfigError, loadConfig } from './config';
import { startCloud } from './server';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const running = await startCloud(config);
  process.stdout.write(
    `cloud API: ${running.url}/api/v1  docs: ${running.url}/docs  OpenAPI: ${running.url}/openapi.json\n`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    running.logger.info({ signal }, 'signal received');
    // close() finishes within SHUTDOWN_GRACE_MS by itself; this only guards against a step that ignores
    // its bound, so the process never outlives the grace period.
    setTimeout(() => {
      running.logger.error('shutdown overran SHUTDOWN_GRACE_MS: exiting now');
      process.exit(1);
    }, config.shutdownGraceMs).unref();
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        running.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`cloud failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
