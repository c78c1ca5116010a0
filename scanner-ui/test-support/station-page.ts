/**
 * The built scanner station in Chromium, for the browser tests and the benchmark: the UI built into a
 * temporary folder, a page at the kiosk size (recording its verdicts, verdict-record.ts), and waiting
 * for the page to say it is ready or done instead of guessing with timers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { buildScannerUi } from '../build';
import { recordVerdicts } from './verdict-record';

/** The kiosk screen the station is designed for. */
export const KIOSK_VIEWPORT = { width: 1024, height: 600 } as const;
/** The phone the issue-17 layout is checked on (an iPhone 12–15 in CSS pixels). */
export const PHONE_VIEWPORT = { width: 390, height: 844 } as const;

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

/**
 * Runs `use` with a page in a fresh browser context at the kiosk size, recording its verdicts, and
 * closes the context after.
 */
export async function withStationPage<T>(browser: Browser, use: (page: Page) => Promise<T>): Promise<T> {
  const context = await browser.newContext({ viewport: KIOSK_VIEWPORT });
  try {
    const page = await context.newPage();
    await recordVerdicts(page);
    return await use(page);
  } finally {
    await context.close();
  }
}

export interface OpenStationOptions {
  /** The gate the status bar must name once the page has reached its agent. */
  gateName: string;
  /** Runs before the page loads: listen to its requests, install a fake clock or an agent bridge, … */
  prepare?: (page: Page) => Promise<unknown> | unknown;
}

/**
 * Opens the station at `url` in a new kiosk-sized page with its own browser context, recording its
 * verdicts, and waits until it has reached its agent. The caller closes `page.context()`.
 */
export async function openStation(browser: Browser, url: string, options: OpenStationOptions): Promise<Page> {
  const context = await browser.newContext({ viewport: KIOSK_VIEWPORT });
  try {
    const page = await context.newPage();
    await recordVerdicts(page);
    await options.prepare?.(page);
    await page.goto(url);
    await waitForGate(page, options.gateName);
    return page;
  } catch (error) {
    await context.close();
    throw error;
  }
}

/** Waits until the status bar names `gateName`: the page has started and reached its agent. */
export async function waitForGate(page: Page, gateName: string, timeout = 15_000): Promise<void> {
  await page.waitForFunction((name) => document.getElementById('gate-name')?.textContent === name, gateName, {
    timeout,
  });
}

/** Waits until the wedge holds no keys (`<html data-wedge="idle">`): every burst typed so far has ended. */
export async function waitForWedgeIdle(page: Page, timeout = 15_000): Promise<void> {
  await page.waitForSelector('html[data-wedge="idle"]', { state: 'attached', timeout });
}
