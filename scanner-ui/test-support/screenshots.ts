/**
 * Screenshots of the scanner station at 1024×600 (the kiosk size): ACCEPT, REJECT (already used) and
 * OFFLINE, rendered by the built UI in Debian's Chromium against scripted-agent.
 * `npx tsx scanner-ui/test-support/screenshots.ts [outDir]` writes docs/screenshots/scanner-*.png.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launchChromium } from './browser';
import { tokenLikeCode } from './codes';
import { typeLikeScanner } from './scanner-keys';
import { DEFAULT_STATUS, startScriptedAgent } from './scripted-agent';
import { buildUiInTemp, KIOSK_VIEWPORT } from './station-page';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export async function takeScannerScreenshots(outDir = join(repoRoot, 'docs/screenshots')): Promise<string[]> {
  const ui = await buildUiInTemp('scanner-ui-shots-');
  const code = tokenLikeCode(7);
  const agent = await startScriptedAgent({
    distDir: ui.dist,
    table: {
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
    },
    status: {
      ...DEFAULT_STATUS,
      gate: { id: 'gate-north', name: 'North Gate' },
      counters: { accepted: 412, rejected: 9 },
      pendingUploads: 0,
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
    return written;
  } finally {
    await browser.close();
    await agent.close();
    await ui.remove();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  for (const path of await takeScannerScreenshots(process.argv[2])) console.log(`wrote ${path}`);
}
