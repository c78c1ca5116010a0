/**
 * What a new steward ran into (issue 17), in Debian's Chromium against scripted-agent: the phone layout
 * shows the verdict, its reason and the ticket line without scrolling under a compact status bar; the
 * Entry/Exit choice survives a reload; a stale ticket list turns amber then red at the operator's
 * thresholds, in words; "Sync now" while offline says so; times are 24-hour "HH:mm" whatever the
 * browser's locale; the page has a favicon; a wrong-gate refusal says where to go.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchChromium } from '../test-support/browser';
import { describeInChromium } from '../test-support/chromium-suite';
import { tokenLikeCode } from '../test-support/codes';
import { typeLikeScanner } from '../test-support/scanner-keys';
import {
  DEFAULT_STATUS,
  type ScriptedAgent,
  type ScriptedAnswers,
  startScriptedAgent,
} from '../test-support/scripted-agent';
import { type BuiltUi, buildUiInTemp, openStation, PHONE_VIEWPORT } from '../test-support/station-page';
import { verdictAfter } from '../test-support/verdict-record';

const VALID = tokenLikeCode(31);
const VIP_ONLY = tokenLikeCode(32);
const VIP_ONLY_IDS = tokenLikeCode(33);
/** 22:42 UTC: 18:42 in New York (summer time), "06:42 PM" in an en-US 12-hour format. */
const USED_AT = Date.UTC(2026, 5, 1, 22, 42);
const TICKET = { serial: 1042, typeNo: 2, typeName: 'Standing', generation: 1 };

function table(): Record<string, ScriptedAnswers> {
  return {
    [VALID]: [
      { decision: 'accept', reason: 'OK', ticket: TICKET },
      {
        decision: 'reject',
        reason: 'ALREADY_USED',
        ticket: TICKET,
        alreadyUsed: { at: USED_AT, gateId: 'gate-east', gateName: 'East Gate' },
      },
    ],
    [VIP_ONLY]: [
      {
        decision: 'reject',
        reason: 'WRONG_GATE',
        ticket: TICKET,
        allowedGates: [{ id: 'g-vip', name: 'VIP' }],
      },
    ],
    [VIP_ONLY_IDS]: [
      {
        decision: 'reject',
        reason: 'WRONG_GATE',
        ticket: TICKET,
        allowedGates: ['0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b'],
      },
    ],
  };
}

/** A list `seconds` old (the status's one event). */
function listAged(seconds: number) {
  return { events: [{ ...DEFAULT_STATUS.events[0]!, manifestAgeSeconds: seconds }] };
}

/** Runs in the page: where the status bar and the verdict's parts are, and how many lines the reason takes. */
function phoneLayout() {
  const box = (selector: string) => {
    const rect = document.querySelector(selector)!.getBoundingClientRect();
    return { top: rect.top, bottom: rect.bottom, left: rect.left, right: rect.right, height: rect.height };
  };
  const panel = document.getElementById('verdict')!;
  const style = getComputedStyle(panel);
  const icon = [...panel.querySelectorAll('.verdict-icon svg')].find(
    (svg) => getComputedStyle(svg).display !== 'none',
  )!;
  const iconRect = icon.getBoundingClientRect();
  const detail = document.getElementById('verdict-detail')!;
  return {
    viewport: { width: window.innerWidth, height: window.innerHeight },
    scrollHeight: document.scrollingElement!.scrollHeight,
    header: box('.status-bar'),
    parts: Object.fromEntries(
      ['#verdict-title', '#verdict-headline', '#verdict-detail', '#verdict-ticket'].map((s) => [s, box(s)]),
    ),
    // The panel's inside, within its (striped) border.
    inside: {
      top: panel.getBoundingClientRect().top + Number.parseFloat(style.borderTopWidth),
      left: panel.getBoundingClientRect().left + Number.parseFloat(style.borderLeftWidth),
      right: panel.getBoundingClientRect().right - Number.parseFloat(style.borderRightWidth),
    },
    icon: { top: iconRect.top, left: iconRect.left, right: iconRect.right },
    detailLines: Math.round(
      detail.getBoundingClientRect().height / Number.parseFloat(getComputedStyle(detail).lineHeight),
    ),
  };
}

