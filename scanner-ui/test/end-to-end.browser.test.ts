/**
 * The whole chain in Debian's Chromium: the real cloud (production app, real database) sells tickets, a
 * real gate agent enrolls and syncs its manifest, and the built scanner UI served by that agent decides
 * what a keyboard-wedge scanner or the camera reads (issue 6). Only the network between gate and cloud
 * is faked, to take the cloud away.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buyTickets } from '../../cloud/test-support/cloud';
import { type GateAgent, startGateAgent } from '../../gate-agent/agent';
import { type RealCloud, startRealCloud } from '../../gate-agent/test-support/real-cloud';
import { expectAcceptUsedInvalid } from '../test-support/admission-sequence';
import { launchChromium } from '../test-support/browser';
import { describeInChromium } from '../test-support/chromium-suite';
import { writeQrY4m } from '../test-support/fake-camera';
import { typeLikeScanner } from '../test-support/scanner-keys';
import {
  type BuiltUi,
  buildUiInTemp,
  openStation,
  waitForWedgeIdle,
  withStationPage,
} from '../test-support/station-page';
import { verdictAfter } from '../test-support/verdict-record';

describeInChromium('scanner UI, gate agent and cloud together', { timeout: 120_000 }, () => {
  let ui: BuiltUi;
  let real: RealCloud;
  let agent: GateAgent;
  let browser: Browser;
  let page: Page;
  let tickets: string[];

  beforeAll(async () => {
    ui = await buildUiInTemp('scanner-e2e-');
    real = await startRealCloud({ doorsOpenSinceMs: 3_600_000 });
    const { purchase } = await buyTickets(real.cloud, real.seeded, { quantity: 4 });
    tickets = (purchase.tickets as Array<{ qr: string }>).map((t) => t.qr);
    agent = await startGateAgent({
      dataDir: join(ui.dir, 'gate'),
      cloudUrl: real.url,
      enrollmentToken: await real.enrollmentToken(),
      port: 0,
      uiDir: ui.dist,
      syncIntervalMs: 500,
      logger: pino({ level: 'silent' }),
    });
    await agent.syncNow();
    browser = await launchChromium();
    page = await openStation(browser, `${agent.url}/?camera=off`, { gateName: 'North' });
    await page.keyboard.press('Shift'); // warm up the input path (see scanner.browser.test.ts)
  });

  afterAll(async () => {
    await browser?.close();
    await agent?.close();
    await real?.stop();
    await ui?.remove();
  });

  it('a wedge burst paints ACCEPT, the same ticket again ALREADY USED at this gate, garbage INVALID', async () => {
    const used = await expectAcceptUsedInvalid(page, tickets[0]!);
    expect(used.text).toMatch(/at this gate \(\d\d:\d\d\)/);
  });

  it('slow human typing of a real ticket is not taken as a scan', async () => {
    const before = (await agent.status()).counters;
    await page.keyboard.type(tickets[1]!.slice(0, 20), { delay: 150 });
    await page.keyboard.press('Enter');
    await waitForWedgeIdle(page);
    // The next scan is the page's 4th: the typing sent nothing, and the agent counted nothing for it.
    await typeLikeScanner(page, 'GARBAGE-NOT-A-TICKET-5678');
    expect(await verdictAfter(page, 4)).toMatchObject({ reason: 'INVALID' });
    expect((await agent.status()).counters).toEqual({ ...before, rejected: before.rejected + 1 });
  });

  it('shows offline when the cloud goes away, and scanning goes on', async () => {
    real.link = 'down';
    await agent.syncNow();
    await page.waitForSelector('#offline-banner', { state: 'visible', timeout: 10_000 });
    await typeLikeScanner(page, tickets[2]!);
    expect(await verdictAfter(page, 5)).toMatchObject({ kind: 'accept', reason: 'OK' });
    real.link = 'up';
    await agent.syncNow();
    await page.waitForSelector('#offline-banner', { state: 'hidden', timeout: 10_000 });
  });

  it('the camera reads a real ticket from Chromium’s fake camera and paints ACCEPT', async () => {
    const video = join(ui.dir, 'ticket.y4m');
    await writeQrY4m(video, tickets[3]!);
    const camera = await launchChromium({ fakeCameraFile: video });
    try {
      await withStationPage(camera, async (cameraPage) => {
        await cameraPage.goto(agent.url);
        await cameraPage.waitForSelector('#verdict[data-kind="accept"]', {
          state: 'attached',
          timeout: 20_000,
        });
        expect(await cameraPage.getAttribute('#verdict', 'data-reason')).toBe('OK');
      });
    } finally {
      await camera.close();
    }
  });
});
