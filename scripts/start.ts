/**
 * `npm start`: the whole product on one machine, with nothing installed but Node. Starts the cloud on
 * embedded PostgreSQL (PGlite under ./data/cloud, jobs in-process) unless DATABASE_URL / REDIS_URL say
 * otherwise, seeds a demo through the public API when there is none, enrolls a demo gate agent for the
 * North gate (./data/gate-north), syncs it, serves its scanner UI, and serves a page of demo QR codes.
 * A second start reuses all of it. Ctrl-C stops everything cleanly.
 */
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { ConfigError, loadConfig } from '../cloud/config';
import { startCloud } from '../cloud/server';
import { type GateAgent, startGateAgent } from '../gate-agent/agent';
import { storePath } from '../gate-agent/store/database';
import { openGateStore } from '../gate-agent/store/gate-store';
import { buildScannerUi } from '../scanner-ui/build';
import { DemoApi } from './demo/api';
import { renderQrPage, serveQrPage } from './demo/qr-page';
import { ensureDemo } from './demo/seed';

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
  const config = loadConfig({
    ...process.env,
    LOG_LEVEL: logLevel,
    DATA_DIR: process.env.DATA_DIR ?? join(dataRoot, 'cloud'),
  });

  await buildScannerUi();
  const cloud = await startCloud(config, { hostname: '127.0.0.1' });
  const stops: Array<() => Promise<unknown>> = [() => cloud.close()];
  let agent: GateAgent | undefined;
  const stop = async (code: number) => {
    for (const fn of stops.reverse()) await fn().catch(() => {});
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    if (config.auth.kind !== 'hs256') {
      process.stdout.write('AUTH_JWKS_URL is set: the demo cannot mint users, so no demo data is seeded.\n');
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
      const alive = await api.call('admin', 'demo-admin', 'GET', `/events/${state.eventId}`).then(
        () => true,
        () => false,
      );
      if (!alive) {
        rmSync(stateFile);
        rmSync(gateDir, { recursive: true, force: true });
      }
    }
    const { state, created } = await ensureDemo(api, stateFile);

    mkdirSync(gateDir, { recursive: true });
    const enrolled = isEnrolled(gateDir);
    let enrollmentToken: string | undefined;
    if (!enrolled) {
      const enrollment = await api.call<{ token: string }>(
        'admin',
        'demo-admin',
        'POST',
        `/gates/${state.gates.north}/enrollments`,
        {},
      );
      enrollmentToken = enrollment.token;
    }
    agent = await startGateAgent({
      dataDir: gateDir,
      cloudUrl: cloud.url,
      port: GATE_PORT,
      syncIntervalMs: 5_000,
      logger: pino({ name: 'gate-agent', level: logLevel }),
      ...(enrollmentToken ? { enrollmentToken } : {}),
    });
    const running = agent;
    stops.push(() => running.close());
    const status = await agent.syncNow();
    if (created) await agent.scan(state.usedTicketQr, 'in');

    const page = await serveQrPage(await renderQrPage(state, agent.url), DEMO_PAGE_PORT);
    stops.push(() => new Promise((done) => page.server.close(done)));
    const events = status.events.map((e) => `${e.name} (${e.tickets} tickets)`).join(', ');
    // The operations page asks for a bearer token: a 12-hour demo admin token, in a file only this user
    // can read (a development convenience like the generated JWT secret; never in a URL or a log).
    const adminTokenFile = join(dataRoot, 'demo-admin-token.txt');
    writeFileSync(adminTokenFile, `${await api.token('admin', 'demo-admin', 12 * 3600)}\n`, { mode: 0o600 });
    chmodSync(adminTokenFile, 0o600);
    process.stdout.write(
      [
        '',
        'Gate validation demo is running:',
        `  API docs        ${cloud.url}/docs   (OpenAPI: ${cloud.url}/openapi.json)`,
        `  scanner UI      ${agent.url}/   gate ${status.gate.name ?? 'North'}, ${status.online ? 'online' : 'offline'}, ${events}`,
        `  demo QR codes   ${page.url}/`,
        `  operations      ${cloud.url}/ops/events/${state.eventId}   (admin token: ${adminTokenFile})`,
        `  data            ${dataRoot}  (delete it to start from scratch)`,
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  } catch (error) {
    process.stderr.write(`npm start failed: ${error instanceof Error ? error.message : String(error)}\n`);
    await stop(1);
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
  else process.stderr.write(`npm start failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
