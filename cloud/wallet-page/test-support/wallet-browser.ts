/**
 * The wallet in Chromium for tests: a phone-sized context on the wallet's address, watching for CSP
 * violations, page errors and failed requests; reading the code the page shows the way a gate's camera
 * does — a screenshot of the QR, decoded with jsQR (the screenshot's PNG is turned into pixels by the
 * browser itself, so no image library is needed here).
 */
import jsQR from 'jsqr';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const PHONE = { width: 390, height: 844 } as const;

export interface WalletPage {
  context: BrowserContext;
  page: Page;
  /** CSP violations, page errors, console errors. */
  problems: string[];
}

/** A new phone context (its own IndexedDB: another device) with the wallet open at `url`. */
export async function openWallet(
  browser: Browser,
  url: string,
  options: { withoutEd25519?: boolean } = {},
): Promise<WalletPage> {
  const context = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 1, locale: 'en-GB' });
  if (options.withoutEd25519) {
    // A browser without Ed25519 in WebCrypto (older Safari, Firefox before 129): the wallet falls back to ES256.
    await context.addInitScript(() => {
      const subtle = crypto.subtle;
      const generate = subtle.generateKey.bind(subtle);
      subtle.generateKey = ((algorithm: AlgorithmIdentifier, ...rest: [boolean, KeyUsage[]]) =>
        (typeof algorithm === 'string' ? algorithm : algorithm.name) === 'Ed25519'
          ? Promise.reject(new DOMException('Algorithm: Unrecognized name', 'NotSupportedError'))
          : generate(algorithm as EcKeyGenParams, ...rest)) as typeof subtle.generateKey;
    });
  }
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
  return { context, page, problems };
}

/** The card of a ticket once it is in `state` (bounded wait). */
export async function cardInState(page: Page, ticketId: string, state: string, timeout = 15_000) {
  return page.waitForSelector(`article[data-ticket-id="${ticketId}"][data-state="${state}"]`, { timeout });
}

/** Claims a ticket on this page and waits for its first code to be drawn. */
export async function claim(page: Page, ticketId: string): Promise<void> {
  await page.click(`article[data-ticket-id="${ticketId}"] button.claim`);
  await page.waitForSelector(
    `article[data-ticket-id="${ticketId}"][data-state="bound"] canvas.qr[data-step]`,
    {
      timeout: 20_000,
    },
  );
}

/** The step of the code drawn now on the ticket's card. */
export async function shownStep(page: Page, ticketId: string): Promise<number> {
  return Number(await page.getAttribute(`article[data-ticket-id="${ticketId}"] canvas.qr`, 'data-step'));
}

export interface ReadQr {
  text: string;
  version: number;
  png: Buffer;
}

/** Decodes a PNG's QR code: the browser makes pixels of it, jsQR reads them. */
export async function decodeQrPng(
  page: Page,
  png: Buffer,
): Promise<{ text: string; version: number } | null> {
  const pixels = await page.evaluate(async (base64) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d')!;
    context.drawImage(bitmap, 0, 0);
    const data = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
    return { width: bitmap.width, height: bitmap.height, data: Array.from(data) };
  }, png.toString('base64'));
  const found = jsQR(Uint8ClampedArray.from(pixels.data), pixels.width, pixels.height);
  return found ? { text: found.data, version: found.version } : null;
}

/** Screenshots the ticket's QR as a camera would see it and reads it. */
export async function readShownQr(page: Page, ticketId: string): Promise<ReadQr> {
  const canvas = page.locator(`article[data-ticket-id="${ticketId}"] canvas.qr`);
  const png = await canvas.screenshot({ animations: 'disabled' });
  const read = await decodeQrPng(page, png);
  if (!read) throw new Error('jsQR found no QR code in the screenshot of the ticket');
  return { ...read, png };
}
