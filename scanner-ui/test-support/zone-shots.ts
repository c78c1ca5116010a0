/**
 * Screenshots of zones at the station (issue 18), at the kiosk size (1024×600): the Lounge Door idle with
 * its passage and the lounge nearly full (scanner-occupancy.png), and a ZONE_FULL verdict with the lounge
 * full (scanner-zone-full.png); and the full lounge's verdict on a 390×844 phone
 * (scanner-phone-zone-full.png). Rendered by the built UI in Debian's Chromium against scripted-agent.
 * `npx tsx scanner-ui/test-support/zone-shots.ts [outDir]`; takeScannerScreenshots takes them too.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { launchChromium } from './browser';
import { tokenLikeCode } from './codes';
import { typeLikeScanner } from './scanner-keys';
import { startScriptedAgent } from './scripted-agent';
import { buildUiInTemp, KIOSK_VIEWPORT, PHONE_VIEWPORT } from './station-page';
import { onNextVerdict } from './verdict-record';
import { LOUNGE_ZONE, loungeDoorStatus } from './zone-status';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Keeps the next verdict on screen until the shot is taken (it would clear itself after 2.5 s). */
async function holdNextVerdict(page: Page): Promise<() => Promise<unknown>> {
  return onNextVerdict(page, () => {
    const panel = document.getElementById('verdict')!;
    const shown = { kind: panel.dataset['kind'], html: panel.innerHTML };
    new MutationObserver(() => {
      if (panel.dataset['kind'] !== 'none') return;
      panel.innerHTML = shown.html;
      panel.dataset['kind'] = shown.kind;
    }).observe(panel, { attributes: true, attributeFilter: ['data-kind'] });
    return true;
  });
}

/** Writes the zone screenshots into `outDir`; returns their paths. */
export async function takeZoneScreenshots(outDir = join(repoRoot, 'docs/screenshots')): Promise<string[]> {
  const ui = await buildUiInTemp('scanner-ui-zone-shots-');
  const code = tokenLikeCode(9);
  const agent = await startScriptedAgent({
    distDir: ui.dist,
    table: {
      [code]: [
        {
          decision: 'reject',
          reason: 'ZONE_FULL',
          ticket: { serial: 77, typeNo: 3, typeName: 'VIP', generation: 1 },
          holderName: 'Zoë Ångström',
          zone: { ...LOUNGE_ZONE, capacity: 40, inside: 40 },
        },
      ],
    },
    status: loungeDoorStatus({ lounge: 38, ageMs: 3 * 60_000 + 20_000 }),
  });
  const browser = await launchChromium();
  const written: string[] = [];
  try {
    await mkdir(outDir, { recursive: true });
    for (const [viewport, shots] of [
      [KIOSK_VIEWPORT, ['scanner-occupancy.png', 'scanner-zone-full.png']],
      [PHONE_VIEWPORT, [null, 'scanner-phone-zone-full.png']],
    ] as const) {
      agent.setStatus(loungeDoorStatus({ lounge: 38, ageMs: 3 * 60_000 + 20_000 }));
      const page = await browser.newPage({ viewport, deviceScaleFactor: 1 });
      await page.emulateMedia({ reducedMotion: 'reduce' });
      await page.goto(`${agent.url}/?camera=off`);
      await page.waitForSelector('#zone-target[data-level="warn"]');
      const [idle, full] = shots;
      if (idle) {
        await page.screenshot({ path: join(outDir, idle) });
        written.push(join(outDir, idle));
      }
      agent.setStatus(loungeDoorStatus({ lounge: 40, ageMs: 20_000 }));
      await page.waitForSelector('#zone-target[data-level="full"]', { timeout: 10_000 });
      const held = await holdNextVerdict(page);
      await typeLikeScanner(page, code);
      await held();
      await page.screenshot({ path: join(outDir, full) });
      written.push(join(outDir, full));
      await page.close();
    }
    return written;
  } finally {
    await browser.close();
    await agent.close();
    await ui.remove();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  for (const path of await takeZoneScreenshots(process.argv[2])) console.log(`wrote ${path}`);
}
