/**
 * Rotating codes at the scanner (issue 20), in Debian's Chromium against a real gate agent whose data
 * directory holds a manifest with sealed holder keys and whose clock offset was never measured: the
 * status bar shows the amber "Clock unsure — rotating codes ±2 min" chip; a 122-character code typed by
 * the scanner wedge is decided at once (the wedge knows its shape) — a fresh one ACCEPT, one from ten
 * minutes ago (a screenshot) the CODE_EXPIRED screen with what the steward says next.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type GateAgent, startGateAgent } from '../../gate-agent/agent';
import { HolderDevice, type HolderTicket } from '../../gate-agent/test-support/holder-device';
import { prepareHolderGateDir } from '../../gate-agent/test-support/holder-gate';
import { ManifestFixture } from '../../gate-agent/test-support/manifest-fixture';
import { launchChromium } from '../test-support/browser';
import { describeInChromium } from '../test-support/chromium-suite';
import { typeLikeScanner } from '../test-support/scanner-keys';
import { type BuiltUi, buildUiInTemp, openStation } from '../test-support/station-page';
import { onNextVerdict, verdictAfter } from '../test-support/verdict-record';

describeInChromium('rotating codes at the scanner (issue 20)', { timeout: 120_000 }, () => {
  let ui: BuiltUi;
  let agent: GateAgent;
  let browser: Browser;
  let page: Page;
  const phone = new HolderDevice('ES256');
  let ticket: HolderTicket;
  let other: HolderTicket;

  beforeAll(async () => {
    ui = await buildUiInTemp('scanner-holder-code-');
    const now = Date.now();
    const fixture = new ManifestFixture({ now });
    for (let serial = 1; serial <= 3; serial++) fixture.issue(serial);
    ticket = fixture.bindHolder(1, phone);
    other = fixture.bindHolder(2, phone);
    const dataDir = join(ui.dir, 'gate');
    await prepareHolderGateDir(dataDir, fixture, { now, measured: false, gateName: 'North' });
    agent = await startGateAgent({ dataDir, port: 0, uiDir: ui.dist, logger: pino({ level: 'silent' }) });
    browser = await launchChromium();
    page = await openStation(browser, `${agent.url}/?camera=off`, { gateName: 'North' });
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await page.keyboard.press('Shift'); // warm up the input path (see scanner.browser.test.ts)
  });

  afterAll(async () => {
    await browser?.close();
    await agent?.close();
    await ui?.remove();
  });

  it('shows the amber clock chip while the agent widens the window', async () => {
    expect((await agent.status()).clock).toEqual({
      offsetMs: null,
      state: 'unknown',
      holderCodeWindowSeconds: 120,
    });
    const chip = page.locator('#chip-clock');
    await chip.waitFor({ state: 'visible' });
    expect(await chip.getAttribute('data-tone')).toBe('warn');
    expect(await chip.locator('.chip-text').textContent()).toBe('Clock unsure — rotating codes ±2 min');
  });

  it('accepts a fresh code from the wedge, and shows CODE_EXPIRED for a screenshot', async () => {
    await typeLikeScanner(page, phone.code(ticket, Date.now()));
    expect(await verdictAfter(page, 1)).toMatchObject({ kind: 'accept', reason: 'OK' });

    // Hold the verdict on screen for the screenshot (it clears itself after 2.5 s).
    const held = await onNextVerdict(page, () => {
      const panel = document.getElementById('verdict')!;
      const shown = { kind: panel.dataset['kind'], html: panel.innerHTML };
      new MutationObserver(() => {
        if (panel.dataset['kind'] !== 'none') return;
        panel.innerHTML = shown.html;
        panel.dataset['kind'] = shown.kind;
      }).observe(panel, { attributes: true, attributeFilter: ['data-kind'] });
      return true;
    });
    await typeLikeScanner(page, phone.code(other, Date.now() - 10 * 60_000));
    expect(await verdictAfter(page, 2)).toMatchObject({
      kind: 'reject',
      reason: 'CODE_EXPIRED',
      title: 'REJECT',
      headline: 'Code expired',
      detail: 'Old code (screenshot?) — open the ticket in the wallet now',
    });
    await held();
    // SCANNER_SHOT_DIR keeps the picture for a look; by default it goes with the temp folder.
    const shots = process.env['SCANNER_SHOT_DIR'] ?? ui.dir;
    await page.screenshot({ path: join(shots, 'scanner-code-expired.png') });
  });
});
