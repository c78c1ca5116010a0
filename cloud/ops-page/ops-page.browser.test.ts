/**
 * The event operations page in real Chromium, against the real cloud (production app, real database)
 * with real enrolled gate agents that have scanned: North scans arrivals over forty minutes and syncs;
 * VIP scans while its uploads fail, reports its backlog, and goes dark; East has no device. The page asks
 * for a token once (sessionStorage, never the address), shows the three states, the numbers, the
 * admissions chart and the reject reasons, refreshes by itself, and runs under its strict CSP without a
 * single violation. Writes a screenshot (docs/screenshots/operations.png with OPS_SCREENSHOT set to it).
 *
 * Issue 17: the venue is in Pacific/Auckland and the browser in America/Los_Angeles; every time on the
 * page is the venue's, in 24-hour form, and "Arrived X of Y sold" matches what the gates admitted. The
 * page and /favicon.ico load without a 404. Writes docs/screenshots/ops-arrived.png with
 * OPS_ARRIVED_SCREENSHOT set to it.
 */
import { rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GateAgent, startGateAgent } from '../../gate-agent/agent';
import { type RealCloud, startRealCloud } from '../../gate-agent/test-support/real-cloud';
import { makeTempDir } from '../../gate-agent/test-support/stores';
import { chromiumAvailable, launchChromium } from '../../scanner-ui/test-support/browser';
import { devices, venues } from '../db/schema';
import { buyTickets } from '../test-support/cloud';

const runIf = chromiumAvailable() ? describe : describe.skip;
const logger = pino({ level: 'silent' });
const SCREENSHOT = resolve(process.env['OPS_SCREENSHOT'] ?? join(tmpdir(), `operations-${process.pid}.png`));
const ARRIVED_SCREENSHOT = resolve(
  process.env['OPS_ARRIVED_SCREENSHOT'] ?? join(tmpdir(), `ops-arrived-${process.pid}.png`),
);
/** Far from UTC and from the browser's zone: a 12-hour or device-zone time cannot pass for it. */
const VENUE_ZONE = 'Pacific/Auckland';
/** The test clock's season (May) in Auckland: NZST, UTC+12, no daylight saving. */
const VENUE_OFFSET_HOURS = 12;
const BROWSER_ZONE = 'America/Los_Angeles';
const SOLD = { standard: 170, vip: 6 };

let real: RealCloud;
let browser: Browser;
const agents: GateAgent[] = [];
const dataDirs: string[] = [];
/** What the scenario did, to compare with what the page shows. */
const expected = { admitted: 0, northRejected: 0 };

/** The gates' clock: the cloud's (no skew), which the scenario moves forward minute by minute. */
const gateClock = () => real.cloud.now();

async function startAgent(gateIndex: number): Promise<GateAgent> {
  const dataDir = makeTempDir('ops-page-');
  dataDirs.push(dataDir);
  const agent = await startGateAgent({
    dataDir,
    cloudUrl: real.url,
    enrollmentToken: await real.enrollmentToken(gateIndex),
    port: 0,
    clock: gateClock,
    logger,
    syncIntervalMs: 3_600_000,
  });
  agents.push(agent);
  return agent;
}

async function buy(typeIndex: number, quantity: number): Promise<string[]> {
  const codes: string[] = [];
  for (let left = quantity; left > 0; left -= 40) {
    const { purchase } = await buyTickets(real.cloud, real.seeded, {
      typeIndex,
      quantity: Math.min(40, left),
    });
    codes.push(...(purchase.tickets as Array<{ qr: string }>).map((t) => t.qr));
  }
  return codes;
}

/** Polls until `check` holds (bounded). */
async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function deviceReport(deviceId: string) {
  const [row] = await real.cloud.database.db
    .select({ report: devices.lastReport })
    .from(devices)
    .where(eq(devices.id, deviceId));
  return row?.report as { pendingUploads: number; decisions: { accepted: number } } | null | undefined;
}

