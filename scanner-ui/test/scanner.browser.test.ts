/**
 * The built scanner UI in Debian's Chromium against scripted-agent (a stand-in that answers from a
 * table; the real agent's own end-to-end tests live with gate-agent). Proves the wedge, the verdict
 * screen, the status bar, keyboard use, contrast and that the page talks to nobody but its agent.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { VERDICT_MS } from '../src/verdict-view';
import { WedgeDetector } from '../src/wedge';
import { launchChromium } from '../test-support/browser';
import { describeInChromium } from '../test-support/chromium-suite';
import { tokenLikeCode } from '../test-support/codes';
import { serveFramingPage } from '../test-support/framing-page';
import { typeLikeScanner } from '../test-support/scanner-keys';
import { DEFAULT_STATUS, type ScriptedAgent, startScriptedAgent } from '../test-support/scripted-agent';
import {
  type BuiltUi,
  buildUiInTemp,
  KIOSK_VIEWPORT,
  openStation,
  waitForGate,
  waitForWedgeIdle,
} from '../test-support/station-page';
import { onNextVerdict, panelKind, verdictAfter } from '../test-support/verdict-record';

const VALID = tokenLikeCode(1);
const OTHER_GATE = tokenLikeCode(2);
const UNSYNCED = tokenLikeCode(3);
const USED_AT = Date.UTC(2026, 5, 1, 18, 42);

function table() {
  return {
    [VALID]: [
      {
        decision: 'accept' as const,
        reason: 'OK' as const,
        ticket: { serial: 1042, typeNo: 2, typeName: 'Standing', generation: 1 },
      },
      {
        decision: 'reject' as const,
        reason: 'ALREADY_USED' as const,
        ticket: { serial: 1042, typeNo: 2, typeName: 'Standing', generation: 1 },
        alreadyUsed: { at: USED_AT, gateId: 'gate-east', gateName: 'East Gate' },
      },
      {
        decision: 'reject' as const,
        reason: 'ALREADY_USED' as const,
        ticket: { serial: 1042, typeNo: 2, typeName: 'Standing', generation: 1 },
        alreadyUsed: { at: USED_AT, gateId: DEFAULT_STATUS.gate.id, gateName: DEFAULT_STATUS.gate.name },
      },
    ],
    [OTHER_GATE]: [
      {
        decision: 'reject' as const,
        reason: 'WRONG_GATE' as const,
        ticket: { serial: 7, typeNo: 3, typeName: 'VIP', generation: 1 },
        allowedGates: [{ id: 'gate-vip', name: 'VIP Door' }],
      },
    ],
    [UNSYNCED]: [
      {
        decision: 'accept' as const,
        reason: 'OK_UNSYNCED' as const,
        ticket: { serial: 5001, typeNo: 2, typeName: 'Standing', generation: 1 },
      },
    ],
  };
}

/** What the page's wedge took in, in the order it did: keydowns, and the moments its idle timer ended a burst. */
type WedgeLogEntry = ['key', string, number, boolean] | ['flush', number];

/**
 * The codes the wedge detector makes of what the page took in: what the page must have sent. One
 * detector across a test's attempts, as the page has (it remembers that the scanner sends Enter).
 */
function replayWedge(log: readonly WedgeLogEntry[], detector: WedgeDetector): string[] {
  const codes: string[] = [];
  for (const entry of log) {
    const step = entry[0] === 'key' ? detector.feed(entry[1], entry[2], entry[3]) : detector.flush(entry[1]);
    if (step.code !== undefined) codes.push(step.code);
  }
  return codes;
}

