/**
 * The built UI in Chromium against the REAL gate agent's local API (gate-agent/server/app.ts with the
 * real scan pipeline over a real SQLite store holding a manifest of real signed tickets, from
 * gate-agent's own test harness), served on a loopback port: a scanned ticket paints ACCEPT, the same
 * ticket again ALREADY USED with the gate, garbage INVALID; and scan-to-paint latency over 50 scans.
 * The cloud is not involved here (the harness installs the manifest directly).
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LocalAppHarness, localAppHarness } from '../../gate-agent/test-support/local-app';
import { expectAcceptUsedInvalid } from '../test-support/admission-sequence';
import { launchChromium } from '../test-support/browser';
import { describeInChromium } from '../test-support/chromium-suite';
import { measureScanToPaint } from '../test-support/measure';
import { type BuiltUi, buildUiInTemp, openStation } from '../test-support/station-page';

describeInChromium('scanner UI against the real gate agent local API', { timeout: 120_000 }, () => {
  let ui: BuiltUi;
  let harness: LocalAppHarness;
  let server: ReturnType<typeof serve>;
  let url: string;
  let browser: Browser;
  let page: Page;
  let tickets: string[];

  beforeAll(async () => {
    ui = await buildUiInTemp('scanner-ui-real-');
    harness = await localAppHarness({ uiDir: ui.dist });
    tickets = [...harness.fixture.tokens.values()];
    server = serve({ fetch: harness.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
    page = await openStation(browser, `${url}/?camera=off`, { gateName: 'South' });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    harness?.temp.cleanup();
    await ui?.remove();
  });

  it('ACCEPT, then ALREADY USED with the gate, then INVALID for garbage', async () => {
    const used = await expectAcceptUsedInvalid(page, tickets[0]!);
    expect(used.text).toMatch(/ago at South \(\d\d:\d\d\)|Just now at South/);
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
