/**
 * Builds the scanner UI into a static folder the gate agent serves at `/` and Electron loads:
 * `main.js` and `qr-worker.js` (esbuild bundles, classic scripts so they also run from file://),
 * `index.html` and `styles.css`. The verdict sounds are generated with WebAudio, so there are no
 * sound files. `npm run build:ui` writes `scanner-ui/dist/`.
 */
import { copyFile, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_SCANNER_UI_DIST = join(here, 'dist');

export interface BuiltScannerUi {
  outDir: string;
  files: { name: string; bytes: number }[];
}

/** Bundles the UI into `outDir` (emptied first). */
export async function buildScannerUi(outDir: string = DEFAULT_SCANNER_UI_DIST): Promise<BuiltScannerUi> {
  const target = resolve(outDir);
  await rm(target, { recursive: true, force: true });
  await mkdir(target, { recursive: true });
  await build({
    entryPoints: { main: join(here, 'src/main.ts'), 'qr-worker': join(here, 'src/qr-worker.ts') },
    outdir: target,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome120', 'firefox121', 'safari17'],
    minify: true,
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
  });
  await build({
    entryPoints: [join(here, 'src/styles.css')],
    outfile: join(target, 'styles.css'),
    bundle: true,
    minify: true,
    logLevel: 'warning',
  });
  await copyFile(join(here, 'src/index.html'), join(target, 'index.html'));
  const files = [];
  for (const name of (await readdir(target)).sort()) {
    files.push({ name, bytes: (await stat(join(target, name))).size });
  }
  return { outDir: target, files };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const built = await buildScannerUi(process.argv[2] ?? DEFAULT_SCANNER_UI_DIST);
  for (const file of built.files)
    console.log(`${file.name.padEnd(22)} ${(file.bytes / 1024).toFixed(1)} KiB`);
  console.log(`scanner UI built into ${built.outDir}`);
}
