/**
 * The operations page's "Occupancy" panel (issue 18) in real Chromium against the real cloud over HTTP
 * (real database): a venue with a Hall (capacity 10), a Lounge (capacity 4, restricted) and a Terrace (no
 * capacity); admissions move holders between them. The panel says "9 / 10" and "Nearly full" (amber, ≥
 * 90 %), "4 / 4" and "Full — stop entry" (red), the Terrace's count only, and the last move in the venue's
 * time; it follows new admissions by itself on the page's refresh (the Hall fills up), announces a full
 * zone, and runs under the page's strict CSP without a violation. Writes a screenshot
 * (docs/screenshots/ops-occupancy.png with OPS_OCCUPANCY_SCREENSHOT set to it).
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { eq } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium } from '../../scanner-ui/test-support/browser';
import { describeInChromium } from '../../scanner-ui/test-support/chromium-suite';
import { OUTSIDE } from '../../shared/admission/zones';
import { venues } from '../db/schema';
import { issueTicketsInBulk } from '../test-support/bulk-tickets';
import { createTestCloud, type SeededEvent, seedEvent, type TestCloud } from '../test-support/cloud';
import { addZones, type TestRecord, writeAdmissions } from '../test-support/zones';

const SCREENSHOT = resolve(
  process.env['OPS_OCCUPANCY_SCREENSHOT'] ?? join(tmpdir(), `ops-occupancy-${process.pid}.png`),
);
/** UTC+12 in May (no daylight saving), far from the browser's zone. */
const VENUE_ZONE = 'Pacific/Auckland';

let cloud: TestCloud;
let seeded: SeededEvent;
let server: ReturnType<typeof serve>;
let url: string;
let browser: Browser;
let zones: { hall: string; lounge: string; terrace: string };
let serials: number[];
let originSeq = 0;

/** `count` holders from outside into `zone`, from ticket `first` on, at `at`. */
function entries(first: number, count: number, zone: string, at: number): TestRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    serial: serials[first + i]!,
    origin: 'gate-device',
    originSeq: ++originSeq,
    direction: 'in' as const,
    at: at + i,
    fromZone: OUTSIDE,
    toZone: zone,
  }));
}

beforeAll(async () => {
  cloud = await createTestCloud();
  seeded = await seedEvent(cloud);
  await cloud.database.db.update(venues).set({ timezone: VENUE_ZONE }).where(eq(venues.id, seeded.venueId));
  const [hall, lounge, terrace] = await addZones(cloud, seeded, [
    { name: 'Hall', capacity: 10 },
    { name: 'Lounge', capacity: 4, restricted: true },
    { name: 'Terrace' },
  ]);
  zones = { hall: hall!, lounge: lounge!, terrace: terrace! };
  serials = (await issueTicketsInBulk(cloud, seeded, 20)).map((ticket) => ticket.serial);
  const at = cloud.now() - 10 * 60_000;
  await writeAdmissions(cloud, seeded, [
    ...entries(0, 9, zones.hall, at),
    // Two of the Lounge's four came through the Hall (and left it).
    ...entries(9, 2, zones.lounge, at + 100),
    ...entries(11, 2, zones.hall, at + 200),
    ...[11, 12].map((i) => ({
      serial: serials[i]!,
      origin: 'gate-device',
      originSeq: ++originSeq,
      direction: 'in' as const,
      at: at + 300 + i,
      fromZone: zones.hall,
      toZone: zones.lounge,
    })),
    ...entries(13, 2, zones.terrace, at + 400),
  ]);
  server = serve({ fetch: cloud.app.fetch, port: 0, hostname: '127.0.0.1' });
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
  await cloud?.close();
});

describeInChromium('occupancy on the operations page', () => {
  it('shows each zone against its capacity, warns at 90 %, stops at 100 %, and follows new moves', async () => {
    const context = await browser.newContext({
      viewport: { width: 1360, height: 900 },
      deviceScaleFactor: 1,
      timezoneId: 'America/Los_Angeles',
      locale: 'en-US',
    });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    page.on('pageerror', (error) => violations.push(`page error: ${error.message}`));
    await page.goto(`${url}/ops/events/${seeded.eventId}`);
    await page.getByLabel('Bearer token').fill(seeded.adminToken);
    await page.getByRole('button', { name: 'Show operations' }).click();
    await page.waitForSelector('#occupancy .zone');

    const panel = page.locator('#occupancy');
    expect(await panel.locator('h2').textContent()).toBe('Occupancy');
    expect(await panel.locator('.occupancy-total').textContent()).toBe('15 inside the venue');
    const rows = () =>
      panel.locator('.zone').evaluateAll((nodes) =>
        nodes.map((n) => ({
          name: n.querySelector('.zone-name')?.textContent,
          count: n.querySelector('.zone-count')?.textContent,
          badge: n.querySelector('.zone-badge')?.textContent ?? null,
          state: (n as HTMLElement).dataset['state'],
          bar: n.querySelector('.zone-track') !== null,
        })),
      );
    expect(await rows()).toEqual([
      { name: 'Hall', count: '9 / 10', badge: 'Nearly full', state: 'warning', bar: true },
      { name: 'Lounge (restricted)', count: '4 / 4', badge: 'Full — stop entry', state: 'full', bar: true },
      { name: 'Terrace', count: '2 inside', badge: null, state: 'uncapped', bar: false },
    ]);
    // Amber and red as the page's colours say, not just words.
    const colours = await panel
      .locator('.zone-badge')
      .evaluateAll((nodes) => nodes.map((n) => getComputedStyle(n).backgroundColor));
    expect(colours).toEqual(['rgb(240, 180, 41)', 'rgb(255, 107, 107)']);
    // The last move in the venue's time (UTC+12), 24-hour: the Terrace's second entry.
    const lastTerrace = new Date(cloud.now() - 10 * 60_000 + 401 + 12 * 3600_000);
    const hhmm = `${String(lastTerrace.getUTCHours()).padStart(2, '0')}:${String(lastTerrace.getUTCMinutes()).padStart(2, '0')}`;
    expect(await panel.locator('.zone').nth(2).locator('.zone-meta').textContent()).toBe(`last move ${hhmm}`);
    expect(await panel.locator('.zone').nth(0).locator('.zone-meta').textContent()).toMatch(
      /^90 % · last move/,
    );
    expect(await page.textContent('#announcer')).toContain('Lounge full — stop entry');
    await page.screenshot({ path: SCREENSHOT, clip: { x: 0, y: 0, width: 1360, height: 900 } });

    // One more into the Hall: the page's own refresh shows it full (bounded wait for the next poll).
    await writeAdmissions(cloud, seeded, entries(15, 1, zones.hall, cloud.now()));
    await page.waitForSelector('#occupancy .zone[data-state="full"] >> text=Hall', { timeout: 15_000 });
    expect((await rows())[0]).toMatchObject({ count: '10 / 10', badge: 'Full — stop entry', state: 'full' });
    expect(await panel.locator('.occupancy-total').textContent()).toBe('16 inside the venue');
    expect(violations).toEqual([]);
    await context.close();
  });
});
