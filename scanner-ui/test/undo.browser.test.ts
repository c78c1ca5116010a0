/**
 * Undo at the station (issue 17), in Chromium against the REAL gate agent's local API (the real scan
 * pipeline and undo over a real SQLite store with a manifest of real signed tickets; gate-agent's own
 * test harness, its clock moved by the test). After an ACCEPT the Undo bar offers the admission; Undo
 * asks first (Keep goes back; the confirming button is not where Undo was), reachable by keyboard; the
 * undo is shown in words and the same ticket is admitted again; a refusal (the gate's 5 minutes passed)
 * is shown in words; a second scan of the ticket withdraws the offer; on a 390×844 phone the bar fits
 * without pushing the verdict below the fold. `UNDO_SCREENSHOTS=docs/screenshots` writes
 * scanner-undo.png (kiosk) and scanner-phone-undo.png there.
 */
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { type LocalAppHarness, localAppHarness } from '../../gate-agent/test-support/local-app';
import { UNDO_WINDOW_MS } from '../../shared/admission/undo';
import { launchChromium } from '../test-support/browser';
import { describeInChromium } from '../test-support/chromium-suite';
import { typeLikeScanner } from '../test-support/scanner-keys';
import { type BuiltUi, buildUiInTemp, openStation, PHONE_VIEWPORT } from '../test-support/station-page';
import { onNextVerdict, verdictAfter } from '../test-support/verdict-record';

/** Where the screenshots go: `UNDO_SCREENSHOTS=docs/screenshots` refreshes the committed ones. */
const SCREENSHOTS = process.env['UNDO_SCREENSHOTS'] ?? tmpdir();

/** What the Undo bar shows now. */
function undoBar(page: Page) {
  return page.evaluate(() => {
    const bar = document.getElementById('undo')!;
    const visible = (id: string) => !(document.getElementById(id) as HTMLButtonElement).hidden;
    return {
      state: bar.dataset['state'],
      hidden: bar.hidden,
      text: document.getElementById('undo-text')!.textContent,
      start: visible('undo-start'),
      keep: visible('undo-keep'),
      confirm: visible('undo-confirm'),
      focused: document.activeElement?.id ?? null,
    };
  });
}

