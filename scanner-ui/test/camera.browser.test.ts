/**
 * The camera path in Debian's Chromium: the fake capture device plays a Y4M frame with a ticket QR
 * (drawn at test time with the qrcode package); the page decodes it with jsQR, checks it once with the
 * (scripted) agent although the code stays in view, and paints the verdict. Also: no camera at all
 * gives a plain message, not an error.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium } from '../test-support/browser';
import { describeInChromium } from '../test-support/chromium-suite';
import { tokenLikeCode } from '../test-support/codes';
import { writeQrY4m } from '../test-support/fake-camera';
import { type ScriptedAgent, startScriptedAgent } from '../test-support/scripted-agent';
import { type BuiltUi, buildUiInTemp, withStationPage } from '../test-support/station-page';
import { verdictAfter } from '../test-support/verdict-record';

const TICKET = tokenLikeCode(42);
describeInChromium('camera scanning in Chromium (fake camera, scripted-agent)', { timeout: 60_000 }, () => {
  let ui: BuiltUi;
  let agent: ScriptedAgent;
  let camera: Browser;
  let noCamera: Browser;
  let deniedCamera: Browser;

  beforeAll(async () => {
    ui = await buildUiInTemp('scanner-ui-camera-');
    const video = join(ui.dir, 'ticket.y4m');
    await writeQrY4m(video, TICKET);
    agent = await startScriptedAgent({
      distDir: ui.dist,
      table: {
        [TICKET]: [
          {
            decision: 'accept',
            reason: 'OK',
            ticket: { serial: 77, typeNo: 1, typeName: 'Seated', generation: 1 },
          },
          { decision: 'reject', reason: 'ALREADY_USED' },
        ],
      },
    });
    camera = await launchChromium({ fakeCameraFile: video });
    noCamera = await launchChromium({ extraArgs: ['--use-fake-ui-for-media-stream'] });
    // A camera exists, but the permission prompt answers "block".
    deniedCamera = await launchChromium({
      extraArgs: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream=deny'],
    });
  });

  afterAll(async () => {
    await camera?.close();
    await noCamera?.close();
    await deniedCamera?.close();
    await agent?.close();
    await ui?.remove();
  });

  it('decodes the QR from the camera, paints ACCEPT, and does not re-check the code while it stays in view', async () => {
    await withStationPage(camera, async (page) => {
      await page.goto(agent.url);
      expect(await verdictAfter(page, 1, 20_000)).toMatchObject({
        kind: 'accept',
        ticket: 'Seated · No. 77',
      });
      expect(agent.scans[0]).toMatchObject({ code: TICKET, direction: 'in' });
      // The fake camera shows the same frame for ever: 3.5 s later it has still been checked once.
      await page.waitForTimeout(3_500);
      expect(agent.scans.map((scan) => scan.code)).toEqual([TICKET]);
      const measures = await page.evaluate(() =>
        performance.getEntriesByName('scan-to-paint').map((entry) => (entry as PerformanceMeasure).detail),
      );
      expect(measures).toEqual([expect.objectContaining({ source: 'camera' })]);
      expect(await page.locator('#camera-select option').count()).toBeGreaterThan(0);
      expect(await page.textContent('#camera-toggle')).toBe('Stop camera');
    });
  });

  it.each([
    ['no camera', () => noCamera, 'No camera found. Use a hand scanner or type the code.'],
    [
      'permission denied',
      () => deniedCamera,
      'Camera permission denied. Allow the camera for this page, or use a hand scanner.',
    ],
  ])('%s: says so in plain words and keeps the other inputs', async (_, browser, message) => {
    await withStationPage(browser(), async (page) => {
      await page.goto(agent.url);
      await expect.poll(() => page.textContent('#camera-message'), { timeout: 10_000 }).toBe(message);
      expect(await page.textContent('#camera-toggle')).toBe('Start camera');
      expect(await page.isVisible('#manual-code')).toBe(true);
    });
  });
});