describeInChromium('a steward’s first shift (issue 17)', { timeout: 60_000 }, () => {
  let ui: BuiltUi;
  let agent: ScriptedAgent;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    ui = await buildUiInTemp('scanner-ui-steward-');
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
    // setStatus merges: what an earlier test added is cleared (undefined is left out of the JSON).
    agent.setStatus({ ...structuredClone(DEFAULT_STATUS), manifestThresholds: undefined, peers: undefined });
    agent.scans.length = 0;
    page = await openStation(browser, `${agent.url}/?camera=off`, { gateName: 'North Gate' });
    return () => page.context().close();
  });

  it('on a 390×844 phone: a compact status bar, and ACCEPT / REJECT with reason and ticket line above the fold', async () => {
    // The busiest status bar a phone can get: offline, peers, a stale list, scans waiting.
    agent.setStatus({
      online: false,
      pendingUploads: 37,
      peers: { listed: 3, reachable: 2 },
      ...listAged(1_500),
    });
    await page.setViewportSize(PHONE_VIEWPORT);
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await page.waitForSelector('#chip-manifest[data-age="stale"]', { timeout: 15_000 });
    for (const [seq, kind] of [
      [1, 'accept'],
      [2, 'reject'],
    ] as const) {
      await typeLikeScanner(page, VALID);
      expect(await verdictAfter(page, seq)).toMatchObject({ kind, ticket: 'Standing · No. 1042' });
      await page.waitForSelector(`#verdict[data-kind="${kind}"][data-seq="${seq}"]`, { state: 'attached' });
      const layout = await page.evaluate(phoneLayout);
      expect(layout.header.height, 'status bar height').toBeLessThanOrEqual(200);
      expect(layout.scrollHeight, 'the page does not scroll').toBeLessThanOrEqual(layout.viewport.height);
      for (const [selector, part] of Object.entries(layout.parts)) {
        if (selector === '#verdict-detail' && kind === 'accept') continue; // an entry's ACCEPT has no detail
        expect(part.height, selector).toBeGreaterThan(0);
        expect(part.top, `${selector} under the status bar`).toBeGreaterThanOrEqual(layout.header.bottom);
        expect(part.bottom, `${selector} above the fold`).toBeLessThanOrEqual(layout.viewport.height);
      }
      // The icon stays clear of the REJECT stripes (it overlapped them), and the reason reads in two lines.
      expect(layout.icon.top).toBeGreaterThanOrEqual(layout.inside.top);
      expect(layout.icon.left).toBeGreaterThanOrEqual(layout.inside.left);
      expect(layout.icon.right).toBeLessThanOrEqual(layout.inside.right);
      if (kind === 'reject') expect(layout.detailLines).toBeLessThanOrEqual(2);
      await page.keyboard.press('Escape');
    }
  });

  it('Entry/Exit: the steward’s choice survives a reload, and Exit marks the whole screen', async () => {
    await page.click('label[for="direction-out"]');
    expect(await page.getAttribute('html', 'data-direction')).toBe('out');
    await page.reload();
    await page.waitForFunction(() => document.getElementById('gate-name')?.textContent === 'North Gate');
    expect(await page.isChecked('#direction-out')).toBe(true);
    expect(await page.textContent('#mode-hint')).toBe('EXIT: recording people leaving');
    expect(await page.getAttribute('html', 'data-direction')).toBe('out');
    expect(await page.$eval('.status-bar', (bar) => getComputedStyle(bar).borderBottomColor)).toBe(
      'rgb(252, 211, 77)',
    );
    await typeLikeScanner(page, VALID);
    expect(await verdictAfter(page, 1)).toMatchObject({ kind: 'accept', headline: 'Exit recorded' });
    expect(agent.scans).toEqual([expect.objectContaining({ code: VALID, direction: 'out' })]);
    // And back: Entry is remembered the same way.
    await page.click('label[for="direction-in"]');
    await page.reload();
    await page.waitForFunction(() => document.getElementById('gate-name')?.textContent === 'North Gate');
    expect(await page.isChecked('#direction-in')).toBe(true);
    expect(await page.getAttribute('html', 'data-direction')).toBe('in');
  });

  describe('the ticket list’s age', () => {
    /** Waits for the chip to say `text` (the page polls every 2 s), then reads it. */
    const chipSays = async (text: string) => {
      await page.waitForFunction(
        (words) => document.querySelector('#chip-manifest .chip-text')?.textContent === words,
        text,
        { timeout: 15_000 },
      );
      return chip();
    };
    const chip = async () => ({
      age: await page.getAttribute('#chip-manifest', 'data-age'),
      tone: await page.getAttribute('#chip-manifest', 'data-tone'),
      text: (await page.textContent('#chip-manifest'))?.replace(/\s+/g, ' ').trim(),
    });

    it('turns amber, then red, at the thresholds the agent gives, in words', async () => {
      agent.setStatus({
        manifestThresholds: { staleAfterMinutes: 5, veryStaleAfterMinutes: 15 },
        ...listAged(240),
      });
      expect(await chipSays('4 min old')).toEqual({
        age: 'fresh',
        tone: 'ok',
        text: 'Ticket list 4 min old',
      });
      agent.setStatus(listAged(6 * 60));
      expect(await chipSays('6 min old — sync failing')).toEqual({
        age: 'stale',
        tone: 'warn',
        text: 'Ticket list 6 min old — sync failing',
      });
      agent.setStatus(listAged(20 * 60));
      expect(await chipSays('20 min old — sync failing, call a supervisor')).toMatchObject({
        age: 'very-stale',
        tone: 'bad',
      });
    });

    it('without thresholds from the agent: amber from 10 min, red from 30', async () => {
      agent.setStatus(listAged(9 * 60));
      expect(await chipSays('9 min old')).toMatchObject({ age: 'fresh', tone: 'ok' });
      agent.setStatus(listAged(25 * 60));
      expect(await chipSays('25 min old — sync failing')).toMatchObject({ age: 'stale', tone: 'warn' });
      agent.setStatus(listAged(30 * 60));
      expect(await chipSays('30 min old — sync failing, call a supervisor')).toMatchObject({
        age: 'very-stale',
        tone: 'bad',
      });
    });
  });

  it('"Sync now" while offline says the cloud is unreachable and that scanning goes on, with the list’s time', async () => {
    agent.setStatus({ online: false, ...listAged(18 * 60) });
    await page.waitForSelector('#chip-connection[data-online="no"]', { timeout: 15_000 });
    expect(await page.isHidden('#sync-result')).toBe(true);
    const before = Date.now();
    await page.click('#sync-now');
    await page.waitForSelector('#sync-result:not([hidden])', { timeout: 15_000 });
    const said = await page.textContent('#sync-result');
    expect(said).toMatch(/^Cloud unreachable — still scanning offline with the list from \d\d:\d\d$/);
    // The list's time is its age back from now (the page's clock, within the click's few seconds).
    const listFrom = (before - 18 * 60_000) / 60_000;
    const [hours, minutes] = said!.slice(-5).split(':').map(Number);
    const shownMinutes = hours! * 60 + minutes!;
    const expected = [Math.floor(listFrom), Math.floor(listFrom) + 1].map((m) => {
      const local = new Date(m * 60_000);
      return local.getHours() * 60 + local.getMinutes();
    });
    expect(expected).toContain(shownMinutes);
    expect(await page.getAttribute('#sync-result', 'data-tone')).toBe('warn');
    // Online again, the same button says the list is current.
    agent.setStatus({ online: true });
    await page.click('#sync-now');
    await page.waitForFunction(() =>
      /^Ticket list synced at \d\d:\d\d$/.test(document.getElementById('sync-result')!.textContent ?? ''),
    );
  });

  it('times are 24-hour "HH:mm" in the device’s zone, even in a 12-hour locale', async () => {
    const context = await browser.newContext({ locale: 'en-US', timezoneId: 'America/New_York' });
    try {
      const us = await context.newPage();
      await us.goto(`${agent.url}/?camera=off`);
      await us.waitForFunction(() => document.getElementById('gate-name')?.textContent === 'North Gate');
      await typeLikeScanner(us, VALID);
      await us.waitForSelector('#verdict[data-kind="accept"]');
      await typeLikeScanner(us, VALID);
      await us.waitForSelector('#verdict[data-reason="ALREADY_USED"]');
      expect(await us.textContent('#verdict-detail')).toMatch(/ at East Gate \(18:42\)$/);
    } finally {
      await context.close();
    }
  });

  it('has a favicon: an inline SVG the page can draw (no request for /favicon.ico)', async () => {
    const href = await page.getAttribute('link[rel="icon"]', 'href');
    expect(href).toMatch(/^data:image\/svg\+xml,/);
    const size = await page.evaluate(
      (url) =>
        new Promise<number[]>((resolve, reject) => {
          const image = new Image();
          image.onload = () => resolve([image.naturalWidth, image.naturalHeight]);
          image.onerror = () => reject(new Error('the favicon is not an image'));
          image.src = url;
        }),
      href!,
    );
    expect(size[0]).toBeGreaterThan(0);
    expect(size[1]).toBeGreaterThan(0);
    expect(agent.requests.filter((request) => request.includes('favicon'))).toEqual([]);
  });

  it('a wrong-gate refusal says which gate when the agent names it, and to use another entrance when it cannot', async () => {
    await typeLikeScanner(page, VIP_ONLY);
    expect(await verdictAfter(page, 1)).toMatchObject({ reason: 'WRONG_GATE', detail: 'Use gate VIP' });
    await typeLikeScanner(page, VIP_ONLY_IDS);
    expect(await verdictAfter(page, 2)).toMatchObject({
      reason: 'WRONG_GATE',
      detail: 'Not this gate — use another entrance (gate list syncing)',
    });
  });
});
