/**
 * Bundles the Electron main process (ESM) and the sandboxed preload (CommonJS: a sandboxed preload can
 * only require 'electron') into dist/electron/, ready for electron-builder. better-sqlite3 stays
 * external: electron-builder rebuilds it for Electron's ABI and unpacks it from the asar.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../..', import.meta.url));

export async function buildElectron(): Promise<void> {
  const common = {
    bundle: true,
    platform: 'node' as const,
    target: 'node22',
    sourcemap: true,
    absWorkingDir: root,
    logLevel: 'warning' as const,
  };
  await build({
    ...common,
    entryPoints: ['gate-agent/electron/main.ts'],
    outfile: 'dist/electron/main.mjs',
    format: 'esm',
    external: ['electron', 'better-sqlite3'],
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
  await build({
    ...common,
    entryPoints: ['gate-agent/electron/preload.ts'],
    outfile: 'dist/electron/preload.cjs',
    format: 'cjs',
    external: ['electron'],
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildElectron();
