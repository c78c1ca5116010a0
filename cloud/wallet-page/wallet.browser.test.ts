/**
 * The wallet page in Debian's Chromium against the real cloud (issue 20): signed in from the address's
 * fragment (which it then removes), a ticket is claimed with a WebCrypto key and its rotating code is read
 * off a screenshot with jsQR — a version-2 holder code of this ticket, at most QR version 7, that the
 * cloud's /validate admits. A browser without Ed25519 claims with ES256 and its codes are admitted too.
 * Chromium finds it installable. Offline, the page opens from its service worker and still draws codes. Another phone claiming the same
 * ticket turns the first into "shown on another device"; a refunded ticket shows no code. Under the strict CSP, with no page error.
 * Writes docs/screenshots/wallet-claim.png, wallet-ticket.png and wallet-other-device.png when
 * WALLET_SCREENSHOTS is set to a folder.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../../scanner-ui/test-support/browser';
import { describeInChromium } from '../../scanner-ui/test-support/chromium-suite';
import { holderCodeStep, holderEventTag, parseHolderCode } from '../../shared/crypto/holder-code';
import { buyTickets } from '../test-support/cloud';
import { cardInState, claim, openWallet, readShownQr, shownStep } from './test-support/wallet-browser';
import { startWalletCloud, type WalletCloud } from './test-support/wallet-cloud';

const SHOTS = resolve(process.env['WALLET_SCREENSHOTS'] ?? join(tmpdir(), `wallet-shots-${process.pid}`));

let setup: WalletCloud;
let browser: Browser;

beforeAll(async () => {
  if (!chromiumAvailable()) return;
  mkdirSync(SHOTS, { recursive: true });
  setup = await startWalletCloud({ tickets: 3 });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await setup?.stop();
});

async function validate(code: string) {
  const answer = await setup.cloud.call('POST', '/api/v1/validate', {
    token: setup.staffToken,
    body: { qr: code, gateId: setup.seeded.gateIds[0], direction: 'in' },
  });
  expect(answer.status).toBe(200);
  return answer.body as { decision: string; reason: string; detail?: string };
}

async function ticketView(id: string) {
  return (await setup.cloud.call('GET', `/api/v1/tickets/${id}`, { token: setup.customerToken })).body;
}

describeInChromium('the wallet page in Chromium', { timeout: 120_000 }, () => {
  it('signs in from the fragment, claims a ticket and shows a rotating code the cloud admits', async () => {
    const ticket = setup.tickets[0]!;
    const { context, page, problems } = await openWallet(browser, setup.walletUrl);
    try {
      // The token left the address bar, and stays in the browser for the next visit.
      expect(page.url()).toBe(`${setup.url}/wallet`);
      await cardInState(page, ticket.id, 'unclaimed');
      expect(await page.textContent(`article[data-ticket-id="${ticket.id}"]`)).toContain('Ada Lovelace');
      await page.screenshot({ path: join(SHOTS, 'wallet-claim.png') });

      await claim(page, ticket.id);
      const view = await ticketView(ticket.id);
      expect(view.holderKey).toMatchObject({ alg: 'Ed25519', bindingNo: 1 });

      const read = await readShownQr(page, ticket.id);
      expect(read.text).toHaveLength(122);
      expect(read.version).toBeLessThanOrEqual(7);
      const parsed = parseHolderCode(read.text);
      if (!parsed.ok) throw new Error(`not a holder code: ${parsed.detail}`);
      expect(parsed.fields).toMatchObject({
        eventTag: holderEventTag(setup.seeded.eventId),
        serial: view.serial,
        generation: view.generation,
        bindingNo: 1,
      });
      // Counted by the cloud's clock (two hours ahead of this machine's): within a step of it.
      expect(Math.abs(parsed.fields.step - holderCodeStep(setup.cloud.now()))).toBeLessThanOrEqual(1);
      // The page says which step it drew (read after the screenshot: the same step or the next).
      expect((await shownStep(page, ticket.id)) - parsed.fields.step).toBeGreaterThanOrEqual(0);
      expect(await validate(read.text)).toMatchObject({ decision: 'accept', reason: 'OK' });
      await page.screenshot({ path: join(SHOTS, 'wallet-ticket.png') });

      // Opened again without the fragment: still signed in, the key still here.
      await page.goto(`${setup.url}/wallet`);
      await page.waitForSelector('body[data-ready="true"]');
      await cardInState(page, ticket.id, 'bound');
      // Chromium finds nothing that keeps it from installing the page as an app (but that a test's
      // browser context is a private window).
      const devtools = await context.newCDPSession(page);
      const { installabilityErrors } = await devtools.send('Page.getInstallabilityErrors');
      expect(installabilityErrors.map((e) => e.errorId).filter((id) => id !== 'in-incognito')).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a browser without Ed25519 claims with ES256, and its codes are admitted', async () => {
    const ticket = setup.tickets[1]!;
    const { context, page, problems } = await openWallet(browser, setup.walletUrl, { withoutEd25519: true });
    try {
      await cardInState(page, ticket.id, 'unclaimed');
      await claim(page, ticket.id);
      expect((await ticketView(ticket.id)).holderKey).toMatchObject({ alg: 'ES256' });
      const read = await readShownQr(page, ticket.id);
      expect(await validate(read.text)).toMatchObject({ decision: 'accept', reason: 'OK' });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('opens offline from its service worker and still draws a valid code', async () => {
    const ticket = setup.tickets[2]!;
    const { context, page } = await openWallet(browser, setup.walletUrl);
    try {
      await cardInState(page, ticket.id, 'unclaimed');
      await claim(page, ticket.id);
      // The worker has taken the page's files into its cache once it controls the page.
      await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
        timeout: 15_000,
      });
      await context.setOffline(true);
      await page.reload();
      await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
      await page.waitForSelector('#connection:not([hidden])', { timeout: 15_000 });
      expect(await page.textContent('#connection')).toBe('offline — codes still work');
      await cardInState(page, ticket.id, 'bound');
      const read = await readShownQr(page, ticket.id);
      await context.setOffline(false);
      // A first entry with this ticket: the code made offline is admitted.
      expect(await validate(read.text)).toMatchObject({ decision: 'accept', reason: 'OK' });
    } finally {
      await context.close();
    }
  });

  it('another phone claiming the ticket moves it: the first shows “shown on another device”', async () => {
    const ticket = setup.tickets[0]!;
    const first = await openWallet(browser, setup.walletUrl);
    const second = await openWallet(browser, setup.walletUrl);
    try {
      // The ticket was claimed by a phone that is gone (the first test's): both see another device's claim.
      await cardInState(first.page, ticket.id, 'other-device');
      await cardInState(second.page, ticket.id, 'other-device');
      expect(await first.page.textContent(`article[data-ticket-id="${ticket.id}"]`)).toContain(
        'This ticket is shown on another device — claim it here to move it.',
      );
      await claim(first.page, ticket.id);
      await claim(second.page, ticket.id);
      expect((await ticketView(ticket.id)).holderKey).toMatchObject({ bindingNo: 3 });
      const stale = await readShownQr(first.page, ticket.id);
      expect(await validate(stale.text)).toMatchObject({
        decision: 'reject',
        reason: 'INVALID',
        detail: 'holder-key-replaced',
      });
      await first.page.reload();
      await first.page.waitForSelector('body[data-ready="true"]');
      await cardInState(first.page, ticket.id, 'other-device');
      await first.page.screenshot({ path: join(SHOTS, 'wallet-other-device.png') });
      expect([...first.problems, ...second.problems]).toEqual([]);
    } finally {
      await first.context.close();
      await second.context.close();
    }
  });

  it('a claimed ticket refunded by the organiser shows as no longer valid, with no code', async () => {
    const { purchase } = await buyTickets(setup.cloud, setup.seeded, { customerToken: setup.customerToken });
    const ticketId = (purchase.tickets as Array<{ id: string }>)[0]!.id;
    const { context, page, problems } = await openWallet(browser, setup.walletUrl);
    try {
      await claim(page, ticketId);
      const code = (await readShownQr(page, ticketId)).text;
      const refund = await setup.cloud.call('POST', `/api/v1/orders/${purchase.order.id}/refund`, {
        token: setup.seeded.adminToken,
        body: { override: true, reason: 'wallet test' },
      });
      expect(refund.status).toBe(200);
      await page.reload();
      await page.waitForSelector('body[data-ready="true"]');
      const card = await cardInState(page, ticketId, 'revoked');
      expect(await card.$('canvas')).toBeNull();
      expect(await validate(code)).toMatchObject({ decision: 'reject', reason: 'REVOKED' });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
