/**
 * The box office's check-in by hand and its undo in real Chromium against the real cloud (issue 17):
 * venue staff find a ticket, check it in at North — ACCEPT, and the row says "Inside now"; again —
 * REJECT in the steward's words ("Already used") with where and when it went in, in venue time; undo the
 * first admission — undone, the row says "Not admitted"; check in again — ACCEPT. A VIP-only ticket at
 * North is refused naming the gate it enters at; an undo the cloud finds too late says so; the Undo
 * button leaves after five minutes (the page's clock driven by Playwright, not waited for). Writes
 * docs/screenshots/box-office-check-in.png with BOX_OFFICE_CHECK_IN_SCREENSHOT set to it.
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
  process.env['BOX_OFFICE_CHECK_IN_SCREENSHOT'] ?? join(tmpdir(), `box-office-check-in-${process.pid}.png`),
);

let setup: BoxOfficeCloud;
let browser: Browser;

beforeAll(async () => {
  if (!chromiumAvailable()) return;
  setup = await startBoxOfficeCloud();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await setup?.real.stop();
});

/** Signs in as venue staff, finds one ticket by its serial and opens its check-in panel. */
async function pickTicket(page: Page, ticket: { id: string; serial: number }) {
  await signIn(page, setup.staffToken);
  await page.waitForSelector('#desk:not([hidden])');
  await search(page, String(ticket.serial));
  expect(await shownTicketIds(page)).toEqual([ticket.id]);
  await page.getByRole('button', { name: `Check in ticket #${ticket.serial}` }).click();
  await page.waitForSelector('#check-in:not([hidden])');
  // The focus goes to the first choice of the panel.
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('gate');
}

const row = (page: Page, ticketId: string) => page.locator(`#rows tr[data-ticket-id="${ticketId}"]`);

/** Presses Check in and waits for the decision shown for it. */
async function checkIn(page: Page, decision: 'accept' | 'reject') {
  await page.getByRole('button', { name: 'Check in', exact: true }).click();
  await page.waitForSelector(`#verdict[data-decision="${decision}"]:not([hidden])`);
}

describeInChromium('box office check-in and undo in Chromium', () => {
  it('checks in (ACCEPT), refuses a second entry (Already used), undoes, and checks in again', async () => {
    const ticket = setup.orders[2]!.tickets[0]!;
    const { page, problems, missing } = await openBoxOffice(browser, setup.real.url, {
      width: 768,
      height: 1024,
    });
    await pickTicket(page, ticket);
    expect(await page.locator('#gate option').allTextContents()).toEqual(['North', 'VIP']);
    await page.getByLabel('Gate').selectOption({ label: 'North' });
    await page.getByLabel('In (entry)').check();
    await page.getByLabel('Note (optional)').fill('code torn, ID checked');

    await checkIn(page, 'accept');
    expect(await page.textContent('#verdict-word')).toBe('✓ ACCEPT');
    expect(await page.textContent('#verdict-reason')).toBe('Valid ticket');
    expect(await page.textContent('#verdict-detail')).toBe('Let them in: entry recorded at North.');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('verdict');
    expect(await page.getByRole('button', { name: 'Undo this entry' }).isVisible()).toBe(true);
    expect(await page.textContent('#undo-until')).toBe(
      'The entry at North, Sat 1 May 2027, 15:30, can be undone for 5 minutes.',
    );
    // The row follows: inside, first entry at North in venue time.
    await page.waitForSelector(`#rows tr[data-ticket-id="${ticket.id}"][data-admission="inside"]`);
    const firstEntry = await row(page, ticket.id).locator('td[data-label="First entry"]').textContent();
    expect(firstEntry?.replaceAll('\u00a0', ' ')).toBe('North, Sat 1 May 2027, 15:30');
    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await screenshotContent(page, SCREENSHOT);

    // Again: refused in the steward's words, naming where and when it went in.
    await checkIn(page, 'reject');
    expect(await page.textContent('#verdict-word')).toBe('✕ REJECT');
    expect(await page.textContent('#verdict-reason')).toBe('Already used');
    expect(await page.textContent('#verdict-detail')).toBe(
      'This ticket went in at North on Sat 1 May 2027, 15:30 and has not left since.',
    );

    // The first admission was the mistake: undo it. The row says so.
    await page.getByRole('button', { name: 'Undo this entry' }).click();
    await page.waitForSelector('#undo-result[data-outcome="undone"]');
    expect(await page.textContent('#undo-result')).toBe(
      `Undone: the entry of #${ticket.serial} no longer counts.`,
    );
    expect(await page.locator('#undo-box').isHidden()).toBe(true);
    await page.waitForSelector(`#rows tr[data-ticket-id="${ticket.id}"][data-admission="never"]`);

    // And the guest comes in after all.
    await checkIn(page, 'accept');
    expect(await page.textContent('#verdict-reason')).toBe('Valid ticket');
    await page.waitForSelector(`#rows tr[data-ticket-id="${ticket.id}"][data-admission="inside"]`);
    expect(problems).toEqual([]);
    expect(missing).toEqual([]);
  });

  it('refuses a VIP-only ticket at North, naming the gate it enters at', async () => {
    const vip = setup.orders[1]!.tickets[0]!;
    const { page, problems } = await openBoxOffice(browser, setup.real.url, { width: 390, height: 844 });
    await pickTicket(page, vip);
    await page.getByLabel('Gate').selectOption({ label: 'North' });
    await checkIn(page, 'reject');
    expect(await page.textContent('#verdict-reason')).toBe('Wrong gate');
    expect(await page.textContent('#verdict-detail')).toBe(
      'This ticket does not enter at North: it enters at VIP.',
    );
    expect(await page.locator('#undo-box').isHidden()).toBe(true);
    expect(problems).toEqual([]);
  });

  it('says when the cloud finds an undo too late, and takes Undo away after five minutes', async () => {
    const [late, timed] = setup.orders[0]!.tickets;
    const { page, problems } = await openBoxOffice(browser, setup.real.url);
    await page.clock.install();
    await pickTicket(page, late!);
    await checkIn(page, 'accept');
    // Six minutes pass on the cloud's clock before anyone presses Undo (the page's own clock has not moved).
    setup.real.cloud.advance(6 * 60_000);
    await page.getByRole('button', { name: 'Undo this entry' }).click();
    await page.waitForSelector('#undo-result[data-outcome="refused"]');
    expect(await page.textContent('#undo-result')).toBe(
      'Too late to undo: an admission can be undone only in its first few minutes.',
    );
    expect(await page.locator('#undo-box').isHidden()).toBe(true);

    // Another ticket: Undo is offered, and five minutes later (page clock) it is gone by itself.
    await search(page, String(timed!.serial));
    await page.getByRole('button', { name: `Check in ticket #${timed!.serial}` }).click();
    await checkIn(page, 'accept');
    expect(await page.locator('#undo-box').isVisible()).toBe(true);
    await page.clock.runFor(4 * 60_000);
    expect(await page.locator('#undo-box').isVisible()).toBe(true);
    await page.clock.runFor(60_000 + 1_000);
    expect(await page.locator('#undo-box').isHidden()).toBe(true);
    expect(problems).toEqual([]);
  });
});
