/**
 * The whole chain in Debian's Chromium: the real cloud (production app, real database) sells tickets, a
 * real gate agent enrolls and syncs its manifest, and the built scanner UI served by that agent decides
 * what a keyboard-wedge scanner or the camera reads (issue 6). Only the network between gate and cloud
 * is faked, to take the cloud away.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buyTickets } from '../../cloud/test-support/cloud';
import { type GateAgent, startGateAgent } from '../../gate-agent/agent';
import { type RealCloud, startRealCloud } from '../../gate-agent/test-support/real-cloud';
import { buildScannerUi } from '../build';
import { chromiumAvailable, launchChromium } from '../test-support/browser';
import { writeQrY4m } from '../test-support/fake-camera';
import { typeLikeScanner } from '../test-support/scanner-keys';

const runIf = chromiumAvailable() ? describe : describe.skip;

runIf('scanner UI, gate agent and cloud together', { timeout: 120_000 }, () => {
  let dir: string;
  let real: RealCloud;
  let agent: GateAgent;
  let browser: Browser;
  let page: Page;
  let tickets: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scanner-e2e-'));
    const dist = join(dir, 'dist');
    await buildScannerUi(dist);
    real = await startRealCloud({ doorsOpenSinceMs: 3_600_000 });
    const { purchase } = await buyTickets(real.cloud, real.seeded, { quantity: 4 });
    tickets = (purchase.tickets as Array<{ qr: string }>).map((t) => t.qr);
    agent = await startGateAgent({
      dataDir: join(dir, 'gate'),
      cloudUrl: real.url,
      enrollmentToken: await real.enrollmentToken(),
      port: 0,
      uiDir: dist,
      syncIntervalMs: 500,
      logger: pino({ level: 'silent' }),
    });
    await agent.syncNow();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1024, height: 600 } });
    await page.goto(`${agent.url}/?camera=off`);
    await page.waitForFunction(() => document.getElementById('gate-name')?.textContent === 'North');
    await page.keyboard.press('Shift'); // warm up the input path (see scanner.browser.test.ts)
  });

  afterAll(async () => {
    await browser?.close();
    await agent?.close();
    await real?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function verdictAfter(seq: number) {
    await page.waitForSelector(`#verdict[data-seq="${seq}"]`, { state: 'attached', timeout: 15_000 });
    return page.evaluate(() => {
      const panel = document.getElementById('verdict')!;
      return { kind: panel.dataset['kind'], reason: panel.dataset['reason'], text: panel.innerText };
    });
  }

  it('a wedge burst paints ACCEPT, the same ticket again ALREADY USED at North, garbage INVALID', async () => {
    await typeLikeScanner(page, tickets[0]!);
    expect(await verdictAfter(1)).toMatchObject({ kind: 'accept', reason: 'OK' });
    await page.waitForTimeout(100);
    await typeLikeScanner(page, tickets[0]!);
    const used = await verdictAfter(2);
    expect(used).toMatchObject({ kind: 'reject', reason: 'ALREADY_USED' });
    expect(used.text).toContain('North');
    await page.waitForTimeout(100);
    await typeLikeScanner(page, 'GARBAGE-NOT-A-TICKET-1234');
    expect(await verdictAfter(3)).toMatchObject({ kind: 'reject', reason: 'INVALID' });
  });

  it('slow human typing of a real ticket is not taken as a scan', async () => {
    const before = (await agent.status()).counters;
    await page.keyboard.type(tickets[1]!.slice(0, 20), { delay: 150 });
    await page.keyboard.press('Enter');
    await page.waitForTimeout(600);
    expect((await agent.status()).counters).toEqual(before);
  });

  it('shows offline when the cloud goes away, and scanning goes on', async () => {
    real.link = 'down';
    await agent.syncNow();
    await page.waitForSelector('#offline-banner', { state: 'visible', timeout: 10_000 });
    await typeLikeScanner(page, tickets[2]!);
    expect(await verdictAfter(4)).toMatchObject({ kind: 'accept', reason: 'OK' });
    real.link = 'up';
    await agent.syncNow();
    await page.waitForSelector('#offline-banner', { state: 'hidden', timeout: 10_000 });
  });

  it('the camera reads a real ticket from Chromium’s fake camera and paints ACCEPT', async () => {
    const video = join(dir, 'ticket.y4m');
    await writeQrY4m(video, tickets[3]!);
    const camera = await launchChromium({ fakeCameraFile: video });
    try {
      const cameraPage = await camera.newPage({ viewport: { width: 1024, height: 600 } });
      await cameraPage.goto(agent.url);
      await cameraPage.waitForSelector('#verdict[data-kind="accept"]', {
        state: 'attached',
        timeout: 20_000,
      });
      expect(await cameraPage.getAttribute('#verdict', 'data-reason')).toBe('OK');
    } finally {
      await camera.close();
    }
  });
});