describeInChromium('Undo at the station, against the real gate agent', { timeout: 120_000 }, () => {
  let ui: BuiltUi;
  let harness: LocalAppHarness;
  let server: ReturnType<typeof serve>;
  let url: string;
  let browser: Browser;
  let page: Page | undefined;
  let now = 0;

  beforeAll(async () => {
    ui = await buildUiInTemp('scanner-ui-undo-');
    harness = await localAppHarness({ uiDir: ui.dist, clock: () => now });
    now = harness.fixture.cloudTime;
    server = serve({ fetch: harness.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/?camera=off`;
    browser = await launchChromium();
  });

  afterEach(async () => {
    await page?.context().close();
    page = undefined;
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    harness?.temp.cleanup();
    await ui?.remove();
  });

  const ticket = (serial: number) => harness.fixture.tokens.get(serial)!;

  it('Undo → Keep → Undo → Yes (by keyboard): entry undone in words, and the ticket is admitted again', async () => {
    page = await openStation(browser, url, { gateName: 'South' });
    expect((await undoBar(page)).hidden).toBe(true);
    await typeLikeScanner(page, ticket(1));
    expect(await verdictAfter(page, 1)).toMatchObject({ kind: 'accept', reason: 'OK' });
    await page.waitForSelector('#undo[data-state="offered"]');
    expect(await undoBar(page)).toMatchObject({
      text: 'Admitted: General · No. 1',
      start: true,
      confirm: false,
    });
    expect(await page.textContent('#undo-start')).toBe('Undo entry');

    // Keyboard: focus reaches Undo; Enter asks, with focus on Keep — where Undo was.
    await page.focus('#undo-start');
    const undoBox = await page.locator('#undo-start').boundingBox();
    await page.keyboard.press('Enter');
    await page.waitForSelector('#undo[data-state="confirming"]');
    expect(await undoBar(page)).toMatchObject({
      text: 'Undo this entry of General · No. 1?',
      start: false,
      keep: true,
      confirm: true,
      focused: 'undo-keep',
    });
    const confirmBox = await page.locator('#undo-confirm').boundingBox();
    const overlaps =
      confirmBox!.x < undoBox!.x + undoBox!.width && undoBox!.x < confirmBox!.x + confirmBox!.width;
    expect(overlaps, 'the confirming button is not where Undo was').toBe(false);
    await page.keyboard.press('Enter'); // Keep
    await page.waitForSelector('#undo[data-state="offered"]');
    expect(harness.temp.store.counters).toMatchObject({ admitted: 1, undone: 0 });

    await page.click('#undo-start');
    await page.waitForSelector('#undo[data-state="confirming"]');
    await page.focus('#undo-confirm');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#undo[data-outcome="undone"]');
    expect((await undoBar(page)).text).toBe('Entry undone — scan the ticket again to admit');
    expect(await page.getAttribute('#verdict', 'data-kind')).toBe('none');
    expect(harness.temp.store.counters).toMatchObject({ admitted: 0, undone: 1 });
    // The admitted count on the status bar follows.
    await page.waitForFunction(() => document.getElementById('count-accepted')?.textContent === '0');

    now += 1_000;
    await typeLikeScanner(page, ticket(1));
    expect(await verdictAfter(page, 2)).toMatchObject({ kind: 'accept', reason: 'OK' });
    await page.waitForSelector('#undo[data-state="offered"]');
  });

  it('a refusal in words: the gate’s 5 minutes have passed', async () => {
    page = await openStation(browser, url, { gateName: 'South' });
    await typeLikeScanner(page, ticket(2));
    expect(await verdictAfter(page, 1)).toMatchObject({ kind: 'accept' });
    // The gate's clock (the one the rule goes by) moves past the window; the page's has not.
    now += UNDO_WINDOW_MS + 1_000;
    const { undone } = harness.temp.store.counters;
    await page.click('#undo-start');
    await page.click('#undo-confirm');
    await page.waitForSelector('#undo[data-outcome="refused"]');
    expect((await undoBar(page)).text).toBe('Too late to undo: more than 5 minutes have passed');
    expect(harness.temp.store.counters.undone, 'nothing undone').toBe(undone);
  });

  it('another scan of the same ticket withdraws the offer; a scan of another ticket does not', async () => {
    page = await openStation(browser, url, { gateName: 'South' });
    await typeLikeScanner(page, ticket(3));
    expect(await verdictAfter(page, 1)).toMatchObject({ kind: 'accept' });
    await page.waitForSelector('#undo[data-state="offered"]');
    await typeLikeScanner(page, 'GARBAGE-NOT-A-TICKET-1234');
    expect(await verdictAfter(page, 2)).toMatchObject({ reason: 'INVALID' });
    expect((await undoBar(page)).state).toBe('offered');
    now += 1_000;
    await typeLikeScanner(page, ticket(3));
    expect(await verdictAfter(page, 3)).toMatchObject({ reason: 'ALREADY_USED' });
    await page.waitForSelector('#undo', { state: 'hidden' });
  });

  it('on a 390×844 phone: the bar and the whole verdict fit above the fold; screenshots', async () => {
    page = await openStation(browser, url, { gateName: 'South' });
    await page.setViewportSize(PHONE_VIEWPORT);
    await page.emulateMedia({ reducedMotion: 'reduce' });
    const layout = await onNextVerdict(page, () => {
      const box = (selector: string) => {
        const rect = document.querySelector(selector)!.getBoundingClientRect();
        return { top: rect.top, bottom: rect.bottom, height: rect.height };
      };
      return {
        viewport: window.innerHeight,
        scrollHeight: document.scrollingElement!.scrollHeight,
        bar: box('#undo'),
        start: box('#undo-start'),
        parts: ['#verdict-title', '#verdict-headline', '#verdict-ticket'].map((s) => ({ s, ...box(s) })),
      };
    });
    await typeLikeScanner(page, ticket(4));
    const shown = await layout();
    expect(shown.bar.height).toBeGreaterThan(0);
    expect(shown.start.bottom).toBeLessThanOrEqual(shown.bar.bottom);
    expect(shown.scrollHeight, 'the page does not scroll').toBeLessThanOrEqual(shown.viewport);
    for (const part of shown.parts) {
      expect(part.height, part.s).toBeGreaterThan(0);
      expect(part.top, `${part.s} under the Undo bar`).toBeGreaterThanOrEqual(shown.bar.bottom);
      expect(part.bottom, `${part.s} above the fold`).toBeLessThanOrEqual(shown.viewport);
    }
    await page.click('#undo-start');
    await page.waitForSelector('#undo[data-state="confirming"]');
    await page.screenshot({ path: join(SCREENSHOTS, 'scanner-phone-undo.png') });

    // The kiosk: an ACCEPT with its Undo offered, then the question.
    await page.setViewportSize({ width: 1024, height: 600 });
    await page.keyboard.press('Escape');
    now += 1_000;
    await typeLikeScanner(page, ticket(5));
    await page.waitForSelector('#verdict[data-kind="accept"]');
    await page.click('#undo-start');
    await page.waitForSelector('#undo[data-state="confirming"]');
    await page.screenshot({ path: join(SCREENSHOTS, 'scanner-undo.png') });
  });
});
