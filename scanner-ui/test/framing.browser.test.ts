/**
 * No scan without a scanner, the camera or a person at the station (issue 15, finding 4), in Chromium
 * against the REAL gate agent's local API (gate-agent's harness: real pipeline, real SQLite, real signed
 * tickets). A page of another origin that frames the station with `#scan=<valid ticket>` gets a blocked
 * frame and records nothing — the ticket still admits afterwards; the station opened directly with
 * `#scan=<ticket>` records nothing either until a person presses Check. The demo's QR page (`npm start`)
 * works that way: its link opens the station with the code typed in, and Check decides it.
 *
 * `SCANNER_SHOTS_DIR=dir` keeps the screenshots taken on the way (otherwise they go with the temp folder).
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalAppHarness } from '../../gate-agent/test-support/local-app';
import { localAppHarness } from '../../gate-agent/test-support/local-app';
import { createScanPipeline } from '../../gate-agent/verify/pipeline';
import { serveQrPage } from '../../scripts/demo/qr-page';
import type { DemoState } from '../../scripts/demo/seed';
import { launchChromium } from '../test-support/browser';
import { describeInChromium } from '../test-support/chromium-suite';
import { serveFramingPage } from '../test-support/framing-page';
import { type BuiltUi, buildUiInTemp, KIOSK_VIEWPORT, waitForGate } from '../test-support/station-page';
import { recordVerdicts, verdictAfter } from '../test-support/verdict-record';

describeInChromium(
  'the station cannot be made to record a scan by a link or a frame',
  { timeout: 120_000 },
  () => {
    let ui: BuiltUi;
    let harness: LocalAppHarness;
    let server: ReturnType<typeof serve>;
    let url: string;
    let browser: Browser;
    let tickets: string[];
    let shots: string;

    beforeAll(async () => {
      ui = await buildUiInTemp('scanner-ui-framing-');
      shots = process.env['SCANNER_SHOTS_DIR'] ?? join(ui.dir, 'shots');
      mkdirSync(shots, { recursive: true });
      harness = await localAppHarness({ uiDir: ui.dist });
      tickets = [...harness.fixture.tokens.values()];
      server = serve({ fetch: harness.app.fetch, port: 0, hostname: '127.0.0.1' });
      await new Promise((resolve) => server.once('listening', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      browser = await launchChromium();
    });

    afterAll(async () => {
      await browser?.close();
      await new Promise((resolve) => server?.close(resolve));
      harness?.temp.cleanup();
      await ui?.remove();
    });

    /** The gate's own counters, asked the way any client would. */
    async function gateCounters() {
      const status = (await (await fetch(`${url}/api/status`)).json()) as {
        counters: { accepted: number; rejected: number };
      };
      // Accepts and rejects only (the status also splits accepts into entries and exits).
      const { accepted, rejected } = status.counters;
      return { accepted, rejected };
    }

    /** The ticket's verdict asked of the gate directly (this records a scan). */
    async function scanDirectly(code: string): Promise<string> {
      const response = await fetch(`${url}/api/scan`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code }),
      });
      return ((await response.json()) as { reason: string }).reason;
    }

    it('a page of another origin framing the station with #scan=<valid ticket>: frame blocked, nothing recorded', async () => {
      const ticket = tickets[0]!;
      const before = await gateCounters();
      const framing = await serveFramingPage(`${url}/?camera=off#scan=${encodeURIComponent(ticket)}`);
      const context = await browser.newContext({ viewport: KIOSK_VIEWPORT });
      try {
        const page = await context.newPage();
        const refusals: string[] = [];
        page.on('console', (message) => {
          if (/frame-ancestors|X-Frame-Options/i.test(message.text())) refusals.push(message.text());
        });
        const gateRequests: string[] = [];
        page.on('request', (request) => {
          if (request.url().startsWith(url)) gateRequests.push(`${request.method()} ${request.url()}`);
        });
        await page.goto(framing.url, { waitUntil: 'load' });
        const frame = (await (await page.waitForSelector('iframe')).contentFrame())!;
        // The browser asked for the page, and refused to show it: no script of the station ever ran.
        await expect.poll(() => refusals.length, { timeout: 10_000 }).toBeGreaterThan(0);
        expect(refusals.join('\n')).toMatch(/frame-ancestors 'none'/);
        expect(frame.url()).not.toContain(url);
        expect(await frame.$('#manual-code')).toBeNull();
        expect(gateRequests).toEqual([`GET ${url}/?camera=off`]);
        await page.screenshot({ path: join(shots, 'framed-blocked.png') });
        // Give a would-be scan every chance to land, then look at the gate.
        await page.waitForTimeout(1_000);
        expect(await gateCounters()).toEqual(before);
        expect(harness.temp.store.lastScanSeq).toBe(0);
      } finally {
        await context.close();
        await framing.close();
      }
      // The ticket was not used up: it still admits.
      expect(await scanDirectly(ticket)).toBe('OK');
    });

    it('the station opened directly with #scan=<ticket> records nothing until a person presses Check', async () => {
      const ticket = tickets[1]!;
      const before = await gateCounters();
      const seqBefore = harness.temp.store.lastScanSeq;
      const context = await browser.newContext({ viewport: KIOSK_VIEWPORT });
      try {
        const page = await context.newPage();
        await recordVerdicts(page);
        const scanPosts: string[] = [];
        page.on('request', (request) => {
          if (request.method() === 'POST' && request.url().endsWith('/api/scan'))
            scanPosts.push(request.url());
        });
        await page.goto(`${url}/?camera=off#scan=${encodeURIComponent(ticket)}`);
        await waitForGate(page, 'South');
        expect(await page.inputValue('#manual-code')).toBe(ticket);
        expect(await page.isVisible('#manual-hint')).toBe(true);
        // Two status polls (2 s apart) later the page has long finished starting, and sent no scan.
        await page.waitForTimeout(2_500);
        expect(scanPosts).toEqual([]);
        expect(await gateCounters()).toEqual(before);
        expect(harness.temp.store.lastScanSeq).toBe(seqBefore);
        await page.screenshot({ path: join(shots, 'link-filled.png') });
        // A person presses Check: now the ticket is decided, and admitted.
        await page.click('#manual-form button[type="submit"]');
        expect(await verdictAfter(page, 1)).toMatchObject({ kind: 'accept', reason: 'OK' });
        expect(scanPosts).toHaveLength(1);
        expect(await gateCounters()).toEqual({ ...before, accepted: before.accepted + 1 });
        await page.screenshot({ path: join(shots, 'link-checked.png') });
      } finally {
        await context.close();
      }
    });

    it("the demo page's link opens the station with the code typed in; Check decides it", async () => {
      const ticket = tickets[2]!;
      const state = {
        eventName: 'Test concert',
        tickets: [{ label: 'Valid ticket', expect: 'ACCEPT at South', ticketId: '', qr: ticket }],
      } as DemoState;
      const pipeline = createScanPipeline({
        store: harness.temp.store,
        clock: () => harness.fixture.cloudTime,
      });
      const demo = await serveQrPage(
        {
          state,
          scannerUrl: url,
          gateName: 'South',
          preview: (code) => pipeline.preview(code, 'in'),
          online: async () => true,
          link: { state: 'up', set: () => {} },
        },
        0,
      );
      const context = await browser.newContext({ viewport: KIOSK_VIEWPORT });
      try {
        const page = await context.newPage();
        await page.goto(`${demo.url}/`);
        expect(await page.textContent('article .expect')).toBe('Scanned now: ACCEPT at South');
        const before = await gateCounters();
        const opened = context.waitForEvent('page');
        await page.click('article a');
        const station = await opened;
        await recordVerdicts(station);
        await waitForGate(station, 'South');
        expect(await station.inputValue('#manual-code')).toBe(ticket);
        await station.waitForTimeout(500);
        expect(await gateCounters()).toEqual(before);
        await station.click('#manual-form button[type="submit"]');
        await station.waitForSelector('#verdict[data-kind="accept"]');
        expect(await gateCounters()).toEqual({ ...before, accepted: before.accepted + 1 });
      } finally {
        await context.close();
        await new Promise((resolve) => demo.server.close(resolve));
      }
    });
  },
);
