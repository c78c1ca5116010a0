/**
 * `npm start`: the whole product on one machine, with nothing installed but Node. Starts the cloud as its
 * own process (`npm run cloud`) on embedded PostgreSQL (PGlite under ./data/cloud, jobs in-process) unless
 * DATABASE_URL / REDIS_URL say otherwise, seeds a demo through the public API when there is none, enrolls
 * a demo gate agent for the North gate (./data/gate-north) that reaches the cloud through a switchable
 * "venue internet" link (./demo/venue-link.ts: `o` in the terminal or the demo page cuts and restores
 * it), syncs it, serves its scanner UI and a live page of demo QR codes, and writes a ready token per
 * role into ./data/tokens. A second start reuses all of it. Ctrl-C stops everything cleanly.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { ConfigError, loadConfig } from '../cloud/config';
import { type GateAgent, startGateAgent } from '../gate-agent/agent';
import { storePath } from '../gate-agent/store/database';
import { openGateStore } from '../gate-agent/store/gate-store';
import { buildScannerUi } from '../scanner-ui/build';
import { DemoApi } from './demo/api';
import { startCloudChild } from './demo/cloud-child';
import { serveQrPage } from './demo/qr-page';
import { DEMO_USERS, writeRoleTokens } from './demo/role-tokens';
import { ensureDemo } from './demo/seed';
import { listenForKeys, releaseKeys, startVenueLink } from './demo/venue-link';

const DEMO_TENANT = 'demo';
const GATE_PORT = Number(process.env.GATE_PORT ?? 4100);
const DEMO_PAGE_PORT = Number(process.env.DEMO_PAGE_PORT ?? 4200);

/** True when the gate's data directory holds an enrolled device. */
function isEnrolled(gateDir: string): boolean {
  if (!existsSync(storePath(gateDir))) return false;
  const store = openGateStore(storePath(gateDir));
  try {
    return Boolean(store.settings.deviceId);
  } finally {
    store.close();
  }
}

async function main(): Promise<void> {
  const dataRoot = resolve(process.env.DEMO_DATA_DIR ?? 'data');
  mkdirSync(dataRoot, { recursive: true });
  // The demo keeps the terminal for its URLs: request logs only when asked for (LOG_LEVEL=info).
  const logLevel = process.env.LOG_LEVEL ?? 'warn';
  const cloudEnv = { LOG_LEVEL: logLevel, DATA_DIR: process.env.DATA_DIR ?? join(dataRoot, 'cloud') };
  // Read here for the demo's identity (the development JWT secret, made and kept in DATA_DIR on first
  // use); the cloud process reads the same files. Announced by the cloud, not twice.
  const config = loadConfig({ ...process.env, ...cloudEnv }, { announce: () => {} });

  await buildScannerUi();
  const stops: Array<() => Promise<unknown>> = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    releaseKeys();
    for (const fn of stops.reverse()) await fn().catch(() => {});
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  const say = (line: string) => process.stdout.write(`${line}\n`);

  try {
    const cloud = await startCloudChild(cloudEnv);
    stops.push(() => cloud.stop());
    if (config.auth.kind !== 'hs256') {
      say('AUTH_JWKS_URL is set: the demo cannot mint users, so no demo data is seeded.');
      return;
    }
    const api = new DemoApi(
      cloud.url,
      { secret: config.auth.secret, issuer: config.authIssuer, audience: config.authAudience },
      DEMO_TENANT,
    );
    const stateFile = join(dataRoot, 'demo.json');
    const gateDir = join(dataRoot, 'gate-north');
    // Demo state left from a database that is gone (data/cloud deleted) is worthless: start over.
    if (existsSync(stateFile)) {
      const { state } = await ensureDemo(api, stateFile);
      const alive = await api.call('admin', DEMO_USERS.admin, 'GET', `/events/${state.eventId}`).then(
        () => true,
        () => false,
      );
      if (!alive) {
        rmSync(stateFile);
        rmSync(gateDir, { recursive: true, force: true });
      }
    }
    const { state, created } = await ensureDemo(api, stateFile);

    const link = await startVenueLink(cloud.url, say);
    stops.push(() => link.close());
    const agent = await startDemoGate(api, state.gates.north, gateDir, link.url, logLevel);
    stops.push(() => agent.close());
    const status = await agent.syncNow();
    if (created) await agent.scan(state.usedTicketQr, 'in');

    const gateName = status.gate.name ?? 'North';
    const page = await serveQrPage(
      {
        state,
        scannerUrl: agent.url,
        gateName,
        preview: (code) => agent.preview(code, 'in'),
        online: async () => (await agent.status()).online,
        link,
        walletLink: async () =>
          `${cloud.url}/wallet#token=${await api.token('customer', DEMO_USERS.customer, 12 * 3600)}`,
      },
      DEMO_PAGE_PORT,
    );
    stops.push(() => new Promise((done) => page.server.close(done)));
    const tokens = await writeRoleTokens(api, dataRoot);
    const events = status.events.map((e) => `${e.name} (${e.tickets} tickets)`).join(', ');
    say(
      [
        '',
        'Gate validation demo is running:',
        `  API docs        ${cloud.url}/docs   (OpenAPI: ${cloud.url}/openapi.json)`,
        `  scanner UI      ${agent.url}/   gate ${gateName}, ${status.online ? 'online' : 'offline'}, ${events}`,
        `  demo QR codes   ${page.url}/`,
        `  operations      ${cloud.url}/ops/events/${state.eventId}   (paste the admin token)`,
        `  box office      ${cloud.url}/box-office   (paste the venue_staff token)`,
        `  wallet          ${page.url}/wallet   (the demo customer's tickets: opens ${cloud.url}/wallet signed in)`,
        `  tokens          ${tokens}/{admin,venue_staff,customer,ops}.txt   (12 h; README "Authentication")`,
        `  data            ${dataRoot}  (delete it to start from scratch)`,
        'Press o to cut the venue’s internet and again to restore it (or use the demo page).',
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
    listenForKeys(link, () => void stop(0));
  } catch (error) {
    process.stderr.write(`npm start failed: ${error instanceof Error ? error.message : String(error)}\n`);
    await stop(1);
  }
}

/** Starts the North gate's agent, enrolling it first when its data directory holds no device yet. */
async function startDemoGate(
  api: DemoApi,
  gateId: string,
  gateDir: string,
  cloudUrl: string,
  logLevel: string,
): Promise<GateAgent> {
  mkdirSync(gateDir, { recursive: true });
  let enrollmentToken: string | undefined;
  if (!isEnrolled(gateDir)) {
    const enrollment = await api.call<{ token: string }>(
      'admin',
      DEMO_USERS.admin,
      'POST',
      `/gates/${gateId}/enrollments`,
      {},
    );
    enrollmentToken = enrollment.token;
  }
  return startGateAgent({
    dataDir: gateDir,
    // Through the venue link, every start: the link's port is new each time and the agent stores it.
    cloudUrl,
    port: GATE_PORT,
    syncIntervalMs: 5_000,
    logger: pino({ name: 'gate-agent', level: logLevel }),
    ...(enrollmentToken ? { enrollmentToken } : {}),
  });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
  else process.stderr.write(`npm start failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
