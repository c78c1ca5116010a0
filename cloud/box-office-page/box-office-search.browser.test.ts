/**
 * The box office page's search in real Chromium against the real cloud (issue 17): a bad token and a
 * customer's token are refused in words; venue staff pick the event (named with its venue-local start,
 * 24 h, British order — the browser is in Los Angeles with a US locale) and find a ticket by its serial,
 * an order by the last characters of its id (typed in capitals, Enter to search), and nothing for text
 * that names no ticket. A ticket admitted at North shows "Inside now" and its first entry in venue
 * time. The layout holds on a tablet (768 px) and a phone (390 px), under the strict CSP, with no 404.
 * Writes docs/screenshots/box-office-search.png with BOX_OFFICE_SEARCH_SCREENSHOT set to it.
 */
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../../scanner-ui/test-support/browser';
import { describeInChromium } from '../../scanner-ui/test-support/chromium-suite';
import {
  type BoxOfficeCloud,
  openBoxOffice,
  screenshotContent,
  search,
  shownTicketIds,
  signIn,
  startBoxOfficeCloud,
} from '../test-support/box-office';

const SCREENSHOT = resolve(
  process.env['BOX_OFFICE_SEARCH_SCREENSHOT'] ?? join(tmpdir(), `box-office-search-${process.pid}.png`),
);
/** The phone layout, looked at while developing; not kept in docs/. */
const PHONE_SCREENSHOT = join(tmpdir(), `box-office-search-phone-${process.pid}.png`);

let setup: BoxOfficeCloud;
let browser: Browser;

beforeAll(async () => {
  if (!chromiumAvailable()) return;
  setup = await startBoxOfficeCloud();
  // The first order's first ticket goes in at North, online, at 15:30 Berlin time.
  const { real, staffToken, orders } = setup;
  const validated = await real.cloud.call('POST', '/api/v1/validate', {
    token: staffToken,
    body: { qr: orders[0]!.tickets[0]!.qr, gateId: real.seeded.gateIds[0], direction: 'in' },
  });
  expect(validated.body.decision).toBe('accept');
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await setup?.real.stop();
});

/** Elements sticking out past the right edge of the viewport (sideways scrolling). */
function overflowing(page: Page) {
  return page.evaluate(() => {
    const limit = document.documentElement.clientWidth;
    return Array.from(document.querySelectorAll('main *, .top *'))
      .filter((node) => {
        const box = node.getBoundingClientRect();
        return box.width > 0 && box.right > limit + 0.5;
      })
      .map((node) => `${node.tagName}#${node.id}.${node.className}`);
  });
}

