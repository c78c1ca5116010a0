/**
 * Screenshots of the scanner station at 1024×600 (the kiosk size): ACCEPT, REJECT (already used at
 * another gate), WRONG GATE naming the gate to use, idle with LAN peers 2/3, OFFLINE (peers still answering) and the stale ticket list after
 * "Sync now" while offline; and on a 390×844 phone: ACCEPT and REJECT; with them the holder-name shot
 * and the zone shots (zone-shots.ts). Rendered by the built UI in
 * Debian's Chromium against scripted-agent.
 * `npx tsx scanner-ui/test-support/screenshots.ts [outDir]` writes docs/screenshots/scanner-*.png.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { launchChromium } from './browser';
import { tokenLikeCode } from './codes';
import { takeHolderNameScreenshot } from './holder-name-shot';
import { typeLikeScanner } from './scanner-keys';
import { DEFAULT_STATUS, type ScriptedAnswers, startScriptedAgent } from './scripted-agent';
import { buildUiInTemp, KIOSK_VIEWPORT, PHONE_VIEWPORT } from './station-page';
import { takeZoneScreenshots } from './zone-shots';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export async function takeScannerScreenshots(outDir = join(repoRoot, 'docs/screenshots')): Promise<string[]> {
  const ui = await buildUiInTemp('scanner-ui-shots-');
  const code = tokenLikeCode(7);
  const vipCode = tokenLikeCode(8);
  const table = (): Record<string, ScriptedAnswers> => ({
    [vipCode]: [
      {
        decision: 'reject',
        reason: 'WRONG_GATE',
        ticket: { serial: 77, typeNo: 3, typeName: 'VIP', generation: 1 },
        allowedGates: [{ id: 'gate-vip', name: 'VIP Entrance' }],
      },
    ],
    [code]: [
      {
        decision: 'accept',
        reason: 'OK',
        ticket: { serial: 1042, typeNo: 2, typeName: 'Standing', generation: 1 },
      },
      {
        decision: 'reject',
        reason: 'ALREADY_USED',
        ticket: { serial: 1042, typeNo: 2, typeName: 'Standing', generation: 1 },
        alreadyUsed: { at: Date.now() - 17 * 60_000, gateId: 'gate-east', gateName: 'East Gate' },
      },
    ],
  });
  const agent = await startScriptedAgent({
    distDir: ui.dist,
    table: table(),
    status: {
      ...DEFAULT_STATUS,
      gate: { id: 'gate-north', name: 'North Gate' },
      counters: { accepted: 412, rejected: 9 },
      pendingUploads: 0,
      // An agent that knows its venue's zone (here the machine's own, so the shots read as before).
      venueTimeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      events: [
        { id: 'e1', name: 'Summer Concert 2026', manifestSeq: 5120, tickets: 5120, manifestAgeSeconds: 12 },
      ],
    },
  });
  const browser = await launchChromium();
  const written: string[] = [];
  try {
    await mkdir(outDir, { recursive: true });
    const page = await browser.newPage({ viewport: KIOSK_VIEWPORT });
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await page.goto(`${agent.url}/?camera=off`);
    await page.waitForSelector('#chip-connection[data-online="yes"]');
    const shot = async (name: string) => {
      const path = join(outDir, name);
      await page.screenshot({ path });
      written.push(path);
    };
    await typeLikeScanner(page, code);
    await page.waitForSelector('#verdict[data-kind="accept"]');
    await shot('scanner-accept.png');
    await page.waitForTimeout(200);
    await typeLikeScanner(page, code);
    await page.waitForSelector('#verdict[data-reason="ALREADY_USED"]');
    await shot('scanner-reject.png');
    await page.keyboard.press('Escape');
    await typeLikeScanner(page, vipCode);
    await page.waitForSelector('#verdict[data-reason="WRONG_GATE"]');
    await shot('scanner-wrong-gate.png');
    await page.keyboard.press('Escape');
    // Two of the venue's three other scanners answering over the LAN: the peers chip warns.
    agent.setStatus({ peers: { listed: 3, reachable: 2 } });
    await page.waitForSelector('#chip-peers[data-tone="warn"]', { state: 'visible', timeout: 5_000 });
    await page.waitForSelector('#verdict[data-kind="none"]', { state: 'attached' });
    await shot('scanner-peers.png');
    agent.setStatus({ online: false, pendingUploads: 37, counters: { accepted: 431, rejected: 11 } });
    agent.setStatus({
      events: [
        {
          id: 'e1',
          name: 'Summer Concert 2026',
          manifestSeq: 5120,
          tickets: 5120,
          manifestAgeSeconds: 1_260,
        },
      ],
    });
    await page.waitForSelector('#chip-connection[data-online="no"]', { timeout: 5_000 });
    await shot('scanner-offline.png');
    // 25 minutes without a pull (amber from 10, red from 30 by default), and "Sync now" pressed offline.
    agent.setStatus({
      events: [
        {
          id: 'e1',
          name: 'Summer Concert 2026',
          manifestSeq: 5120,
          tickets: 5120,
          manifestAgeSeconds: 1_500,
        },
      ],
    });
    await page.waitForSelector('#chip-manifest[data-age="stale"]', { timeout: 5_000 });
    await page.click('#sync-now');
    await page.waitForSelector('#sync-result:not([hidden])', { timeout: 5_000 });
    await shot('scanner-stale-list.png');
    await page.close();
    agent.setTable(table()); // the same ticket again: ACCEPT, then ALREADY USED
    written.push(...(await phoneShots(browser, agent.url, code, outDir)));
    // ACCEPT naming the ticket's holder (issue 17), taken by ./holder-name-shot.ts.
    written.push(await takeHolderNameScreenshot(outDir));
    // The zone strip and a full lounge (issue 18), taken by ./zone-shots.ts.
    written.push(...(await takeZoneScreenshots(outDir)));
    return written;
  } finally {
    await browser.close();
    await agent.close();
    await ui.remove();
  }
}

/** ACCEPT and REJECT on a 390×844 phone: verdict, reason and ticket line above the fold. */
async function phoneShots(browser: Browser, url: string, code: string, outDir: string): Promise<string[]> {
  const page = await browser.newPage({ viewport: PHONE_VIEWPORT, deviceScaleFactor: 1 });
  try {
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await page.goto(`${url}/?camera=off`);
    await page.waitForSelector('#chip-connection');
    const written: string[] = [];
    for (const [kind, name] of [
      ['accept', 'scanner-phone-accept.png'],
      ['reject', 'scanner-phone-reject.png'],
    ] as const) {
      await typeLikeScanner(page, code);
      await page.waitForSelector(`#verdict[data-kind="${kind}"]`);
      const path = join(outDir, name);
      await page.screenshot({ path });
      written.push(path);
      await page.keyboard.press('Escape');
    }
    return written;
  } finally {
    await page.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  for (const path of await takeScannerScreenshots(process.argv[2])) console.log(`wrote ${path}`);
}
