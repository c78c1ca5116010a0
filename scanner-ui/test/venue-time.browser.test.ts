/**
 * One time format at the door (issue 17): the scanner shows every time in the VENUE's zone, 24 h, not
 * the device's. The real cloud's venue is in Pacific/Auckland; a real gate agent serves the built UI to
 * Chromium running in America/Los_Angeles (21–23 h apart, so a device-time answer can never pass). Until
 * the agent has pulled a manifest it does not know the venue's zone, and the scanner says its times are
 * "device time" (amber chip); once it has, the chip goes and the ALREADY USED time and the offline
 * "list from HH:MM" are Auckland's.
 */
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { venues } from '../../cloud/db/schema';
import { buyTickets } from '../../cloud/test-support/cloud';
import { type GateAgent, startGateAgent } from '../../gate-agent/agent';
import { type RealCloud, startRealCloud } from '../../gate-agent/test-support/real-cloud';
import { launchChromium } from '../test-support/browser';
import { describeInChromium } from '../test-support/chromium-suite';
import { typeLikeScanner } from '../test-support/scanner-keys';
import { type BuiltUi, buildUiInTemp, KIOSK_VIEWPORT, waitForGate } from '../test-support/station-page';
import { recordVerdicts, verdictAfter } from '../test-support/verdict-record';

const VENUE_ZONE = 'Pacific/Auckland';
const BROWSER_ZONE = 'America/Los_Angeles';

/** "HH:mm" of `at` in `timeZone`, 24 h (Node's Intl, outside the page). */
function hhmm(at: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
  }).format(at);
}

/** Every "HH:mm" a zone's clock showed from `fromMs` to `toMs` (a minute may turn while the test runs). */
function clockReadings(fromMs: number, toMs: number, timeZone: string): Set<string> {
  const readings = new Set<string>();
  for (let at = fromMs; at <= toMs; at += 1_000) readings.add(hhmm(at, timeZone));
  readings.add(hhmm(toMs, timeZone));
  return readings;
}

describeInChromium('scanner times in the venue’s zone', { timeout: 120_000 }, () => {
  let ui: BuiltUi;
  let real: RealCloud;
  let agent: GateAgent;
  let browser: Browser;
  let page: Page;
  let ticket: string;

  beforeAll(async () => {
    ui = await buildUiInTemp('scanner-venue-time-');
    real = await startRealCloud({ doorsOpenSinceMs: 3_600_000 });
    await real.cloud.database.db
      .update(venues)
      .set({ timezone: VENUE_ZONE })
      .where(eq(venues.id, real.seeded.venueId));
    const { purchase } = await buyTickets(real.cloud, real.seeded, { quantity: 1 });
    ticket = (purchase.tickets as Array<{ qr: string }>)[0]!.qr;
    // Enrolled, but no manifest yet: the agent does not know the venue's zone.
    real.link = 'fail-manifest';
    agent = await startGateAgent({
      dataDir: join(ui.dir, 'gate'),
      cloudUrl: real.url,
      enrollmentToken: await real.enrollmentToken(),
      port: 0,
      uiDir: ui.dist,
      syncIntervalMs: 3_600_000,
      logger: pino({ level: 'silent' }),
    });
    await agent.syncNow();
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: KIOSK_VIEWPORT, timezoneId: BROWSER_ZONE });
    page = await context.newPage();
    await recordVerdicts(page);
    await page.goto(`${agent.url}/?camera=off`);
    await waitForGate(page, 'North');
    await page.keyboard.press('Shift'); // warm up the input path (see scanner.browser.test.ts)
  });

  afterAll(async () => {
    await browser?.close();
    await agent?.close();
    await real?.stop();
    await ui?.remove();
  });

  it('runs in a browser whose zone is not the venue’s', async () => {
    expect(await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone)).toBe(BROWSER_ZONE);
  });

  it('says "device time" in amber while the agent does not know the venue’s zone', async () => {
    expect((await agent.status()).venueTimeZone).toBeNull();
    const chip = page.locator('#chip-time');
    await chip.waitFor({ state: 'visible' });
    expect(await chip.getAttribute('data-tone')).toBe('warn');
    expect(await chip.locator('.chip-text').textContent()).toBe('device time');
    expect(await chip.getAttribute('title')).toContain('device');
  });

  it('once the manifest names the zone: no hint, and ALREADY USED says the venue’s time, 24 h', async () => {
    real.link = 'up';
    await agent.syncNow();
    expect((await agent.status()).venueTimeZone).toBe(VENUE_ZONE);
    await page.locator('#chip-time').waitFor({ state: 'hidden', timeout: 10_000 });

    const from = Date.now();
    await typeLikeScanner(page, ticket);
    expect(await verdictAfter(page, 1)).toMatchObject({ reason: 'OK' });
    await typeLikeScanner(page, ticket);
    const used = await verdictAfter(page, 2);
    const to = Date.now();
    expect(used.reason).toBe('ALREADY_USED');
    const shown = /\((\d\d:\d\d)\)$/.exec(used.detail ?? '')?.[1];
    expect(shown, used.detail).toBeDefined();
    // The entry's time is the gate's corrected time (its clock plus the offset it measured to the cloud over
    // a loaded link, and never before the ticket's previous record), so it may lie a little outside
    // [from, to] by the test's clock: near a minute's turn that is the next minute. Allow a few seconds.
    const slack = 5_000;
    expect(clockReadings(from - slack, to + slack, VENUE_ZONE)).toContain(shown);
    expect(clockReadings(from - slack, to + slack, BROWSER_ZONE)).not.toContain(shown);
  });

  it('offline, "list from HH:MM" is the venue’s time of the last pull', async () => {
    const pulledBy = Date.now();
    real.link = 'down';
    await page.click('#sync-now');
    const result = page.locator('#sync-result');
    await page.waitForFunction(
      () => document.getElementById('sync-result')?.textContent?.includes('list from') ?? false,
      undefined,
      { timeout: 10_000 },
    );
    const shown = /list from (\d\d:\d\d)$/.exec((await result.textContent()) ?? '')?.[1];
    expect(shown).toBeDefined();
    // The last good pull happened during the previous test, at most a minute or two before `pulledBy`.
    expect(clockReadings(pulledBy - 120_000, Date.now(), VENUE_ZONE)).toContain(shown);
    expect(clockReadings(pulledBy - 120_000, Date.now(), BROWSER_ZONE)).not.toContain(shown);
    real.link = 'up';
  });
});
