/**
 * The newcomer's `npm start` (SPEC section 2), run as a real process on a fresh data directory with no
 * PostgreSQL or Redis: it must come up with the cloud, the demo data, an enrolled and synced gate agent,
 * its scanner UI and the demo QR page; the demo tickets must get the verdicts the page promises; Ctrl-C
 * must stop it cleanly; and a second start must reuse the data.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../bench/lib/cloud-process';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'npm-start-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(ports: { cloud: number; gate: number; page: number }) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: '',
      REDIS_URL: '',
      DEMO_DATA_DIR: dataDir,
      PORT: String(ports.cloud),
      GATE_PORT: String(ports.gate),
      DEMO_PAGE_PORT: String(ports.page),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr!.on('data', (chunk) => {
    output += String(chunk);
  });
  const deadline = Date.now() + 90_000;
  while (!output.includes('Press Ctrl-C to stop.')) {
    if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { child, output: () => output };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  return Promise.race([
    exited,
    new Promise<number | null>((resolve) => setTimeout(() => resolve(-1), 20_000)),
  ]);
}

interface GateStatus {
  online: boolean;
  pendingUploads: number;
}

async function gateStatusNow(port: number): Promise<GateStatus> {
  return (await (await fetch(`http://127.0.0.1:${port}/api/status`)).json()) as GateStatus;
}

/** Polls the gate's status (every 200 ms, at most 30 s) until `wanted` holds; false when it never did. */
async function gateStatus(port: number, wanted: (status: GateStatus) => boolean): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (wanted(await gateStatusNow(port))) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

