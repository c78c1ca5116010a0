/**
 * The holder's name on the verdict (issue 17), in Debian's Chromium against scripted-agent: "Name: …" on
 * a line of its own, in type a steward reads at arm's length to check an ID; a long name cut with an
 * ellipsis on one line, its full text in the title; no name line for a ticket without one or an answer
 * without a ticket; and on a phone the name stays above the fold.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchChromium } from '../test-support/browser';
import { describeInChromium } from '../test-support/chromium-suite';
import { tokenLikeCode } from '../test-support/codes';
import { typeLikeScanner } from '../test-support/scanner-keys';
import { type ScriptedAgent, type ScriptedAnswers, startScriptedAgent } from '../test-support/scripted-agent';
import { type BuiltUi, buildUiInTemp, openStation, PHONE_VIEWPORT } from '../test-support/station-page';
import { onNextVerdict, verdictAfter } from '../test-support/verdict-record';

const NAMED = tokenLikeCode(41);
const LONG = tokenLikeCode(42);
const UNNAMED = tokenLikeCode(43);
const TICKET = { serial: 1042, typeNo: 2, typeName: 'Standing', generation: 1 };
const LONG_NAME = `Maria ${'de los Santos '.repeat(6)}Zoë Ångström y Fernández-Nakamura`;

function table(): Record<string, ScriptedAnswers> {
  return {
    [NAMED]: [
      { decision: 'accept', reason: 'OK', ticket: TICKET, holderName: 'Zoë Ångström' },
      { decision: 'accept', reason: 'OK', ticket: TICKET, holderName: '李小龙' },
    ],
    [LONG]: [{ decision: 'accept', reason: 'OK', ticket: TICKET, holderName: LONG_NAME }],
    [UNNAMED]: [{ decision: 'accept', reason: 'OK', ticket: TICKET, holderName: null }],
  };
}

/** Runs in the page when the verdict shows: the name line's box, type size and whether it is cut. */
function nameLine() {
  const line = document.getElementById('verdict-holder')!;
  const style = getComputedStyle(line);
  const box = (id: string) => document.getElementById(id)!.getBoundingClientRect();
  const rect = line.getBoundingClientRect();
  return {
    text: line.textContent,
    title: line.title,
    fontPx: Number.parseFloat(style.fontSize),
    lineHeightPx: Number.parseFloat(style.lineHeight),
    height: rect.height,
    top: rect.top,
    bottom: rect.bottom,
    panelRight: document.getElementById('verdict')!.getBoundingClientRect().right,
    right: rect.right,
    cut: line.scrollWidth > line.clientWidth && style.textOverflow === 'ellipsis',
    headlineBottom: box('verdict-headline').bottom,
    ticketTop: box('verdict-ticket').top,
    viewportHeight: window.innerHeight,
  };
}

describeInChromium('the holder’s name on the verdict (issue 17)', { timeout: 60_000 }, () => {
  let ui: BuiltUi;
  let agent: ScriptedAgent;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ui = await buildUiInTemp('scanner-ui-holder-');
    agent = await startScriptedAgent({ distDir: ui.dist, table: table() });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await agent?.close();
    await ui?.remove();
  });

  beforeEach(async () => {
    agent.setTable(table());
    page = await openStation(browser, `${agent.url}/?camera=off`, { gateName: 'North Gate' });
    await page.emulateMedia({ reducedMotion: 'reduce' });
    return () => page.context().close();
  });

  it('shows "Name: …" on a line of its own, large, between the reason and the ticket line', async () => {
    const measured = await onNextVerdict(page, nameLine);
    await typeLikeScanner(page, NAMED);
    const line = await measured();
    expect(line.text).toBe('Name: Zoë Ångström');
    expect(line.title).toBe('Zoë Ångström');
    expect(line.fontPx, 'readable at arm’s length').toBeGreaterThanOrEqual(28);
    expect(line.height).toBeLessThanOrEqual(line.lineHeightPx * 1.2); // one line
    expect(line.top).toBeGreaterThanOrEqual(line.headlineBottom);
    expect(line.bottom).toBeLessThanOrEqual(line.ticketTop);
    expect(line.cut).toBe(false);
    const shown = await verdictAfter(page, 1);
    expect(shown).toMatchObject({
      kind: 'accept',
      holder: 'Name: Zoë Ångström',
      ticket: 'Standing · No. 1042',
    });
    await page.keyboard.press('Escape');
    await typeLikeScanner(page, NAMED);
    expect((await verdictAfter(page, 2)).holder).toBe('Name: 李小龙');
  });

  it('cuts a long name with an ellipsis on one line, the whole name in its title', async () => {
    const measured = await onNextVerdict(page, nameLine);
    await typeLikeScanner(page, LONG);
    const line = await measured();
    expect(line.cut).toBe(true);
    expect(line.title).toBe(LONG_NAME);
    expect(line.height).toBeLessThanOrEqual(line.lineHeightPx * 1.2);
    expect(line.right).toBeLessThanOrEqual(line.panelRight);
  });

  it('shows no name line for a ticket without a name, nor once the verdict clears', async () => {
    await typeLikeScanner(page, UNNAMED);
    const shown = await verdictAfter(page, 1);
    expect(shown.kind).toBe('accept');
    expect(shown.holder).toBe('');
    expect(shown.text).not.toContain('Name:');
    expect(await page.isVisible('#verdict-holder')).toBe(false);
    await typeLikeScanner(page, NAMED);
    await verdictAfter(page, 2);
    await page.keyboard.press('Escape');
    await page.waitForSelector('#verdict[data-kind="none"]', { state: 'attached' });
    expect(await page.textContent('#verdict-holder')).toBe('');
    expect(await page.getAttribute('#verdict-holder', 'title')).toBe('');
  });

  describe('on a 390×844 phone', () => {
    it('the name line stays above the fold', async () => {
      await page.setViewportSize(PHONE_VIEWPORT);
      const measured = await onNextVerdict(page, nameLine);
      await typeLikeScanner(page, NAMED);
      const line = await measured();
      expect(line.text).toBe('Name: Zoë Ångström');
      expect(line.bottom).toBeLessThanOrEqual(line.viewportHeight);
      expect(line.fontPx).toBeGreaterThanOrEqual(18);
    });
  });
});
