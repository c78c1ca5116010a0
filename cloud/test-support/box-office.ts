/**
 * The box office page's browser tests share this: a real cloud (production app over the test database,
 * on a loopback port) with a seeded event in Europe/Berlin and sold tickets, a Chromium page on
 * /box-office in a far-away zone and a US locale (so neither a browser-zone time nor a US date can
 * pass for the venue's), watching for CSP violations, page errors and 404s; and the steps a person
 * takes: paste a token, search.
 */
import type { Browser, Page } from 'playwright-core';
import { type RealCloud, startRealCloud } from '../../gate-agent/test-support/real-cloud';
import { buyTickets } from './cloud';

export const BROWSER_ZONE = 'America/Los_Angeles';

/** One order as the tests look it up. */
export interface SoldOrder {
  orderId: string;
  tickets: Array<{ id: string; serial: number; qr: string }>;
}

export interface BoxOfficeCloud {
  real: RealCloud;
  staffToken: string;
  /** Three Standard tickets, one VIP-only ticket, two Standard tickets, in that order. */
  orders: SoldOrder[];
}

/**
 * Starts the cloud and sells the orders; the clock stands 30 minutes after the doors opened, at
 * 2027-05-01 13:30 UTC (15:30 in Berlin): the event starts at 17:00 Berlin time.
 */
export async function startBoxOfficeCloud(): Promise<BoxOfficeCloud> {
  const real = await startRealCloud({ capacities: [100, 20], vipGate: true });
  const orders: SoldOrder[] = [];
  for (const [typeIndex, quantity] of [
    [0, 3],
    [1, 1],
    [0, 2],
  ] as const) {
    const { purchase } = await buyTickets(real.cloud, real.seeded, { typeIndex, quantity });
    // Serials as the organiser's order view has them, codes from the purchase.
    const order = await real.cloud.call('GET', `/api/v1/orders/${purchase.order.id}`, {
      token: real.seeded.adminToken,
    });
    const serials = new Map<string, number>(
      (order.body.tickets as Array<{ id: string; serial: number }>).map((t) => [t.id, t.serial]),
    );
    const tickets = (purchase.tickets as Array<{ id: string; qr: string }>).map((t) => ({
      id: t.id,
      qr: t.qr,
      serial: serials.get(t.id) ?? 0,
    }));
    orders.push({ orderId: purchase.order.id, tickets });
  }
  // Holder names as the holders set them: the first order's three guests and the VIP.
  const names = [
    [orders[0]!.tickets[0]!, 'Ana Okafor'],
    [orders[0]!.tickets[1]!, 'Ben Okafor'],
    [orders[0]!.tickets[2]!, 'Chioma Okafor'],
    [orders[1]!.tickets[0]!, 'Zoë Ångström'],
  ] as const;
  for (const [ticket, holderName] of names) {
    const named = await real.cloud.call('PATCH', `/api/v1/tickets/${ticket.id}`, {
      token: real.seeded.adminToken,
      body: { holderName },
    });
    if (named.status !== 200) throw new Error(`naming a ticket answered ${named.status}`);
  }
  real.cloud.advance(90 * 60_000);
  const staffToken = await real.cloud.token('venue_staff', real.seeded.tenant);
  return { real, staffToken, orders };
}

export interface OpenedPage {
  page: Page;
  /** CSP violations and page errors. */
  problems: string[];
  /** URLs answered 404. */
  missing: string[];
}

export async function openBoxOffice(
  browser: Browser,
  url: string,
  viewport = { width: 1024, height: 900 },
): Promise<OpenedPage> {
  const context = await browser.newContext({
    viewport,
    deviceScaleFactor: 1,
    timezoneId: BROWSER_ZONE,
    locale: 'en-US',
  });
  const page = await context.newPage();
  const problems: string[] = [];
  const missing: string[] = [];
  page.on('response', (response) => {
    if (response.status() === 404) missing.push(response.url());
  });
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.goto(`${url}/box-office`);
  return { page, problems, missing };
}

/** Pastes a token and waits for the desk (or, with `expectError`, for the sign-in's error). */
export async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel('Bearer token').fill(token);
  await page.getByRole('button', { name: 'Open the box office' }).click();
}

/** Types a query and presses Enter; waits until the search has answered. */
export async function search(page: Page, q: string): Promise<void> {
  const status = page.locator('#search-status');
  await page.getByLabel('Name, order reference or serial number').fill(q);
  await page.getByLabel('Name, order reference or serial number').press('Enter');
  await page.waitForFunction(
    (query) => {
      const text = document.getElementById('search-status')?.textContent ?? '';
      return text.includes(`“${query}”`);
    },
    q.trim(),
    { timeout: 10_000 },
  );
  await status.waitFor();
}

/** The ticket ids of the rows shown, in order. */
export function shownTicketIds(page: Page): Promise<string[]> {
  return page
    .locator('#rows tr')
    .evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset['ticketId'] ?? ''));
}

/** A screenshot of the page down to the end of what it shows (no empty viewport below). */
export async function screenshotContent(page: Page, path: string): Promise<void> {
  const { width, bottom } = await page.evaluate(() => {
    const shown = Array.from(document.querySelectorAll('main > *, #desk > *')).filter(
      (node) => (node as HTMLElement).offsetParent !== null,
    );
    return {
      width: document.documentElement.clientWidth,
      bottom: Math.max(...shown.map((node) => node.getBoundingClientRect().bottom + window.scrollY)),
    };
  });
  await page.screenshot({
    path,
    fullPage: true,
    clip: { x: 0, y: 0, width, height: Math.ceil(bottom) + 16 },
  });
}
