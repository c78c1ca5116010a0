/**
 * The built UI in Chromium against the REAL gate agent's local API (gate-agent/server/app.ts with the
 * real scan pipeline over a real SQLite store holding a manifest of real signed tickets, from
 * gate-agent's own test harness), served on a loopback port: a scanned ticket paints ACCEPT, the same
 * ticket again ALREADY USED with the gate, garbage INVALID; and scan-to-paint latency over 50 scans.
 * The cloud is not involved here (the harness installs the manifest directly).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAppHarness, localAppHarness } from '../../gate-agent/test-support/local-app';
import { buildScannerUi } from '../build';
import { chromiumAvailable, launchChromium } from '../test-support/browser';
import { measureScanToPaint } from '../test-support/measure';
import { typeLikeScanner } from '../test-support/scanner-keys';

const runIf = chromiumAvailable() ? describe : describe.skip;

runIf('scanner UI against the real gate agent local API', { timeout: 120_000 }, () => {
  let dist: string;
  let harness: LocalAppHarness;
  let server: ReturnType<typeof serve>;
  let url: string;
  let browser: Browser;
  let page: Page;
  let tickets: string[];

  beforeAll(async () => {
    dist = await mkdtemp(join(tmpdir(), 'scanner-ui-real-'));
    await buildScannerUi(dist);
    harness = await localAppHarness({ uiDir: dist });
    tickets = [...harness.fixture.tokens.values()];
    server = serve({ fetch: harness.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1024, height: 600 } });
    await page.goto(`${url}/?camera=off`);
    await page.waitForFunction(() => document.getElementById('gate-name')?.textContent === 'South');
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    harness?.temp.cleanup();
    if (dist) await rm(dist, { recursive: true, force: true });
  });

  async function verdictAfter(seq: number) {
    await page.waitForSelector(`#verdict[data-seq="${seq}"]`);
    return page.evaluate(() => {
      const panel = document.getElementById('verdict')!;
      return { kind: panel.dataset['kind'], reason: panel.dataset['reason'], text: panel.innerText };
    });
  }

  it('ACCEPT, then ALREADY USED with the gate, then INVALID for garbage', async () => {
    await typeLikeScanner(page, tickets[0]!);
    expect(await verdictAfter(1)).toMatchObject({ kind: 'accept', reason: 'OK' });
    await page.waitForTimeout(100);
    await typeLikeScanner(page, tickets[0]!);
    const used = await verdictAfter(2);
    expect(used).toMatchObject({ kind: 'reject', reason: 'ALREADY_USED' });
    expect(used.text).toMatch(/ago at South \(\d\d:\d\d\)|Just now at South/);
    await page.waitForTimeout(100);
    await typeLikeScanner(page, 'GARBAGE-NOT-A-TICKET-1234');
    expect(await verdictAfter(3)).toMatchObject({ kind: 'reject', reason: 'INVALID' });
  });

  it('scan-to-paint over 50 scans through the real pipeline', async () => {
    const result = await measureScanToPaint({ url, codes: tickets, scans: 50, browser });
    console.log(
      `scan-to-paint, real gate-agent pipeline, ${result.scans} scans: p50 ${result.p50.toFixed(1)} ms, ` +
        `p95 ${result.p95.toFixed(1)} ms, max ${result.max.toFixed(1)} ms (target p95 ≤ 50 ms)`,
    );
    expect(result.scans).toBe(50);
  });
});
