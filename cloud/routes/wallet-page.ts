/**
 * The customer's wallet (issue 20, docs/CONTRACT.md §5.6), `GET /wallet` (cloud/wallet-page/): the
 * holder's tickets with their rotating, device-signed codes. Like the operations and box office pages it
 * carries no data and needs no login to load: the customer's bearer token arrives in the address's
 * fragment and stays in the browser. It is installable (a web app manifest and icons) and works offline
 * once loaded (a service worker keeps its files; the page keeps tickets and keys in IndexedDB).
 *
 * `GET /wallet/time` tells the page the cloud's clock, so its codes count time steps as gates do even on
 * a phone whose clock is off.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../http/context';
import { loadWalletFiles, type WalletFileName, type WalletFiles } from '../wallet-page/bundle';
import { OPS_PAGE_CSP } from './operations';

const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../wallet-page');

/** The pages' strict CSP, plus this origin's web app manifest and service worker. */
export const WALLET_PAGE_CSP = `${OPS_PAGE_CSP}; manifest-src 'self'; worker-src 'self'`;

/** The service worker's scope: the page `/wallet` itself and everything under it. */
const WORKER_SCOPE = '/wallet';

const ASSETS: ReadonlySet<string> = new Set<WalletFileName>([
  'wallet.js',
  'wallet.css',
  'manifest.webmanifest',
  'icon.svg',
  'icon-192.png',
  'icon-512.png',
]);

/** Mounts the wallet page, its assets, its service worker and its clock on the root app. */
export function mountWalletPage(app: OpenAPIHono<AppEnv>, clock: () => number): void {
  // Bundled on the first request and kept; a failed build is tried again by the next request.
  let loading: Promise<WalletFiles> | undefined;
  const files = () => {
    loading ??= loadWalletFiles(PAGE_DIR).catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
  const serve = async (name: WalletFileName, extra: Record<string, string> = {}) => {
    const file = (await files()).get(name);
    if (!file) throw new Error(`wallet page: ${name} is missing`);
    return new Response(file.body, {
      headers: {
        'content-type': file.contentType,
        'content-security-policy': WALLET_PAGE_CSP,
        // Always asked again when online (the service worker answers offline), never stale after a deploy.
        'cache-control': 'no-cache',
        'referrer-policy': 'no-referrer',
        'x-content-type-options': 'nosniff',
        ...extra,
      },
    });
  };
  app.get('/wallet', () => serve('index.html'));
  app.get('/wallet/sw.js', () => serve('sw.js', { 'service-worker-allowed': WORKER_SCOPE }));
  app.get('/wallet/time', (c) => c.json({ cloudTime: clock() }, 200, { 'cache-control': 'no-store' }));
  app.get('/wallet/assets/:file', (c) => {
    // Only the page's own files: never a path into the directory, never the index under another name.
    const name = c.req.param('file');
    return ASSETS.has(name) ? serve(name as WalletFileName) : c.notFound();
  });
}