beforeAll(async () => {
  if (!chromiumAvailable()) return;
  real = await startRealCloud({ capacities: [200, 20], vipGate: true });
  // Doors opened (seed + 1 h) half an hour ago, so gates on the cloud's own clock admit: no clock skew.
  real.cloud.advance(90 * 60_000);
  await real.cloud.database.db
    .update(venues)
    .set({ timezone: VENUE_ZONE })
    .where(eq(venues.id, real.seeded.venueId));
  const east = await real.cloud.call('POST', `/api/v1/venues/${real.seeded.venueId}/gates`, {
    token: real.seeded.adminToken,
    body: { name: 'East' },
  });
  expect(east.status).toBe(201);
  const standard = await buy(0, SOLD.standard);
  const vip = await buy(1, SOLD.vip);

  // VIP: two guests in, then its uploads fail; three more; its report tells the cloud about the backlog.
  const vipGate = await startAgent(1);
  const vipDevice = (await vipGate.syncNow()).deviceId!;
  for (const code of vip.slice(0, 2)) expect((await vipGate.scan(code)).reason).toBe('OK');
  await vipGate.syncNow();
  real.link = 'fail-uploads';
  for (const code of vip.slice(2, 5)) expect((await vipGate.scan(code)).reason).toBe('OK');
  await vipGate.syncNow();
  await until(async () => (await deviceReport(vipDevice))?.pendingUploads === 3);
  await vipGate.close();
  agents.splice(agents.indexOf(vipGate), 1);
  real.link = 'up';
  expected.admitted += 2; // the three not uploaded are not known to the cloud

  // North: arrivals over forty minutes, a rush in the middle, a few problems on the way.
  const north = await startAgent(0);
  const northDevice = (await north.syncNow()).deviceId!;
  let next = 0;
  for (let minute = 0; minute < 40; minute++) {
    const arrivals = Math.round(1 + 4 * Math.sin((Math.PI * minute) / 40) ** 2 + (minute % 3));
    for (let i = 0; i < arrivals && next < standard.length; i++) {
      expect((await north.scan(standard[next++]!)).reason).toBe('OK');
      expected.admitted++;
    }
    if (minute % 7 === 3) {
      expect((await north.scan(standard[next - 1]!)).reason).toBe('ALREADY_USED');
      expected.northRejected++;
    }
    if (minute % 11 === 5) {
      expect((await north.scan('HELLO-NOT-A-TICKET')).reason).toBe('INVALID');
      expected.northRejected++;
    }
    if (minute === 20) {
      expect((await north.scan(vip[5]!)).reason).toBe('WRONG_GATE');
      expected.northRejected++;
    }
    if (minute % 5 === 4) await north.syncNow();
    real.cloud.advance(60_000);
  }
  await north.syncNow();
  await until(async () => {
    const report = await deviceReport(northDevice);
    return report?.pendingUploads === 0 && report.decisions.accepted === expected.admitted - 2;
  });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  for (const agent of agents.splice(0)) await agent.close();
  await real?.stop();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

async function openPage(): Promise<{ page: Page; violations: string[]; missing: string[] }> {
  const context = await browser.newContext({
    viewport: { width: 1360, height: 1100 },
    deviceScaleFactor: 1,
    timezoneId: BROWSER_ZONE,
    locale: 'en-US',
  });
  const page = await context.newPage();
  const violations: string[] = [];
  const missing: string[] = [];
  page.on('response', (response) => {
    if (response.status() === 404) missing.push(response.url());
  });
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  page.on('pageerror', (error) => violations.push(`page error: ${error.message}`));
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.goto(`${real.url}/ops/events/${real.seeded.eventId}`);
  return { page, violations, missing };
}

/** hh:mm:ss of an instant in the venue's zone, worked out by hand from its fixed offset (not by Intl). */
function venueClock(at: number): string {
  const local = new Date(at + VENUE_OFFSET_HOURS * 3600_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
}

runIf('event operations page in Chromium', () => {
  it('asks for a token, then shows gate tiles, totals, the chart and reject reasons', async () => {
    const { page, violations } = await openPage();
    await page.waitForSelector('#login:not([hidden])');
    expect(await page.locator('#board').isHidden()).toBe(true);

    // A wrong token: refused, said so, nothing kept.
    await page.fill('#token', 'not-a-token');
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#login-error:text("refused")');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

    await page.getByLabel('Bearer token').fill(real.seeded.adminToken);
    await page.getByRole('button', { name: 'Show operations' }).click();
    await page.waitForSelector('.tile[data-health="ok"]');
    expect(page.url()).not.toContain(real.seeded.adminToken);
    expect(page.url()).toBe(`${real.url}/ops/events/${real.seeded.eventId}`);
    expect(await page.evaluate(() => Object.values(sessionStorage))).toEqual([real.seeded.adminToken]);

    expect(await page.textContent('#event-name')).toBe('Concert');
    const tiles = page.locator('.tile');
    expect(await tiles.count()).toBe(3);
    const health = await tiles.evaluateAll((nodes) =>
      nodes.map((n) => [n.querySelector('h3')?.textContent, (n as HTMLElement).dataset['health']]),
    );
    expect(health).toEqual([
      ['East', 'idle'],
      ['North', 'ok'],
      ['VIP', 'critical'],
    ]);
    const north = tiles.filter({ hasText: 'North' });
    expect(await north.locator('.big').textContent()).toBe(`${expected.admitted - 2} admitted`);
    expect(await north.locator('.problems').count()).toBe(0);
    expect(await north.locator('.device .facts').textContent()).toContain('online');
    const vip = tiles.filter({ hasText: 'VIP' });
    expect(await vip.locator('.badge').textContent()).toBe('✕ Down');
    const vipProblems = await vip.locator('.problems').textContent();
    expect(vipProblems).toMatch(/no contact for 4\d min/);
    expect(vipProblems).toContain('3 scans waiting for upload');
    expect(await vip.locator('.device .facts').textContent()).toContain('3 scans');

    const totals = await page
      .locator('#totals div')
      .evaluateAll((nodes) =>
        Object.fromEntries(
          nodes.map((n) => [n.querySelector('dt')?.textContent, n.querySelector('dd')?.textContent]),
        ),
      );
    expect(totals).toMatchObject({
      Admitted: String(expected.admitted),
      'Rejected scans': String(expected.northRejected),
      'Waiting for upload': '3',
      'Devices online': '1 / 2',
    });

    const bars = page.locator('#chart svg rect.bar');
    expect(await bars.count()).toBeGreaterThanOrEqual(35);
    expect(await page.locator('#chart svg').getAttribute('role')).toBe('img');
    expect(await page.locator('#chart-desc').textContent()).toContain(
      `${expected.admitted} admitted in the last 2 hours`,
    );
    const reasons = await page
      .locator('#rejects li')
      .evaluateAll((nodes) => nodes.map((n) => (n as HTMLElement).dataset['reason']));
    expect(reasons.sort()).toEqual(['ALREADY_USED', 'INVALID', 'WRONG_GATE']);
    // In the organiser's words, which the page imports from the cloud (shared/admission/reasons.ts).
    const words = await page.locator('#rejects li .label span:not(.count)').allTextContents();
    expect(words.sort()).toEqual(['Already used', 'Not a valid ticket', 'Wrong gate']);

    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(violations).toEqual([]);

    // The token survives a reload (same tab) and the page goes straight to the board.
    await page.reload();
    await page.waitForSelector('.tile[data-health="critical"]');
    expect(await page.locator('#login').isHidden()).toBe(true);

    // Changing the token forgets it.
    await page.getByRole('button', { name: 'Change token' }).click();
    await page.waitForSelector('#login:not([hidden])');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(violations).toEqual([]);
  });

  it('shows arrived of sold per event and ticket type, every time in venue time, 24 h; no 404', async () => {
    const { page, violations, missing } = await openPage();
    await page.getByLabel('Bearer token').fill(real.seeded.adminToken);
    await page.getByRole('button', { name: 'Show operations' }).click();
    await page.waitForSelector('#arrived-total');
    expect(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone)).toBe(BROWSER_ZONE);

    // The cloud knows every admission but VIP's three that never uploaded; none has left.
    const sold = SOLD.standard + SOLD.vip;
    const arrived = expected.admitted;
    expect(await page.textContent('#arrived-total')).toBe(
      `Arrived ${arrived} of ${sold} sold (${Math.round((arrived / sold) * 100)} %)`,
    );
    expect(await page.textContent('.arrived-inside')).toBe(`${arrived} inside now`);
    const types = await page.locator('.arrival-type .label').allTextContents();
    const standardIn = expected.admitted - 2;
    expect(types).toEqual([
      `StandardArrived ${standardIn} of ${SOLD.standard} sold (${Math.round((standardIn / SOLD.standard) * 100)} %) · ${standardIn} inside`,
      `Type 2Arrived 2 of ${SOLD.vip} sold (33 %) · 2 inside`,
    ]);
    const width = await page
      .locator('#arrivals > .arrival-track .arrival-fill')
      .evaluate((node) => (node as HTMLElement).style.width);
    expect(Number.parseFloat(width)).toBeCloseTo((arrived / sold) * 100, 2);

    // Times: the venue's wall clock (UTC+12 in May), 24 h — not the browser's (UTC−7), not am/pm.
    const freshness = (await page.textContent('#freshness')) ?? '';
    expect(freshness).toBe(`Updated ${venueClock(real.cloud.now())} · every 5 s`);
    // The seeded event starts 3 h after the test clock's start, 2027-05-01 12:00 UTC: 03:00 on 2 May.
    const schedule = (await page.textContent('#schedule')) ?? '';
    expect(schedule).toContain('Starts Sun 2 May, 03:00');
    expect(schedule).toContain(`venue time (${VENUE_ZONE}), 24 h`);
    const axis = await page.locator('#chart svg text.axis').allTextContents();
    const times = axis.filter((label) => label.includes(':'));
    expect(times.length).toBeGreaterThan(0);
    for (const label of times) expect(label).toMatch(/^([01]\d|2[0-3]):(00|30)$/);
    expect(await page.textContent('body')).not.toMatch(/\b(am|pm)\b/i);

    // The icon: linked, loaded, and /favicon.ico answers too; nothing on the page was a 404.
    expect(await page.getAttribute('link[rel="icon"]', 'href')).toBe('/ops/assets/favicon.svg');
    const icon = await page.request.get(`${real.url}/favicon.ico`);
    expect(icon.status()).toBe(200);
    expect(icon.headers()['content-type']).toBe('image/svg+xml');
    expect(missing).toEqual([]);

    await mkdir(dirname(ARRIVED_SCREENSHOT), { recursive: true });
    await page.locator('.top').evaluate((node) => node.scrollIntoView());
    await page.screenshot({ path: ARRIVED_SCREENSHOT, clip: { x: 0, y: 0, width: 1360, height: 720 } });
    expect(violations).toEqual([]);
  });

  it('refreshes by itself every 5 s, and tells a token that may not see operations', async () => {
    const { page, violations } = await openPage();
    await page.fill('#token', real.seeded.adminToken);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('.tile[data-health="ok"]');
    const before = await page.locator('#totals dd').first().textContent();

    // A late arrival at North, uploaded: the page shows it without being touched.
    const [late] = await buy(0, 1);
    const north = agents[0]!;
    await north.syncNow();
    expect((await north.scan(late!)).reason).toBe('OK');
    await north.syncNow();
    await page.waitForFunction(
      (previous) => document.querySelector('#totals dd')?.textContent !== previous,
      before,
      { timeout: 12_000 },
    );
    expect(await page.locator('#totals dd').first().textContent()).toBe(String(expected.admitted + 1));

    // A phone held by a steward: everything fits the width, nothing scrolls sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflowing = await page.evaluate(() => {
      const main = document.querySelector('main')!;
      const limit =
        main.getBoundingClientRect().right - Number.parseFloat(getComputedStyle(main).paddingRight);
      return Array.from(document.querySelectorAll('.tile, .panel, .totals > div, .top > *'))
        .filter((node) => node.getBoundingClientRect().right > limit + 0.5)
        .map((node) => node.className || node.tagName);
    });
    expect(overflowing).toEqual([]);

    await page.click('#sign-out');
    await page.fill('#token', await real.cloud.token('venue_staff', real.seeded.tenant));
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#login-error:text("admin or ops")');
    expect(violations).toEqual([]);
  });
});
