/**
 * The UI as Electron loads it: from file:// (no HTTP server), talking to the agent through
 * `window.gateAgent` — here a scripted stand-in injected before the page's scripts, as the preload's
 * contextBridge would. Also proves the camera still decodes there (Chromium refuses workers to
 * file:// pages; the page then decodes inline).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium } from '../test-support/browser';
import { describeInChromium } from '../test-support/chromium-suite';
import { tokenLikeCode } from '../test-support/codes';
import { writeQrY4m } from '../test-support/fake-camera';
import { typeLikeScanner } from '../test-support/scanner-keys';
import { DEFAULT_STATUS } from '../test-support/scripted-agent';
import { type BuiltUi, buildUiInTemp, waitForGate, withStationPage } from '../test-support/station-page';
import { verdictAfter } from '../test-support/verdict-record';

const TICKET = tokenLikeCode(9);

/** Installs a scripted `window.gateAgent` (the shape of the Electron preload bridge). */
async function installBridge(page: Page, ticket: string): Promise<void> {
  await page.addInitScript(
    ({ code, status }) => {
      const calls: string[] = [];
      let used = false;
      Object.assign(window, {
        bridgeCalls: calls,
        gateAgent: {
          async scan(scanned: string, direction: 'in' | 'out') {
            calls.push(`scan:${direction}`);
            if (scanned !== code)
              return { decision: 'reject', reason: 'INVALID', scannedAt: Date.now(), latencyMs: 0.1 };
            const first = !used;
            used = true;
            return first
              ? {
                  decision: 'accept',
                  reason: 'OK',
                  ticket: { serial: 3, typeNo: 1, typeName: 'Balcony', generation: 1 },
                  scannedAt: Date.now(),
                  latencyMs: 0.1,
                }
              : {
                  decision: 'reject',
                  reason: 'ALREADY_USED',
                  alreadyUsed: { at: Date.now(), gateId: 'g', gateName: 'South Gate' },
                  scannedAt: Date.now(),
                  latencyMs: 0.1,
                };
          },
          async status() {
            calls.push('status');
            return { ...status, gate: { id: 'g-s', name: 'South Gate' } };
          },
          async sync() {
            calls.push('sync');
            return status;
          },
        },
      });
    },
    { code: ticket, status: DEFAULT_STATUS },
  );
}

describeInChromium('the UI from file:// with the Electron bridge', { timeout: 60_000 }, () => {
  let ui: BuiltUi;
  let indexUrl: string;
  let browser: Browser;
  let cameraBrowser: Browser;

  beforeAll(async () => {
    ui = await buildUiInTemp('scanner-ui-file-');
    indexUrl = pathToFileURL(join(ui.dist, 'index.html')).href;
    const video = join(ui.dir, 'ticket.y4m');
    await writeQrY4m(video, TICKET);
    browser = await launchChromium();
    cameraBrowser = await launchChromium({ fakeCameraFile: video });
  });

  afterAll(async () => {
    await browser?.close();
    await cameraBrowser?.close();
    await ui?.remove();
  });

  it('scans through the bridge: ACCEPT, then ALREADY USED; status comes from the bridge too', async () => {
    await withStationPage(browser, async (page) => {
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      await installBridge(page, TICKET);
      await page.goto(`${indexUrl}?camera=off`);
      await waitForGate(page, 'South Gate');
      await typeLikeScanner(page, TICKET);
      expect(await verdictAfter(page, 1)).toMatchObject({ kind: 'accept', ticket: 'Balcony · No. 3' });
      await typeLikeScanner(page, TICKET);
      const used = await verdictAfter(page, 2);
      expect(used.reason).toBe('ALREADY_USED');
      expect(used.detail).toContain('South Gate');
      const calls = await page.evaluate(() => (window as unknown as { bridgeCalls: string[] }).bridgeCalls);
      expect(calls.filter((call) => call.startsWith('scan'))).toEqual(['scan:in', 'scan:in']);
      expect(calls).toContain('status');
      expect(requests.every((url) => url.startsWith('file://') || url.startsWith('data:'))).toBe(true);
    });
  });

  it('decodes the camera from file:// too', async () => {
    await withStationPage(cameraBrowser, async (page) => {
      await installBridge(page, TICKET);
      await page.goto(indexUrl);
      await page.waitForSelector('#verdict[data-kind="accept"]', { timeout: 20_000 });
    });
  });
});