describe('npm start', () => {
  it('brings up the whole demo, decides the demo tickets as promised, stops cleanly and restarts on its data', async () => {
    const ports = { cloud: await freePort(), gate: await freePort(), page: await freePort() };
    const first = await start(ports);
    const output = first.output();
    expect(output).toContain(`http://127.0.0.1:${ports.cloud}/docs`);
    expect(output).toContain(`http://127.0.0.1:${ports.gate}/`);
    expect(output).toContain(`http://127.0.0.1:${ports.page}/`);

    expect((await fetch(`http://127.0.0.1:${ports.cloud}/health/ready`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.cloud}/docs`)).status).toBe(200);
    const ui = await fetch(`http://127.0.0.1:${ports.gate}/`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('<html');
    const page = await (await fetch(`http://127.0.0.1:${ports.page}/`)).text();
    expect(page).toContain('<svg');

    const status = (await (await fetch(`http://127.0.0.1:${ports.gate}/api/status`)).json()) as {
      online: boolean;
      events: Array<{ tickets: number }>;
    };
    expect(status.online).toBe(true);
    expect(status.events[0]!.tickets).toBeGreaterThan(40);

    const demo = JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8')) as {
      eventId: string;
      tickets: Array<{ label: string; qr: string }>;
    };
    // The operations page is announced, and the token file it names opens the event's operations view.
    expect(output).toContain(`http://127.0.0.1:${ports.cloud}/ops/events/${demo.eventId}`);
    // A ready token per role, each in a file only this user can read; the console shows no secret.
    const tokenOf = (role: string) => readFileSync(join(dataDir, 'tokens', `${role}.txt`), 'utf8').trim();
    for (const role of ['admin', 'venue_staff', 'customer', 'ops']) {
      expect(statSync(join(dataDir, 'tokens', `${role}.txt`)).mode & 0o777).toBe(0o600);
      expect(output).not.toContain(tokenOf(role));
    }
    expect(output).toContain(join(dataDir, 'tokens'));
    const secret = readFileSync(join(dataDir, 'cloud', 'dev-auth-jwt-secret'), 'utf8').trim();
    expect(output).not.toContain(secret);
    const mine = await fetch(`http://127.0.0.1:${ports.cloud}/api/v1/me/tickets`, {
      headers: { authorization: `Bearer ${tokenOf('customer')}` },
    });
    expect(((await mine.json()) as { items: unknown[] }).items.length).toBeGreaterThan(0);
    const adminToken = tokenOf('admin');
    const operations = await fetch(
      `http://127.0.0.1:${ports.cloud}/api/v1/events/${demo.eventId}/operations`,
      {
        headers: { authorization: `Bearer ${adminToken}` },
      },
    );
    expect(operations.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.cloud}/ops/events/${demo.eventId}`)).status).toBe(200);
    // So is the box office (issue 17), for the venue_staff token.
    expect(output).toContain(`http://127.0.0.1:${ports.cloud}/box-office   (paste the venue_staff token)`);
    expect((await fetch(`http://127.0.0.1:${ports.cloud}/box-office`)).status).toBe(200);
    // The wallet (issue 20): the announced link signs the demo customer in, with no token in the output.
    expect(output).toContain(`http://127.0.0.1:${ports.page}/wallet`);
    const toWallet = await fetch(`http://127.0.0.1:${ports.page}/wallet`, { redirect: 'manual' });
    expect(toWallet.status).toBe(302);
    const walletLink = toWallet.headers.get('location') ?? '';
    expect(walletLink).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${ports.cloud}/wallet#token=`));
    const walletToken = walletLink.split('#token=')[1]!;
    expect(output).not.toContain(walletToken);
    const walletTickets = await fetch(`http://127.0.0.1:${ports.cloud}/api/v1/me/tickets`, {
      headers: { authorization: `Bearer ${walletToken}` },
    });
    expect(((await walletTickets.json()) as { items: unknown[] }).items.length).toBeGreaterThan(0);
    expect((await fetch(`http://127.0.0.1:${ports.cloud}/wallet`)).status).toBe(200);
    const scan = async (label: string) => {
      const ticket = demo.tickets.find((t) => t.label === label)!;
      const response = await fetch(`http://127.0.0.1:${ports.gate}/api/scan`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: ticket.qr, direction: 'in' }),
      });
      return ((await response.json()) as { reason: string }).reason;
    };
    // The demo page says what the gate answers now, and says it again after a scan changed it.
    const demoPage = async () => (await fetch(`http://127.0.0.1:${ports.page}/`)).text();
    const before = await demoPage();
    expect(before).toContain('Scanned now: REJECT at North: Already used (at North)');
    expect(before.match(/Scanned now: ACCEPT at North/g)).toHaveLength(2);
    expect(await scan('Valid ticket')).toBe('OK');
    expect((await demoPage()).match(/Scanned now: ACCEPT at North/g)).toHaveLength(1);
    expect(await scan('Already used')).toBe('ALREADY_USED');
    expect(await scan('Refunded ticket')).toBe('REVOKED');
    expect(await scan('VIP ticket')).toBe('WRONG_GATE');
    expect(await scan('Not a ticket')).toBe('INVALID');

    // The venue's internet, cut from the demo page and restored: the gate scans offline, then uploads.
    const switchLink = (state: 'up' | 'down', origin = `http://127.0.0.1:${ports.page}`) =>
      fetch(`http://127.0.0.1:${ports.page}/link`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: `state=${state}`,
        redirect: 'manual',
      });
    expect((await switchLink('down', 'http://evil.example')).status).toBe(403);
    expect((await switchLink('down')).status).toBe(303);
    expect(await gateStatus(ports.gate, (s) => !s.online)).toBe(true);
    expect(await demoPage()).toContain('Venue internet: <strong>CUT</strong>');
    expect(await scan('Another valid ticket')).toBe('OK');
    expect((await gateStatusNow(ports.gate)).pendingUploads).toBeGreaterThan(0); // kept until the link is back
    expect((await switchLink('up')).status).toBe(303);
    expect(await gateStatus(ports.gate, (s) => s.online && s.pendingUploads === 0)).toBe(true);

    expect(await stop(first.child)).toBe(0);

    // Second start: the same data, the same demo, the gate already enrolled.
    const second = await start(ports);
    const again = JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8')) as { eventId: string };
    expect(again.eventId).toBe((demo as unknown as { eventId: string }).eventId);
    expect(await scan('Valid ticket')).toBe('ALREADY_USED');
    expect(await stop(second.child)).toBe(0);
  }, 240_000);
});
