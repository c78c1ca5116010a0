/**
 * The API reference at /docs in real Chromium against the real cloud (production app, real database,
 * a real socket): it renders the operations of /openapi.json with their roles, bodies and examples,
 * makes no request to any other origin (Scalar's bundle, fonts and "try it" all stay on this cloud),
 * and runs under its CSP without a violation. Writes a screenshot (docs/screenshots/api-reference.png
 * with DOCS_SCREENSHOT set to it).
 */
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../../scanner-ui/test-support/browser';
import { createTestCloud, type TestCloud } from '../test-support/cloud';

const runIf = chromiumAvailable() ? describe : describe.skip;
const SCREENSHOT = resolve(
  process.env['DOCS_SCREENSHOT'] ?? join(tmpdir(), `api-reference-${process.pid}.png`),
);

let cloud: TestCloud;
let server: ReturnType<typeof serve>;
let origin: string;
let browser: Browser;
let page: Page;
const foreignRequests: string[] = [];
const consoleErrors: string[] = [];

runIf('/docs in Chromium', () => {
  beforeAll(async () => {
    cloud = await createTestCloud();
    server = serve({ fetch: cloud.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((done) => server.once('listening', () => done()));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:'))
        foreignRequests.push(url);
    });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
    await cloud?.close();
  });

  it('renders every tag and the operations with their roles and authentication', async () => {
    await page.goto(`${origin}/docs`, { waitUntil: 'networkidle' });
    await page.getByText('Create a venue').first().waitFor({ timeout: 20_000 });
    const text = await page.locator('body').innerText();
    for (const tag of ['venues', 'events', 'purchase', 'sync', 'operations']) {
      expect(text.toLowerCase()).toContain(tag);
    }
    // The introduction says how to authenticate (info.description of the document).
    await page.getByRole('heading', { name: 'Authentication' }).first().waitFor({ timeout: 10_000 });
    await page.getByText('Create a venue').first().click();
    await page.getByText('Roles: admin').first().waitFor({ timeout: 10_000 });
    await mkdir(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
  });

  it('tries a request against this cloud ("Test Request" → Send)', async () => {
    await page
      .getByRole('button', { name: /Test Request/ })
      .first()
      .click();
    const sent = page.waitForResponse((response) => response.url() === `${origin}/api/v1/venues`, {
      timeout: 15_000,
    });
    await page.getByRole('button', { name: /^Send/ }).first().click();
    // No token entered: the cloud's own 401 envelope comes back, so the request really reached it.
    expect((await sent).status()).toBe(401);
    await page.keyboard.press('Escape');
  });

  it('asked nothing of any other origin and broke no CSP rule', () => {
    expect(foreignRequests).toEqual([]);
    expect(consoleErrors.filter((line) => /Content Security Policy|Refused to/i.test(line))).toEqual([]);
  });
});
