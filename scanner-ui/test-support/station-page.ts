/**
 * The built scanner station in Chromium, for the browser tests and the benchmark: the UI built into a
 * temporary folder, a page at the kiosk size, what the verdict panel shows, and waiting for the page to
 * say it is done (a scan painted, the wedge idle) instead of guessing with timers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildScannerUi } from '../build';

/** The kiosk screen the station is designed for. */
export const KIOSK_VIEWPORT = { width: 1024, height: 600 } as const;

export interface BuiltUi {
  /** A temporary folder for the test's own files; the UI is built into `dist` inside it. */
  dir: string;
  dist: string;
  /** Deletes the folder. */
  remove(): Promise<void>;
}

/** Builds the scanner UI into a fresh temporary folder (`prefix` names it, for a stray folder's sake). */
export async function buildUiInTemp(prefix: string): Promise<BuiltUi> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const dist = join(dir, 'dist');
  await buildScannerUi(dist);
  return { dir, dist, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Runs `use` with a page in a fresh browser context at the kiosk size, and closes the context after. */
export async function withStationPage<T>(browser: Browser, use: (page: Page) => Promise<T>): Promise<T> {
  const context = await browser.newContext({ viewport: KIOSK_VIEWPORT });
  try {
    return await use(await context.newPage());
  } finally {
    await context.close();
  }
}

/** Waits until the status bar names `gateName`: the page has started and reached its agent. */
export async function waitForGate(page: Page, gateName: string, timeout = 15_000): Promise<void> {
  await page.waitForFunction((name) => document.getElementById('gate-name')?.textContent === name, gateName, {
    timeout,
  });
}

export interface ShownVerdict {
  kind: string | undefined;
  reason: string | undefined;
  title: string;
  headline: string;
  detail: string;
  ticket: string;
  note: string;
  /** Everything the panel shows, as rendered text. */
  text: string;
}

/** What the verdict panel shows now. */
export function readVerdict(page: Page): Promise<ShownVerdict> {
  return page.evaluate(() => {
    const panel = document.getElementById('verdict')!;
    const text = (id: string) => document.getElementById(id)!.textContent ?? '';
    return {
      kind: panel.dataset['kind'],
      reason: panel.dataset['reason'],
      title: text('verdict-title'),
      headline: text('verdict-headline'),
      detail: text('verdict-detail'),
      ticket: text('verdict-ticket'),
      note: text('verdict-note'),
      text: panel.innerText,
    };
  });
}

/** Waits for the verdict of the page's scan number `seq` (`data-seq`) and reads it. */
export async function verdictAfter(page: Page, seq: number, timeout = 15_000): Promise<ShownVerdict> {
  try {
    await page.waitForSelector(`#verdict[data-seq="${seq}"]`, { state: 'attached', timeout });
  } catch (error) {
    throw new Error(`no verdict for scan ${seq}: the page shows ${JSON.stringify(await pageState(page))}`, {
      cause: error,
    });
  }
  return readVerdict(page);
}

/** What the page says about its scans: for a failure message that shows what happened instead. */
function pageState(page: Page): Promise<Record<string, unknown>> {
  return page.evaluate(() => ({
    verdict: { ...document.getElementById('verdict')!.dataset },
    wedge: document.documentElement.dataset['wedge'],
    measures: performance
      .getEntriesByName('scan-to-paint')
      .map((entry) => (entry as PerformanceMeasure).detail as unknown),
  }));
}

/** Waits until the wedge holds no keys (`<html data-wedge="idle">`): every burst typed so far has ended. */
export async function waitForWedgeIdle(page: Page, timeout = 15_000): Promise<void> {
  await page.waitForSelector('html[data-wedge="idle"]', { state: 'attached', timeout });
}
