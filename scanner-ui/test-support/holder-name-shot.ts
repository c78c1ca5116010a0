/**
 * The screenshot of a verdict naming the ticket's holder (issue 17): ACCEPT at the kiosk size (1024×600)
 * with "Name: …" on its own line, rendered by the built UI in Debian's Chromium against scripted-agent.
 * `npx tsx scanner-ui/test-support/holder-name-shot.ts [outDir]` writes docs/screenshots/scanner-holder-name.png;
 * takeScannerScreenshots takes it with the others.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launchChromium } from './browser';
import { tokenLikeCode } from './codes';
import { typeLikeScanner } from './scanner-keys';
import { DEFAULT_STATUS, startScriptedAgent } from './scripted-agent';
import { buildUiInTemp, KIOSK_VIEWPORT } from './station-page';
import { onNextVerdict } from './verdict-record';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const HOLDER_SHOT_NAME = 'Zoë Ångström-Nakamura';

/** Writes scanner-holder-name.png into `outDir`; returns its path. */
export async function takeHolderNameScreenshot(outDir = join(repoRoot, 'docs/screenshots')): Promise<string> {
  const ui = await buildUiInTemp('scanner-ui-holder-shot-');
  const code = tokenLikeCode(8);
  const agent = await startScriptedAgent({
    distDir: ui.dist,
    table: {
      [code]: [
        {
          decision: 'accept',
          reason: 'OK',
          ticket: { serial: 1042, typeNo: 2, typeName: 'Standing', generation: 1 },
          holderName: HOLDER_SHOT_NAME,
        },
      ],
    },
    status: { ...DEFAULT_STATUS, gate: { id: 'gate-north', name: 'North Gate' } },
  });
  const browser = await launchChromium();
  try {
    await mkdir(outDir, { recursive: true });
    const page = await browser.newPage({ viewport: KIOSK_VIEWPORT });
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await page.goto(`${agent.url}/?camera=off`);
    await page.waitForSelector('#chip-connection[data-online="yes"]');
    const path = join(outDir, 'scanner-holder-name.png');
    // Hold the verdict on screen until the shot is taken: it would clear itself after 2.5 s.
    const held = await onNextVerdict(page, () => {
      const panel = document.getElementById('verdict')!;
      const shown = { kind: panel.dataset['kind'], html: panel.innerHTML };
      new MutationObserver(() => {
        if (panel.dataset['kind'] !== 'none') return;
        panel.innerHTML = shown.html;
        panel.dataset['kind'] = shown.kind;
      }).observe(panel, { attributes: true, attributeFilter: ['data-kind'] });
      return true;
    });
    await typeLikeScanner(page, code);
    await held();
    await page.waitForFunction(() => document.getElementById('verdict-holder')?.textContent !== '');
    await page.screenshot({ path });
    return path;
  } finally {
    await browser.close();
    await agent.close();
    await ui.remove();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(await takeHolderNameScreenshot(process.argv[2]));
}
