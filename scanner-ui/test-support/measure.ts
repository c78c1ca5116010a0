/**
 * Scan-to-painted-verdict latency in Chromium (SPEC section 9: p95 ≤ 50 ms). Types each code as a
 * keyboard-wedge burst ended by Enter, then reads the page's own `scan-to-paint` performance measure:
 * from the Enter keydown's timeStamp (when the browser received it) to the first frame painted with
 * the verdict (requestAnimationFrame, then a task: that frame has been presented). It includes the call to the agent, so point it
 * at the real gate agent for the benchmark (`npm run bench`) and at scripted-agent in the UI's tests.
 */
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser';
import { typeLikeScanner } from './scanner-keys';
import { withStationPage } from './station-page';

export interface ScanToPaintOptions {
  /** URL of the scanner UI, served by a gate agent. `camera=off` is added. */
  url: string;
  /** Codes to scan, cycled (or a function of the scan number). */
  codes: readonly string[] | ((index: number) => string);
  /** Measured scans (default 50); three unmeasured warm-up scans come first. */
  scans?: number;
  warmup?: number;
  /** Milliseconds between keystrokes of a burst (default 5, a typical USB scanner). */
  keyDelayMs?: number;
  /**
   * How keys are sent: 'scanner' (default) stamps them like a USB scanner (test-support/scanner-keys),
   * so a loaded machine cannot split a burst; 'playwright' uses page.keyboard.type, whose gaps stretch
   * under load (a split burst then shows as an INVALID fragment).
   */
  input?: 'scanner' | 'playwright';
  /** Reuse a browser; otherwise Debian's Chromium is launched and closed. */
  browser?: Browser;
}

export interface ScanToPaintResult {
  scans: number;
  samplesMs: number[];
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export async function measureScanToPaint(options: ScanToPaintOptions): Promise<ScanToPaintResult> {
  const browser = options.browser ?? (await launchChromium());
  try {
    return await withStationPage(browser, (page) => measureOnPage(page, options));
  } finally {
    if (!options.browser) await browser.close();
  }
}

async function measureOnPage(page: Page, options: ScanToPaintOptions): Promise<ScanToPaintResult> {
  const scans = options.scans ?? 50;
  const warmup = options.warmup ?? 3;
  const delay = options.keyDelayMs ?? 5;
  const codeAt = (index: number) =>
    typeof options.codes === 'function' ? options.codes(index) : options.codes[index % options.codes.length]!;
  const url = new URL(options.url);
  url.searchParams.set('camera', 'off');
  await page.goto(url.href);
  await page.waitForSelector('#verdict[data-kind="none"]', { state: 'attached' });
  const samples: number[] = [];
  for (let index = 0; index < warmup + scans; index++) {
    const before = await page.evaluate(() => document.getElementById('verdict')!.dataset['painted'] ?? '');
    if (options.input === 'playwright') {
      await page.keyboard.type(codeAt(index), { delay });
      await page.keyboard.press('Enter', { delay: 0 });
    } else {
      await typeLikeScanner(page, codeAt(index), { gapMs: delay, suffix: 'Enter' });
    }
    await page.waitForFunction(
      (previous) => (document.getElementById('verdict')!.dataset['painted'] ?? '') !== previous,
      before,
      { timeout: 10_000, polling: 'raf' },
    );
    const duration = await page.evaluate(
      () => performance.getEntriesByName('scan-to-paint').at(-1)?.duration,
    );
    if (index >= warmup && typeof duration === 'number') samples.push(duration);
    await page.waitForTimeout(80); // leave a gap so the next burst is a new one
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    scans: samples.length,
    samplesMs: samples,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    max: sorted.at(-1) ?? Number.NaN,
    mean: samples.reduce((sum, value) => sum + value, 0) / Math.max(1, samples.length),
  };
}
