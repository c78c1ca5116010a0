/**
 * The wallet's service worker: keeps the page, its script, styles, manifest and icons so the wallet
 * opens without a connection once it has been loaded. Network first (a new version arrives as soon as
 * the phone is online), the kept copy when the network fails. API calls are not touched: the page keeps
 * its own data (tickets, keys) in IndexedDB. The cache's name carries the bundle's hash (bundle.ts), so a
 * new version starts a new cache and the old one is dropped when it takes over.
 */

declare const WALLET_VERSION: string;

interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request;
  respondWith(response: Promise<Response>): void;
}
interface WorkerScope {
  readonly location: Location;
  readonly clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;
}

const worker = self as unknown as WorkerScope;
const CACHE_PREFIX = 'wallet-';
const CACHE = `${CACHE_PREFIX}${WALLET_VERSION}`;
const FILES = [
  '/wallet',
  '/wallet/assets/wallet.js',
  '/wallet/assets/wallet.css',
  '/wallet/assets/manifest.webmanifest',
  '/wallet/assets/icon.svg',
  '/wallet/assets/icon-192.png',
  '/wallet/assets/icon-512.png',
];

worker.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(FILES))
      .then(() => worker.skipWaiting()),
  );
});

worker.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE)
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => worker.clients.claim()),
  );
});

/** The page's own file from the network, kept for later; the kept copy when the network fails. */
async function networkFirst(request: Request, path: string): Promise<Response> {
  try {
    const response = await fetch(request);
    if (response.ok) await (await caches.open(CACHE)).put(path, response.clone());
    return response;
  } catch (error) {
    const kept = await caches.match(path, { cacheName: CACHE });
    if (kept) return kept;
    throw error;
  }
}

worker.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== worker.location.origin) return;
  if (!FILES.includes(url.pathname)) return;
  event.respondWith(networkFirst(event.request, url.pathname));
});
