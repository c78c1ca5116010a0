/**
 * Where a purchase's time goes: runs the cloud under `node --cpu-prof` while buyers loop hold → purchase
 * on one event (the load of bench/purchase-throughput.ts), then folds the profile of the load's window
 * into docs/flamegraphs/purchase.svg and prints the top frames by self and inclusive time, the packages
 * by self time, and how much of the window the event loop sat idle (waiting for PostgreSQL, Redis or
 * the clients).
 *
 *   TEST_DATABASE_URL=... REDIS_URL=... npx tsx bench/profile-purchases.ts
 *   env: PROFILE_BUYERS (500), PROFILE_SECONDS (20, at most 60), PROFILE_OUT (the SVG's path),
 *        PROFILE_PNG (also render the SVG to this PNG with Chromium), BENCH_QUICK=1 (50 buyers, 3 s)
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchDatabaseServer, freePort, freshDatabase } from './lib/cloud-process';
import { type CpuProfile, flameGraphSvg, foldProfile, topFrames } from './lib/flamegraph';
import { formatTable } from './lib/report';
import { drive, seed, startServer } from './purchase-throughput';

const quick = process.env['BENCH_QUICK'] === '1';
const buyers = Math.min(500, Number(process.env['PROFILE_BUYERS'] ?? (quick ? 50 : 500)));
const seconds = Math.min(60, Number(process.env['PROFILE_SECONDS'] ?? (quick ? 3 : 20)));
const out =
  process.env['PROFILE_OUT'] ?? fileURLToPath(new URL('../docs/flamegraphs/purchase.svg', import.meta.url));

/** The main thread's profile: the largest file the process wrote (workers write their own). */
function readProfile(dir: string): CpuProfile {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const largest = files.sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size)[0];
  if (!largest) throw new Error(`no .cpuprofile in ${dir}: did the cloud exit cleanly?`);
  return JSON.parse(readFileSync(join(dir, largest), 'utf8')) as CpuProfile;
}

async function renderPng(svgPath: string, pngPath: string): Promise<void> {
  const { launchChromium } = await import('../scanner-ui/test-support/browser');
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    await page.setContent(readFileSync(svgPath, 'utf8'));
    await page.screenshot({ path: pngPath, fullPage: true });
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const server = benchDatabaseServer();
  if (!server) throw new Error('profiling purchases needs DATABASE_URL or TEST_DATABASE_URL (PostgreSQL)');
  const database = await freshDatabase(server, 'bench_profile');
  const dir = mkdtempSync(join(tmpdir(), 'purchase-profile-'));
  process.env['BENCH_SERVER_NODE_ARGS'] = `--cpu-prof --cpu-prof-dir=${dir}`;
  let child: ChildProcess | undefined;
  try {
    const port = await freePort();
    child = await startServer(database.url, port);
    const base = `http://127.0.0.1:${port}`;
    const tenant = `bench-${randomUUID()}`;
    const target = await seed(base, tenant, 1_000_000);
    const driveStart = performance.now();
    const phase = await drive(base, tenant, [target], buyers, seconds);
    const driveEnd = performance.now();
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    const exitAt = performance.now();

    // The profile ends when the process exits: the load is the window that ended (exit − load end) before.
    const profile = readProfile(dir);
    const toUs = profile.endTime - profile.startTime - (exitAt - driveEnd) * 1000;
    const fromUs = toUs - (driveEnd - driveStart) * 1000;
    const { stacks, idleUs, totalUs } = foldProfile(profile, { fromUs, toUs });
    const busyUs = totalUs - idleUs;
    const perSecond = phase.purchases / phase.seconds;
    const subtitle =
      `cloud/main.ts under ${buyers} buyers (hold → purchase, one event) for ${phase.seconds.toFixed(0)} s: ` +
      `${Math.round(perSecond)} purchases/s; event loop busy ${((busyUs / totalUs) * 100).toFixed(0)} % of the window ` +
      `(idle ${((idleUs / totalUs) * 100).toFixed(0)} %, not drawn); width = CPU time on the main thread`;
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, flameGraphSvg(stacks, 'Where a purchase’s time goes (node --cpu-prof)', subtitle));

    const top = topFrames(stacks, 15);
    const share = (us: number) => `${((us / busyUs) * 100).toFixed(1)} %`;
    const table = (rows: { frame: string; us: number }[]) =>
      formatTable(
        ['frame', 'ms', 'of busy'],
        rows.map((r) => [r.frame, (r.us / 1000).toFixed(0), share(r.us)]),
      );
    console.log(`${subtitle}\nflame graph: ${out}\n`);
    console.log(`top self time\n${table(top.self)}\n`);
    console.log(`top inclusive time\n${table(top.inclusive)}\n`);
    console.log(`self time by package\n${table(top.selfByGroup)}`);
    const png = process.env['PROFILE_PNG'];
    if (png) {
      await renderPng(out, png);
      console.log(`\nPNG: ${png}`);
    }
  } finally {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    await database.drop();
  }
}

await main();
