/**
 * CLI: runs one gate agent headless.
 *
 *   npm run gate -- --data-dir DIR [--cloud URL] [--enroll TOKEN] [--port 4100]
 *
 * Gates of one event on the same venue LAN exchange admissions directly (one entry per ticket even when
 * the cloud is unreachable): --peer-listen HOST:PORT serves the peer protocol there (reported to the
 * cloud, which lists it to the event's other gates), --peer-advertise HOST:PORT names the address the
 * others should use when it differs, and --peer HOST:PORT (repeatable) adds an address to try.
 *
 * The scanner UI shows the ticket list amber ("sync failing") once it is --stale-after-minutes N old
 * (default 10) and red from --very-stale-after-minutes N (default 30).
 *
 * Rotating codes (issue 20): while the clock offset to the cloud is unknown or 30 s or more, a code may be
 * from up to --holder-code-max-skew-seconds N either side of now (default 120; stored like --port).
 *
 * Test and simulation flags: --clock-offset-ms N shifts the agent's clock by N ms (a gate whose clock is
 * wrong), --sync-interval-ms N sets the pull/upload timer (default 30 s).
 *
 * The first start needs --cloud and --enroll; later starts need only --data-dir (settings are stored
 * there), and a flag given again overrides the stored value. SIGINT / SIGTERM close it cleanly (the
 * store is closed after the last scan's transaction, never in the middle of one).
 */
import { parseArgs } from 'node:util';
import { startGateAgent } from './agent';
import { createGateLogger } from './logger';

const USAGE =
  'usage: npm run gate -- --data-dir DIR [--cloud URL] [--enroll TOKEN] [--port 4100]\n' +
  '         [--peer-listen HOST:PORT] [--peer-advertise HOST:PORT] [--peer HOST:PORT ...]\n' +
  '         [--stale-after-minutes N] [--very-stale-after-minutes N] [--holder-code-max-skew-seconds N]\n' +
  '         [--clock-offset-ms N] [--sync-interval-ms N]';

/** Parses an integer flag in [min, max], or exits naming the flag. */
function integerFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    console.error(`--${name} must be an integer ${min}..${max}, got ${value}`);
    process.exit(2);
  }
  return parsed;
}

async function main(): Promise<void> {
  let values: {
    'data-dir'?: string;
    cloud?: string;
    enroll?: string;
    port?: string;
    'clock-offset-ms'?: string;
    'sync-interval-ms'?: string;
    'stale-after-minutes'?: string;
    'very-stale-after-minutes'?: string;
    'holder-code-max-skew-seconds'?: string;
    'peer-listen'?: string;
    'peer-advertise'?: string;
    peer?: string[];
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        'data-dir': { type: 'string' },
        cloud: { type: 'string' },
        enroll: { type: 'string' },
        port: { type: 'string' },
        'clock-offset-ms': { type: 'string' },
        'sync-interval-ms': { type: 'string' },
        'stale-after-minutes': { type: 'string' },
        'very-stale-after-minutes': { type: 'string' },
        'holder-code-max-skew-seconds': { type: 'string' },
        'peer-listen': { type: 'string' },
        'peer-advertise': { type: 'string' },
        peer: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values['data-dir']) {
    console.error(`--data-dir is required\n${USAGE}`);
    process.exit(2);
  }
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      console.error(`--port must be an integer 0..65535, got ${values.port}`);
      process.exit(2);
    }
  }
  const clockOffsetMs = integerFlag('clock-offset-ms', values['clock-offset-ms'], -86_400_000, 86_400_000);
  const syncIntervalMs = integerFlag('sync-interval-ms', values['sync-interval-ms'], 100, 86_400_000);
  const staleAfterMinutes = integerFlag('stale-after-minutes', values['stale-after-minutes'], 1, 10_080);
  const veryStaleAfterMinutes = integerFlag(
    'very-stale-after-minutes',
    values['very-stale-after-minutes'],
    1,
    10_080,
  );
  const holderCodeMaxSkewSeconds = integerFlag(
    'holder-code-max-skew-seconds',
    values['holder-code-max-skew-seconds'],
    15,
    86_400,
  );
  const logger = createGateLogger({ level: process.env.LOG_LEVEL ?? 'info' });
  const agent = await startGateAgent({
    dataDir: values['data-dir'],
    logger,
    ...(values.cloud ? { cloudUrl: values.cloud } : {}),
    ...(values.enroll ? { enrollmentToken: values.enroll } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(clockOffsetMs ? { clock: () => Date.now() + clockOffsetMs } : {}),
    ...(syncIntervalMs !== undefined ? { syncIntervalMs } : {}),
    ...(staleAfterMinutes !== undefined ? { staleAfterMinutes } : {}),
    ...(veryStaleAfterMinutes !== undefined ? { veryStaleAfterMinutes } : {}),
    ...(holderCodeMaxSkewSeconds !== undefined ? { holderCodeMaxSkewSeconds } : {}),
    ...(values['peer-listen'] ? { peerListen: values['peer-listen'] } : {}),
    ...(values['peer-advertise'] ? { peerAdvertise: values['peer-advertise'] } : {}),
    ...(values.peer ? { peers: values.peer } : {}),
  });
  // One line on stdout that a supervisor (or a test) can wait for.
  console.log(JSON.stringify({ listening: agent.url }));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    agent.close().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'close failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