describeInChromium('box office search in Chromium', () => {
  it('refuses a bad token and a customer’s token, in words, and keeps neither', async () => {
    const { page, problems } = await openBoxOffice(browser, setup.real.url);
    await page.waitForSelector('#login:not([hidden])');
    await signIn(page, 'not-a-token');
    await page.waitForSelector('#login-error:text("The token was refused: it is wrong or has expired.")');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await page.locator('#desk').isHidden()).toBe(true);

    await signIn(page, await setup.real.cloud.token('customer', setup.real.seeded.tenant));
    await page.waitForSelector('#login-error:text("may not use the box office")');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(problems).toEqual([]);
  });

  it('finds a ticket by serial and an order by its last characters; venue time, 24 h', async () => {
    const { real, staffToken, orders } = setup;
    const { page, problems, missing } = await openBoxOffice(browser, real.url, { width: 768, height: 1024 });
    await signIn(page, staffToken);
    await page.waitForSelector('#desk:not([hidden])');
    expect(page.url()).toBe(`${real.url}/box-office`);
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(staffToken);

    // The event by name and its start in Berlin (15:00 UTC), the browser being in Los Angeles.
    const option = await page.locator('#event option:checked').textContent();
    expect(option).toBe('Concert — Sat 1 May 2027, 17:00');
    // The desk shows before the event's line: the line waits for the venue's gates to load.
    await page.waitForFunction(
      () => (document.getElementById('event-when')?.textContent ?? '') !== '',
      undefined,
      {
        timeout: 10_000,
      },
    );
    expect(await page.textContent('#event-when')).toBe(
      'Doors Sat 1 May 2027, 15:00 · Starts Sat 1 May 2027, 17:00 — venue time (Europe/Berlin), 24 h',
    );

    // A serial: exactly that ticket (the search box has the focus path Enter → search).
    const vip = orders[1]!.tickets[0]!;
    await search(page, String(vip.serial));
    expect(await shownTicketIds(page)).toEqual([vip.id]);
    const vipRow = page.locator(`#rows tr[data-ticket-id="${vip.id}"]`);
    expect(await vipRow.locator('td').allTextContents()).toEqual([
      `#${vip.serial}`,
      'Type 2',
      'Zoë Ångström',
      `…${orders[1]!.orderId.replaceAll('-', '').slice(-8)}`,
      'Valid',
      'Not admitted',
      '—',
      'Check in…',
    ]);

    // The end of an order id as read off a confirmation, in capitals: that order's three tickets (and
    // any other order ending the same way, which a 6-digit tail makes next to impossible).
    const first = orders[0]!;
    const tail = first.orderId.replaceAll('-', '').slice(-6).toUpperCase();
    await search(page, tail);
    expect(await shownTicketIds(page)).toEqual(first.tickets.map((t) => t.id));
    expect(await page.textContent('#search-status')).toBe(`3 tickets found for “${tail}”.`);
    const admitted = page.locator(`#rows tr[data-ticket-id="${first.tickets[0]!.id}"]`);
    expect(await admitted.locator('td[data-label="Admitted"]').textContent()).toBe('Inside now');
    // Admitted at 13:30 UTC: 15:30 in Berlin — not 06:30 (Los Angeles), not "3:30 PM", not "5/1/2027".
    const firstEntry = await admitted.locator('td[data-label="First entry"]').textContent();
    expect(firstEntry?.replaceAll('\u00a0', ' ')).toBe('North, Sat 1 May 2027, 15:30');
    expect(await page.textContent('main')).not.toMatch(/\b(AM|PM)\b|\d+\/\d+\/\d{4}/);

    // Part of a holder's name, any case: the guests of that name.
    await search(page, 'okafor');
    expect(await shownTicketIds(page)).toEqual(first.tickets.map((t) => t.id));
    expect(await page.locator('#rows td[data-label="Holder"]').allTextContents()).toEqual([
      'Ana Okafor',
      'Ben Okafor',
      'Chioma Okafor',
    ]);

    // The tablet: a table with every column, nothing sticking out.
    expect(await overflowing(page)).toEqual([]);
    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await screenshotContent(page, SCREENSHOT);

    // The phone: cards, still nothing sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await overflowing(page)).toEqual([]);
    expect(await page.locator('#rows tr').first().locator('td.action button').isVisible()).toBe(true);
    await page.screenshot({ path: PHONE_SCREENSHOT, fullPage: true });

    // Text that names no ticket; blanks are not sent at all.
    await page.setViewportSize({ width: 768, height: 1024 });
    await search(page, 'Nobody By This Name');
    expect(await page.textContent('#search-status')).toBe('No ticket matches “Nobody By This Name”.');
    expect(await page.locator('#results').isHidden()).toBe(true);
    await page.getByLabel('Name, order reference or serial number').fill('   ');
    await page.getByLabel('Name, order reference or serial number').press('Enter');
    await page.waitForSelector('#search-status:text("Type a name, an order reference or a serial number.")');

    expect(problems).toEqual([]);
    expect(missing).toEqual([]);
  });

  it('keeps the token for the tab: a reload opens the desk on the same event', async () => {
    const { page, problems } = await openBoxOffice(browser, setup.real.url);
    await signIn(page, setup.staffToken);
    await page.waitForSelector('#desk:not([hidden])');
    await page.reload();
    await page.waitForSelector('#desk:not([hidden])');
    expect(await page.locator('#login').isHidden()).toBe(true);
    expect(await page.locator('#event').inputValue()).toBe(setup.real.seeded.eventId);
    await page.getByRole('button', { name: 'Change token' }).click();
    await page.waitForSelector('#login:not([hidden])');
    expect(await page.evaluate(() => sessionStorage.getItem('box-office-bearer-token'))).toBeNull();
    expect(problems).toEqual([]);
  });
});
