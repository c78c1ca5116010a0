/**
 * The wallet's files as the cloud serves them (issue 20): the page and its bundled script under the strict
 * CSP (plus this origin's manifest and worker), revalidated on every load; the service worker allowed to
 * control `/wallet`; the cloud's clock for the page's steps; nothing else under /wallet/assets/. The
 * bundle made from the sources and the one deploy/build-cloud.ts writes for the image are the same
 * files, and the script carries the shared layout's code rather than a copy of its own.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCloud, type TestCloud } from '../test-support/cloud';
import { loadWalletFiles, WALLET_STATIC_FILES, writeWalletBundle } from './bundle';

const PAGE_DIR = dirname(fileURLToPath(import.meta.url));
let cloud: TestCloud;

beforeAll(async () => {
  cloud = await createTestCloud();
});
afterAll(async () => {
  await cloud?.close();
});

describe('the wallet page’s files', () => {
  it('serves the page and its script under the strict CSP, revalidated on every load', async () => {
    const page = await cloud.app.request('/wallet');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("manifest-src 'self'");
    expect(csp).toContain("worker-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(await page.text()).toContain('/wallet/assets/wallet.js');

    const script = await cloud.app.request('/wallet/assets/wallet.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    // The signing domain of shared/crypto/holder-code.ts, bundled in (the page has no layout of its own).
    expect(await script.text()).toContain('gate/holder-code/v1');

    const manifest = await cloud.app.request('/wallet/assets/manifest.webmanifest');
    expect(manifest.headers.get('content-type')).toBe('application/manifest+json');
    const icons = ((await manifest.json()) as { icons: Array<{ src: string; sizes: string }> }).icons;
    for (const icon of icons) expect((await cloud.app.request(icon.src)).status, icon.src).toBe(200);
    expect(icons.map((icon) => icon.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
  });

  it('lets its service worker control /wallet, and tells the cloud’s clock unstored', async () => {
    const worker = await cloud.app.request('/wallet/sw.js');
    expect(worker.status).toBe(200);
    expect(worker.headers.get('service-worker-allowed')).toBe('/wallet');
    // Its cache is named after the bundle (a new version, a new cache).
    expect(await worker.text()).toMatch(/[0-9a-f]{12}/);
    const time = await cloud.app.request('/wallet/time');
    expect(time.headers.get('cache-control')).toBe('no-store');
    expect(await time.json()).toEqual({ cloudTime: cloud.now() });
  });

  it('serves nothing else under /wallet/assets/', async () => {
    for (const path of ['index.html', 'bundle.ts', 'src%2Fmain.ts', '..%2F..%2Fpackage.json', 'sw.ts']) {
      expect((await cloud.app.request(`/wallet/assets/${path}`)).status, path).toBe(404);
    }
  });

  it('the image’s prebuilt bundle and the one made at run time are the same files', async () => {
    const out = mkdtempSync(join(tmpdir(), 'wallet-bundle-'));
    try {
      for (const name of Object.keys(WALLET_STATIC_FILES)) {
        copyFileSync(join(PAGE_DIR, name), join(out, name));
      }
      await writeWalletBundle(PAGE_DIR, out);
      const prebuilt = await loadWalletFiles(out);
      const fresh = await loadWalletFiles(PAGE_DIR);
      expect([...prebuilt.keys()].sort()).toEqual([...fresh.keys()].sort());
      for (const [name, file] of fresh) {
        expect(Buffer.from(prebuilt.get(name)!.body).equals(Buffer.from(file.body)), name).toBe(true);
      }
      expect(readFileSync(join(out, 'wallet.js'), 'utf8')).toContain('gate/holder-code/v1');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
