/**
 * The wallet page's files (issue 20): its script and service worker are TypeScript that imports the
 * holder code's layout from shared/crypto/holder-code.ts and the `qrcode` package, so they are bundled
 * with esbuild; the page, styles, web app manifest and icons are served as they are.
 *
 * Two ways to the same files. Where the sources are (a checkout after `npm install`: `npm start`, tests,
 * CI) the cloud bundles them in memory on the first request and keeps them (`loadWalletFiles`). The
 * container image has no esbuild at run time: deploy/build-cloud.ts writes the bundle beside the copied
 * page (`writeWalletBundle`), and `loadWalletFiles` reads that when it finds it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The files the wallet serves under /wallet/assets/, with their content types. */
export const WALLET_STATIC_FILES = {
  'index.html': 'text/html; charset=utf-8',
  'wallet.css': 'text/css; charset=utf-8',
  'manifest.webmanifest': 'application/manifest+json',
  'icon.svg': 'image/svg+xml',
  'icon-192.png': 'image/png',
  'icon-512.png': 'image/png',
} as const;
const SCRIPT = 'text/javascript; charset=utf-8';
export const WALLET_BUNDLED_FILES = { 'wallet.js': SCRIPT, 'sw.js': SCRIPT } as const;

export type WalletFileName = keyof typeof WALLET_STATIC_FILES | keyof typeof WALLET_BUNDLED_FILES;

export interface WalletFile {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
}

export type WalletFiles = ReadonlyMap<WalletFileName, WalletFile>;

interface EsbuildApi {
  build(
    options: Record<string, unknown>,
  ): Promise<{ outputFiles: Array<{ path: string; contents: Uint8Array }> }>;
}

/**
 * esbuild, loaded only when a bundle is made. The specifier is not a literal on purpose: the cloud's own
 * bundle (deploy/build-cloud.ts) must not list esbuild among the packages it loads at run time, since the
 * image installs production dependencies only and never takes this path.
 */
async function loadEsbuild(): Promise<EsbuildApi> {
  const specifier = ['es', 'build'].join('');
  return (await import(specifier)) as EsbuildApi;
}

/** Bundles the page's script and service worker; the worker's cache name carries the bundle's hash. */
async function bundleScripts(
  pageDir: string,
): Promise<Record<keyof typeof WALLET_BUNDLED_FILES, Uint8Array<ArrayBuffer>>> {
  const esbuild = await loadEsbuild();
  const common = {
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['chrome120', 'firefox121', 'safari17'],
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  };
  const page = await esbuild.build({
    ...common,
    entryPoints: [join(pageDir, 'src/main.ts')],
    outfile: 'wallet.js',
  });
  const script = new Uint8Array(page.outputFiles[0]!.contents);
  const hash = createHash('sha256');
  hash.update(script);
  for (const name of Object.keys(WALLET_STATIC_FILES)) hash.update(readFileSync(join(pageDir, name)));
  const version = hash.digest('hex').slice(0, 12);
  const worker = await esbuild.build({
    ...common,
    entryPoints: [join(pageDir, 'src/sw.ts')],
    outfile: 'sw.js',
    define: { WALLET_VERSION: JSON.stringify(version) },
  });
  return { 'wallet.js': script, 'sw.js': new Uint8Array(worker.outputFiles[0]!.contents) };
}

function staticFiles(pageDir: string): Map<WalletFileName, WalletFile> {
  const files = new Map<WalletFileName, WalletFile>();
  for (const [name, contentType] of Object.entries(WALLET_STATIC_FILES)) {
    files.set(name as WalletFileName, { body: readFileSync(join(pageDir, name)), contentType });
  }
  return files;
}

/**
 * Every file of the wallet: read from `pageDir`, with the bundled scripts read from there too when a
 * build left them (the image) or bundled now from `pageDir/src` (a checkout).
 */
export async function loadWalletFiles(pageDir: string): Promise<WalletFiles> {
  const files = staticFiles(pageDir);
  const prebuilt = Object.keys(WALLET_BUNDLED_FILES).every((name) => existsSync(join(pageDir, name)));
  const scripts = prebuilt
    ? { 'wallet.js': readFileSync(join(pageDir, 'wallet.js')), 'sw.js': readFileSync(join(pageDir, 'sw.js')) }
    : await bundleScripts(pageDir);
  for (const [name, body] of Object.entries(scripts)) {
    files.set(name as WalletFileName, { body, contentType: SCRIPT });
  }
  return files;
}

/** Writes the bundled scripts into `outDir` (the image's copy of the page), from the sources in `pageDir`. */
export async function writeWalletBundle(pageDir: string, outDir: string): Promise<void> {
  const scripts = await bundleScripts(pageDir);
  for (const [name, body] of Object.entries(scripts)) writeFileSync(join(outDir, name), body);
}