/** Runs in the page: the contrast ratio of each visible text against its background (WCAG 2 formula). */
function contrastRatios(): Record<string, number> {
  const parse = (css: string) => (css.match(/[\d.]+/g) ?? []).slice(0, 4).map(Number);
  const lum = ([r, g, b]: number[]) => {
    const lin = (c: number) => {
      const s = c / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(b!);
  };
  const background = (element: Element | null): number[] => {
    for (let node = element; node; node = node.parentElement) {
      const rgba = parse(getComputedStyle(node).backgroundColor);
      if (rgba.length === 3 || (rgba[3] ?? 0) > 0) return rgba;
    }
    return parse(getComputedStyle(document.documentElement).backgroundColor);
  };
  const out: Record<string, number> = {};
  const selectors = [
    '#verdict-title',
    '#verdict-headline',
    '#verdict-detail',
    '#verdict-ticket',
    '.gate',
    '.event',
    '#chip-connection .chip-text',
    '#chip-peers .chip-text',
    '#chip-peers .chip-label',
    '#chip-manifest .chip-text',
    '#chip-pending .chip-text',
    '.chip-label',
    '#count-accepted',
    '#offline-banner',
    '#ready-title',
    '#mode-hint',
    '.direction label',
    '.tool',
  ];
  for (const selector of selectors) {
    const element = document.querySelector(selector);
    if (!element || !(element.textContent ?? '').trim()) continue;
    const l1 = lum(parse(getComputedStyle(element).color));
    const l2 = lum(background(element));
    out[selector] = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
  }
  return out;
}

/** Runs in the page: the elements that stick out of the screen sideways. */
function elementsSticking(): string[] {
  return [...document.querySelectorAll('header *, main *')]
    .filter((element) => {
      const box = element.getBoundingClientRect();
      return box.width > 0 && (box.right > window.innerWidth + 1 || box.left < -1);
    })
    .map((element) => element.id || element.className || element.tagName);
}

describeInChromium('scanner UI in Chromium (scripted-agent)', { timeout: 60_000 }, () => {
  let ui: BuiltUi;
  let agent: ScriptedAgent;
  let browser: Browser;
  let page: Page;
  const requested: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    ui = await buildUiInTemp('scanner-ui-');
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
    agent.setStatus(structuredClone(DEFAULT_STATUS));
    agent.scans.length = 0;
    page = await openStation(browser, `${agent.url}/?camera=off`, {
      gateName: 'North Gate',
      prepare(fresh) {
        fresh.on('request', (request) => requested.push(request.url()));
        fresh.on('console', (message) => {
          if (message.type() === 'error') consoleErrors.push(message.text());
        });
      },
    });
    // The first key event of a fresh page is delivered late by the DevTools protocol; a modifier
    // (which the wedge ignores) warms the input path up.
    await page.keyboard.press('Shift');
    return () => page.context().close();
  });

  /** The verdict of the page's scan number `seq`, as shown; on timeout, also says what the agent got. */
  async function shown(seq: number) {
    try {
      return await verdictAfter(page, seq);
    } catch (error) {
      const got = JSON.stringify(agent.scans.map((scan) => scan.code));
      throw new Error(`${(error as Error).message}; the agent got ${got}`, { cause: error });
    }
  }

  async function scanWithWedge(code: string, enter = true) {
    await typeLikeScanner(page, code, { gapMs: 5, suffix: enter ? 'Enter' : 'none' });
  }

  it('a #scan= link only fills the manual field: nothing is sent until a person presses Check', async () => {
    const link = `${agent.url}/?camera=off#scan=${encodeURIComponent(VALID)}`;
    await page.goto(link);
    await waitForGate(page, 'North Gate');
    expect(await page.inputValue('#manual-code')).toBe(VALID);
    expect(await page.isVisible('#manual-hint')).toBe(true);
    expect(new URL(page.url()).hash).toBe('');
    // The keyboard stays with the hand scanner: the field is filled, not focused.
    expect(await page.evaluate(() => document.activeElement?.id ?? '')).not.toBe('manual-code');
    // The page polls its status meanwhile (2 s): it has been running, and it sent no scan.
    const statusPolls = () => agent.requests.filter((r) => r === 'GET /api/status').length;
    const polled = statusPolls();
    await expect.poll(statusPolls, { timeout: 10_000 }).toBeGreaterThan(polled);
    expect(agent.scans).toEqual([]);
    expect(await panelKind(page)).toBe('none');
    // A hardware scan meanwhile is decided on its own; the link's code waits in the field.
    await scanWithWedge(OTHER_GATE);
    expect(await shown(1)).toMatchObject({ reason: 'WRONG_GATE' });
    expect(await page.inputValue('#manual-code')).toBe(VALID);
    // A person presses Check: now it is decided.
    await page.click('#manual-form button[type="submit"]');
    expect(await shown(2)).toMatchObject({ kind: 'accept' });
    expect(agent.scans.map((scan) => scan.code)).toEqual([OTHER_GATE, VALID]);
    expect(await page.isVisible('#manual-hint')).toBe(false);
    expect(await page.inputValue('#manual-code')).toBe('');
    // A later link (hashchange) fills the field again, and again waits for a person (Enter in the field).
    await page.evaluate((code) => {
      window.location.hash = `scan=${encodeURIComponent(code)}`;
    }, VALID);
    await page.waitForFunction(
      (code) => (document.getElementById('manual-code') as HTMLInputElement).value === code,
      VALID,
    );
    expect(agent.scans).toHaveLength(2);
    await page.focus('#manual-code');
    await page.keyboard.press('Enter');
    expect(await shown(3)).toMatchObject({ reason: 'ALREADY_USED' });
    expect(agent.scans.map((scan) => scan.code)).toEqual([OTHER_GATE, VALID, VALID]);
  });

  it('framed by a page of another origin, the UI ignores a #scan= link altogether', async () => {
    // The stand-in agent sends no frame-ancestors header (the real one does: framing.browser.test.ts),
    // so the frame loads here and the page's own guard is what is tested.
    const framing = await serveFramingPage(`${agent.url}/?camera=off#scan=${encodeURIComponent(VALID)}`);
    // Its own page: the suite's page counts every foreign request it makes.
    const context = await browser.newContext({ viewport: KIOSK_VIEWPORT });
    try {
      const framingPage = await context.newPage();
      await framingPage.goto(framing.url);
      const frame = (await (await framingPage.waitForSelector('iframe')).contentFrame())!;
      await frame.waitForFunction(() => document.getElementById('gate-name')?.textContent === 'North Gate');
      expect(await frame.inputValue('#manual-code')).toBe('');
      expect(await frame.isVisible('#manual-hint')).toBe(false);
      await frame.evaluate((code) => {
        window.location.hash = `scan=${encodeURIComponent(code)}`;
      }, VALID);
      await frame.waitForFunction(() => window.location.hash.startsWith('#scan='));
      expect(await frame.inputValue('#manual-code')).toBe('');
      expect(agent.scans).toEqual([]);
    } finally {
      await context.close();
      await framing.close();
    }
  });

  it('keys from page.keyboard.type are judged by their own timestamps: the page sends exactly what the detector makes of them', async () => {
    // keyboard.type stamps each key when the browser receives it, so on a loaded machine its 5 ms gaps
    // stretch (measured up to 145 ms) and a burst may arrive split. Whatever arrived, the page must have
    // sent exactly the codes the detector makes of the keys it took in and of the moments its idle timer
    // ended a burst (the page reports those), and painted ACCEPT when that was the whole code. The page
    // says when it is done (data-wedge, data-seq): nothing here waits on a guess.
    await page.evaluate(() => {
      const log: unknown[] = [];
      Object.assign(window, { wedgeLog: log });
      document.addEventListener(
        'keydown',
        (event) => log.push(['key', event.key, event.timeStamp, event.repeat]),
        { capture: true },
      );
      document.addEventListener('wedge-flush', (event) =>
        log.push(['flush', (event as CustomEvent<{ at: number }>).detail.at]),
      );
    });
    let sent = 0;
    const detector = new WedgeDetector();
    for (let attempt = 0; attempt < 3; attempt++) {
      agent.setTable(table());
      agent.scans.length = 0;
      await page.evaluate(() => (window as unknown as { wedgeLog: unknown[] }).wedgeLog.splice(0));
      await page.keyboard.type(VALID, { delay: 5 });
      await page.keyboard.press('Enter');
      await waitForWedgeIdle(page);
      const log = await page.evaluate(() => (window as unknown as { wedgeLog: WedgeLogEntry[] }).wedgeLog);
      const codes = replayWedge(log, detector);
      if (codes.length > 0) {
        sent += codes.length;
        const last = await shown(sent);
        await expect.poll(() => agent.scans.length).toBe(codes.length);
        expect(agent.scans.map((scan) => scan.code).sort()).toEqual([...codes].sort());
        if (codes.length === 1 && codes[0] === VALID) {
          expect(last).toMatchObject({ kind: 'accept', reason: 'OK' });
          return;
        }
      }
      await page.keyboard.press('Escape');
    }
    // The keys never arrived whole: what was sent has been checked; prove nothing else was sent.
    await typeLikeScanner(page, OTHER_GATE);
    expect(await shown(sent + 1)).toMatchObject({ reason: 'WRONG_GATE' });
  });

  it('a wedge burst paints ACCEPT with the ticket type', async () => {
    await scanWithWedge(VALID);
    const accepted = await shown(1);
    expect(accepted).toMatchObject({
      kind: 'accept',
      reason: 'OK',
      title: 'ACCEPT',
      headline: 'Valid ticket',
    });
    expect(accepted.ticket).toBe('Standing · No. 1042');
    expect(agent.scans).toEqual([expect.objectContaining({ code: VALID, direction: 'in' })]);
    expect(await page.evaluate(() => document.documentElement.dataset['lastCue'])).toBe('accept');
  });

  it('the same code again paints ALREADY USED with when and the gate: another gate by name, or this gate', async () => {
    await scanWithWedge(VALID);
    expect(await shown(1)).toMatchObject({ kind: 'accept' });
    await scanWithWedge(VALID);
    const used = await shown(2);
    expect(used).toMatchObject({ kind: 'reject', title: 'REJECT', headline: 'Already used' });
    expect(used.detail).toMatch(/^\d+ days ago at East Gate \(\d\d:\d\d\)$/);
    expect(await page.evaluate(() => document.documentElement.dataset['lastCue'])).toBe('reject');
    // The first entry at this very gate (the status's gate id): "this gate", not its own name.
    await scanWithWedge(VALID);
    expect((await shown(3)).detail).toMatch(/^\d+ days ago at this gate \(\d\d:\d\d\)$/);
    expect(agent.scans.map((scan) => scan.code)).toEqual([VALID, VALID, VALID]);
  });

  it('garbage paints INVALID', async () => {
    await scanWithWedge('GARBAGE-123$%*+./:NOT A TICKET');
    expect(await shown(1)).toMatchObject({
      kind: 'reject',
      reason: 'INVALID',
      headline: 'Not a valid ticket',
    });
  });

  it('a burst without Enter is taken once the idle timer ends it', async () => {
    await page.evaluate(() =>
      document.addEventListener(
        'wedge-flush',
        (event) => Object.assign(window, { lastFlush: (event as CustomEvent).detail }),
        { once: true },
      ),
    );
    await scanWithWedge(VALID, false);
    const flushed = await page.waitForFunction(() => (window as unknown as { lastFlush?: object }).lastFlush);
    expect(await flushed.jsonValue()).toMatchObject({ code: VALID });
    expect(await shown(1)).toMatchObject({ kind: 'accept' });
    expect(agent.scans.map((scan) => scan.code)).toEqual([VALID]);
  });

  it('slow human typing (150 ms between keys) is not taken as a scan', async () => {
    await page.keyboard.type('W5ABCDEFGH12345', { delay: 150 });
    await page.keyboard.press('Enter');
    await waitForWedgeIdle(page);
    expect(await panelKind(page)).toBe('none');
    // A scan after it is the page's first: the typing sent nothing.
    await scanWithWedge(OTHER_GATE);
    expect(await shown(1)).toMatchObject({ reason: 'WRONG_GATE' });
    expect(agent.scans.map((scan) => scan.code)).toEqual([OTHER_GATE]);
  });

  it('wrong gate says where to go; OK_UNSYNCED is ACCEPT with a note', async () => {
    await scanWithWedge(OTHER_GATE);
    expect(await shown(1)).toMatchObject({ reason: 'WRONG_GATE', detail: 'Use VIP Door' });
    await scanWithWedge(UNSYNCED);
    const unsynced = await shown(2);
    expect(unsynced).toMatchObject({ reason: 'OK_UNSYNCED', title: 'ACCEPT' });
    expect(unsynced.note).toMatch(/not yet synced/i);
  });

  it('the verdict clears 2.5 s after it is shown, and Escape clears it at once', async () => {
    // On the page's own fake clock (Playwright's clock, paused): no busy machine can move the clear.
    const clockPage = await openStation(browser, `${agent.url}/?camera=off`, {
      gateName: 'North Gate',
      prepare: (fresh) => fresh.clock.install(),
    });
    try {
      await clockPage.clock.pauseAt(Date.now() + 60_000);
      const typeAndCheck = async (code: string) => {
        await clockPage.fill('#manual-code', code);
        await clockPage.press('#manual-code', 'Enter');
      };
      await typeAndCheck(VALID);
      expect(await verdictAfter(clockPage, 1)).toMatchObject({ kind: 'accept' });
      await clockPage.clock.runFor(VERDICT_MS - 1);
      expect(await panelKind(clockPage)).toBe('accept');
      await clockPage.clock.runFor(1);
      expect(await panelKind(clockPage)).toBe('none');
      await typeAndCheck(VALID);
      expect(await verdictAfter(clockPage, 2)).toMatchObject({ kind: 'reject' });
      await clockPage.keyboard.press('Escape');
      expect(await panelKind(clockPage)).toBe('none');
    } finally {
      await clockPage.context().close();
    }
  });

  it('the in/out switch works from the keyboard, and a scan over a focused control does not press it', async () => {
    // Tab to the Entry radio, arrow to Exit.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate(() => document.activeElement?.id === 'direction-in')) break;
    }
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('direction-in');
    await page.keyboard.press('ArrowRight');
    expect(await page.isChecked('#direction-out')).toBe(true);
    expect(await page.textContent('#mode-hint')).toMatch(/EXIT/);
    // Codes contain spaces; while the radio has focus a scan must neither toggle it nor lose a character.
    await scanWithWedge(VALID);
    expect(await shown(1)).toMatchObject({ kind: 'accept', headline: 'Exit recorded' });
    expect(agent.scans).toEqual([expect.objectContaining({ code: VALID, direction: 'out' })]);
    expect(await page.isChecked('#direction-out')).toBe(true);
  });

  it('manual entry checks a typed code, and the wedge ignores keys typed into the field', async () => {
    await page.fill('#manual-code', '');
    await page.focus('#manual-code');
    await page.keyboard.type(VALID.slice(0, 40), { delay: 5 });
    await waitForWedgeIdle(page);
    await page.fill('#manual-code', VALID);
    await page.keyboard.press('Enter');
    // The Check is the page's first scan: a fast burst into the box is typing, not a scan.
    expect(await shown(1)).toMatchObject({ kind: 'accept' });
    expect(agent.scans).toEqual([expect.objectContaining({ code: VALID })]);
    expect(await page.inputValue('#manual-code')).toBe('');
  });

  it('shows offline, the pending uploads and the counters', async () => {
    agent.setStatus({ online: false, pendingUploads: 12, counters: { accepted: 340, rejected: 9 } });
    await page.waitForSelector('#chip-connection[data-online="no"]', { timeout: 15_000 });
    expect(await page.textContent('#chip-connection')).toContain('Offline');
    expect(await page.isVisible('#offline-banner')).toBe(true);
    expect(await page.textContent('#chip-pending')).toContain('12 waiting');
    expect(await page.textContent('#count-accepted')).toBe('340');
    expect(await page.textContent('#count-rejected')).toBe('9');
    agent.setStatus({ online: true, pendingUploads: 0 });
    await page.waitForSelector('#chip-connection[data-online="yes"]', { timeout: 15_000 });
    expect(await page.isVisible('#offline-banner')).toBe(false);
  });

  it('shows the LAN peers beside Online: hidden with none, "Peers 2/3" warns, 0/3 stands apart', async () => {
    // The chip's words as one line (its label and numbers are flex items: innerText splits them).
    const peersChip = async () => (await page.textContent('#chip-peers'))?.replace(/\s+/g, ' ').trim();
    // The gate name is painted with the rest of the status: the chip is already decided here.
    expect(await page.isHidden('#chip-peers')).toBe(true);
    agent.setStatus({ peers: { listed: 3, reachable: 2 } });
    await page.waitForSelector('#chip-peers[data-tone="warn"]', { state: 'visible', timeout: 15_000 });
    expect(await peersChip()).toBe('Peers 2/3');
    expect(await page.getAttribute('#chip-peers', 'title')).toMatch(/^2 of 3 other scanners are answering/);
    expect(await page.evaluate(() => document.getElementById('chip-peers')?.previousElementSibling?.id)).toBe(
      'chip-connection',
    );
    agent.setStatus({ peers: { listed: 3, reachable: 0 } });
    await page.waitForSelector('#chip-peers[data-tone="bad"]', { state: 'visible', timeout: 15_000 });
    expect(await peersChip()).toBe('Peers 0/3');
    expect(await page.getAttribute('#chip-peers', 'title')).toMatch(/decides alone.*unconfirmed/);
    expect(await page.$eval('#chip-peers', (chip) => getComputedStyle(chip).borderStyle)).toBe('dashed');
    agent.setStatus({ peers: { listed: 3, reachable: 3 } });
    await page.waitForSelector('#chip-peers[data-tone="ok"]', { state: 'visible', timeout: 15_000 });
    expect(await peersChip()).toBe('Peers 3/3');
    agent.setStatus({ peers: null });
    await page.waitForSelector('#chip-peers', { state: 'hidden', timeout: 15_000 });
  });

  it('an agent that stops answering status is shown as not reachable', async () => {
    await page.route('**/api/status', (route) => route.abort('connectionrefused'));
    await page.waitForSelector('#chip-connection[data-online="unknown"]', { timeout: 15_000 });
    expect(await page.textContent('#chip-connection')).toContain('Gate agent not reachable');
    expect(await page.textContent('#offline-banner')).toMatch(/not answering/);
    await page.unroute('**/api/status');
    await page.waitForSelector('#chip-connection[data-online="yes"]', { timeout: 15_000 });
    expect(await page.isVisible('#offline-banner')).toBe(false);
  });

  it('an agent that does not answer is NOT CHECKED, never ACCEPT', async () => {
    await page.route('**/api/scan', (route) => route.abort('connectionrefused'));
    await scanWithWedge(VALID);
    expect(await shown(1)).toMatchObject({ kind: 'error', title: 'NOT CHECKED' });
  });

  it('keeps text contrast at 4.5:1 or more on every verdict and the status bar', async () => {
    agent.setStatus({ online: false, pendingUploads: 3, peers: { listed: 3, reachable: 0 } });
    await page.waitForSelector('#chip-connection[data-online="no"]', { timeout: 15_000 });
    await page.waitForSelector('#chip-peers[data-tone="bad"]', { state: 'visible', timeout: 15_000 });
    const ratios: Record<string, number> = {};
    Object.assign(ratios, await page.evaluate(contrastRatios));
    // Each verdict is measured the moment it is shown, before anything can clear it.
    const accepted = await onNextVerdict(page, contrastRatios);
    await scanWithWedge(VALID);
    for (const [key, value] of Object.entries(await accepted())) ratios[`accept ${key}`] = value;
    const rejected = await onNextVerdict(page, contrastRatios);
    await scanWithWedge(VALID);
    for (const [key, value] of Object.entries(await rejected())) ratios[`reject ${key}`] = value;
    expect(Object.keys(ratios).filter((key) => key.startsWith('reject #verdict'))).toHaveLength(4);
    expect(Object.keys(ratios).length).toBeGreaterThan(15);
    for (const [selector, ratio] of Object.entries(ratios)) {
      expect.soft(ratio, selector).toBeGreaterThanOrEqual(4.5);
    }
  });

  it.each([
    [390, 844],
    [1024, 600],
    [1920, 1080],
  ])('nothing sticks out of a %d×%d screen, idle or with a verdict', async (width, height) => {
    await page.setViewportSize({ width, height });
    // The verdict is measured the moment it is shown, without its 90 ms zoom-in.
    await page.emulateMedia({ reducedMotion: 'reduce' });
    expect(await page.evaluate(elementsSticking)).toEqual([]);
    const withVerdict = await onNextVerdict(page, elementsSticking);
    await scanWithWedge(OTHER_GATE);
    expect(await withVerdict()).toEqual([]);
    expect(await shown(1)).toMatchObject({ reason: 'WRONG_GATE' });
  });

  it('talks to nobody but its own agent, has a strict CSP and no console errors', async () => {
    await scanWithWedge(VALID);
    expect(await shown(1)).toMatchObject({ kind: 'accept' });
    const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    const foreign = requested.filter((url) => !url.startsWith(`${agent.url}/`));
    expect(foreign).toEqual([]);
    expect(requested.length).toBeGreaterThan(3);
    expect(consoleErrors.filter((text) => !text.includes('Failed to load resource'))).toEqual([]);
  });
});
