/**
 * End to end (issue 20): the wallet page in Debian's Chromium claims a ticket at the real cloud (HTTP,
 * real database); a real gate agent, enrolled at the venue's North gate and kept up to date by its push
 * stream only, scans what a camera reads off the phone's screen (a screenshot decoded with jsQR) over its
 * local HTTP API. Accepted; the same image 30 s later by the gate's injected clock is CODE_EXPIRED; a code
 * for the ticket signed by another key (made in node) is INVALID; and when a second phone claims a
 * ticket, the first phone's codes are refused at the online gate (`holder-key-replaced`) within 2 s of
 * the cloud answering the claim, while the second phone's are admitted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type GateAgent, type ScanResponse, startGateAgent } from '../../gate-agent/agent';
import { chromiumAvailable, launchChromium } from '../../scanner-ui/test-support/browser';
import { describeInChromium } from '../../scanner-ui/test-support/chromium-suite';
import { holderDevice } from '../test-support/holder-device';
import { cardInState, claim, openWallet, readShownQr, type WalletPage } from './test-support/wallet-browser';
import { startWalletCloud, type WalletCloud } from './test-support/wallet-cloud';

let setup: WalletCloud;
let browser: Browser;
let agent: GateAgent;
let dataDir: string;
const phones: WalletPage[] = [];

/** POST /api/scan at the agent's local API, as the scanner UI sends it. */
async function scanAtGate(code: string): Promise<ScanResponse> {
  const response = await fetch(`${agent.url}/api/scan`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code, direction: 'in' }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as ScanResponse;
}

/** Polls the gate's answer to `code` (recording nothing) until `done` holds; bounded. */
async function gateAnswerUntil(code: string, done: (answer: ScanResponse) => boolean, timeoutMs = 15_000) {
  const started = Date.now();
  for (;;) {
    const answer = agent.preview(code, 'in');
    if (done(answer)) return answer;
    if (Date.now() - started > timeoutMs) throw new Error(`the gate still answers ${JSON.stringify(answer)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function ticketView(id: string) {
  return (await setup.cloud.call('GET', `/api/v1/tickets/${id}`, { token: setup.customerToken })).body;
}

beforeAll(async () => {
  if (!chromiumAvailable()) return;
  setup = await startWalletCloud({ tickets: 2 });
  const enrollment = await setup.cloud.call('POST', `/api/v1/gates/${setup.seeded.gateIds[0]}/enrollments`, {
    token: setup.seeded.adminToken,
    body: {},
  });
  dataDir = mkdtempSync(join(tmpdir(), 'wallet-gate-'));
  agent = await startGateAgent({
    dataDir,
    cloudUrl: setup.url,
    enrollmentToken: enrollment.body.token as string,
    port: 0,
    // The gate's clock is the cloud's: the test moves both on together.
    clock: () => setup.cloud.now(),
    logger: pino({ level: 'silent' }),
    syncIntervalMs: 3_600_000,
  });
  await agent.syncNow();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  for (const phone of phones) await phone.context.close().catch(() => {});
  await browser?.close();
  await agent?.close();
  await setup?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describeInChromium('the wallet at a real gate', { timeout: 120_000 }, () => {
  it('the gate trusts its clock (offset measured and small): one step either side', async () => {
    expect((await agent.status()).clock).toMatchObject({ state: 'ok', holderCodeWindowSeconds: 15 });
  });

  it('admits the code read off the phone; the same image 30 s later is CODE_EXPIRED; another key’s is INVALID', async () => {
    const ticket = setup.tickets[0]!;
    const phone = await openWallet(browser, setup.walletUrl);
    phones.push(phone);
    await cardInState(phone.page, ticket.id, 'unclaimed');
    await claim(phone.page, ticket.id);
    const { text } = await readShownQr(phone.page, ticket.id);
    // The binding reaches the gate through its push stream (no sync is asked for).
    await gateAnswerUntil(text, (answer) => answer.decision === 'accept');
    expect(await scanAtGate(text)).toMatchObject({
      decision: 'accept',
      reason: 'OK',
      ticket: { eventId: setup.seeded.eventId },
      holderName: null,
    });

    setup.cloud.advance(30_000);
    try {
      expect(await scanAtGate(text)).toMatchObject({
        decision: 'reject',
        reason: 'CODE_EXPIRED',
        detail: 'stale',
      });
    } finally {
      setup.cloud.advance(-30_000);
    }

    const view = await ticketView(ticket.id);
    const forged = holderDevice('Ed25519').code(
      { eventId: setup.seeded.eventId, serial: view.serial, generation: view.generation, bindingNo: 1 },
      setup.cloud.now(),
    );
    expect(await scanAtGate(forged)).toMatchObject({
      decision: 'reject',
      reason: 'INVALID',
      detail: 'signature',
    });
    expect(phone.problems).toEqual([]);
  });

  it('a second phone claims the ticket: the first phone’s codes are refused at the online gate within 2 s', async () => {
    const ticket = setup.tickets[1]!;
    const first = await openWallet(browser, setup.walletUrl);
    phones.push(first);
    await claim(first.page, ticket.id);
    const old = (await readShownQr(first.page, ticket.id)).text;
    await gateAnswerUntil(old, (answer) => answer.decision === 'accept');

    const second = await openWallet(browser, setup.walletUrl);
    phones.push(second);
    await cardInState(second.page, ticket.id, 'other-device');
    const answered = second.page.waitForResponse((r) => r.url().endsWith(`/tickets/${ticket.id}/holder-key`));
    await second.page.click(`article[data-ticket-id="${ticket.id}"] button.claim`);
    expect((await answered).status()).toBe(200);
    const boundAt = Date.now();
    await gateAnswerUntil(old, (answer) => answer.reason === 'INVALID', 10_000);
    const heardMs = Date.now() - boundAt;
    expect(heardMs, `the gate heard the new binding after ${heardMs} ms`).toBeLessThanOrEqual(2_000);
    expect(await scanAtGate(old)).toMatchObject({
      decision: 'reject',
      reason: 'INVALID',
      detail: 'holder-key-replaced',
    });

    await cardInState(second.page, ticket.id, 'bound');
    const fresh = (await readShownQr(second.page, ticket.id)).text;
    expect(await scanAtGate(fresh)).toMatchObject({ decision: 'accept', reason: 'OK' });
    expect([...first.problems, ...second.problems]).toEqual([]);
  });
});
