/**
 * Scan to verdict on screen (SPEC section 9: p95 ≤ 50 ms): keyboard-wedge input typed into the built
 * scanner UI in headless Chromium until the verdict is painted, through the real gate-agent local API and
 * decision pipeline over a real SQLite store. The floor is the same pipeline's HTTP answer alone
 * (POST /api/scan from Node), so the ratio shows what the browser adds.
 *
 *   npx tsx bench/scan-to-paint.ts      (BENCH_QUICK=1 for a short harness check)
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { localAppHarness } from '../gate-agent/test-support/local-app';
import { buildScannerUi } from '../scanner-ui/build';
import { CHROMIUM_PATH } from '../scanner-ui/test-support/browser';
import { measureScanToPaint } from '../scanner-ui/test-support/measure';
import { percentile } from './lib/measure';
import type { BenchResult } from './lib/report';

export async function benchScanToPaint(options: { quick: boolean }): Promise<BenchResult[]> {
  if (!existsSync(CHROMIUM_PATH)) return [];
  const scans = options.quick ? 10 : 50;
  const dist = await mkdtemp(join(tmpdir(), 'bench-scanner-ui-'));
  await buildScannerUi(dist);
  const harness = await localAppHarness({ uiDir: dist });
  const server = serve({ fetch: harness.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const tickets = [...harness.fixture.tokens.values()];
    const result = await measureScanToPaint({ url, codes: tickets, scans });
    // Floor: the agent's own answer to the same scans over HTTP, without a browser.
    const http: number[] = [];
    for (let i = 0; i < scans; i++) {
      const started = performance.now();
      const response = await fetch(`${url}/api/scan`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: tickets[i % tickets.length], direction: 'in' }),
      });
      await response.arrayBuffer();
      http.push(performance.now() - started);
    }
    const floor = percentile(
      http.sort((a, b) => a - b),
      95,
    );
    return [
      {
        name: 'scan to painted verdict p95',
        value: result.p95,
        unit: 'ms',
        target: '<= 50',
        floor,
        ratio: result.p95 / floor,
        pass: result.p95 <= 50,
        note: `${result.scans} wedge scans in headless Chromium, p50 ${result.p50.toFixed(1)} ms; floor = p95 of the agent's HTTP answer alone`,
      },
    ];
  } finally {
    await new Promise((resolve) => server.close(resolve));
    harness.temp.cleanup();
    await rm(dist, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printTable } = await import('./lib/report');
  printTable(await benchScanToPaint({ quick: process.env.BENCH_QUICK === '1' }));
}
