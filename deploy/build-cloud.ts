/**
 * Bundles the cloud for the container image: `cloud/main.ts` (the server), `cloud/db/migrate-cli.ts`
 * (`npm run migrate`) and `deploy/mint-ops-token.ts` (Prometheus' bearer token) into ESM files under
 * `<outDir>/`, with every npm package left external so the image's production `node_modules` serves them
 * and no TypeScript runner is needed at run time. The Dockerfile and deploy/deploy.test.ts both call this,
 * so the test checks the exact bundle the image runs.
 *
 * Usage: `tsx deploy/build-cloud.ts [outDir]` (default `dist`). Files the cloud reads at run time are found
 * relative to the module that reads them, which in the bundle is `<outDir>/cloud/main.mjs`:
 * - the migrations as `../../migrations/cloud` (cloud/db/migrate.ts), so `<outDir>` must sit beside
 *   `migrations/` — as `/app/dist` and `/app/migrations` do in the image;
 * - the event operations page as `../ops-page` (cloud/routes/operations.ts), copied here to `<outDir>/ops-page`;
 * - the box office page as `../box-office-page` (cloud/routes/box-office-page.ts), copied to
 *   `<outDir>/box-office-page`;
 * - the wallet page as `../wallet-page` (cloud/routes/wallet-page.ts), copied to `<outDir>/wallet-page`
 *   with its script and service worker bundled beside it (cloud/wallet-page/bundle.ts): the image has no
 *   esbuild at run time to bundle them on the first request.
 */
import { cpSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { writeWalletBundle } from '../cloud/wallet-page/bundle';

/** The repository root (this file lives in `<root>/deploy/`). */
export const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Entry points of the image, by output name (`<outDir>/<name>.mjs`). */
export const CLOUD_ENTRY_POINTS = {
  'cloud/main': 'cloud/main.ts',
  'cloud/migrate-cli': 'cloud/db/migrate-cli.ts',
  'tools/mint-ops-token': 'deploy/mint-ops-token.ts',
} as const;

/**
 * Static files the cloud reads at run time, copied beside the bundle: repository path → path in `<outDir>`
 * (where the reading module's `import.meta.url`, now the bundle's, resolves them).
 */
export const CLOUD_RUNTIME_FILES = {
  'cloud/ops-page': 'ops-page',
  'cloud/box-office-page': 'box-office-page',
  'cloud/wallet-page': 'wallet-page',
} as const;

/** Packages the cloud image must never need: the gate's native SQLite module and the desktop shell. */
export const PACKAGES_NOT_IN_CLOUD_IMAGE = ['better-sqlite3', 'electron'] as const;

export interface CloudBundle {
  outDir: string;
  /** Every npm package the bundle imports at run time (bare specifiers, package names only). */
  externalPackages: string[];
  metafile: Metafile;
}

/** Bundles the image's entry points into `outDir` and reports which npm packages they load. */
export async function buildCloudBundle(outDir: string): Promise<CloudBundle> {
  const absoluteOut = resolve(outDir);
  mkdirSync(absoluteOut, { recursive: true });
  const result = await build({
    absWorkingDir: REPOSITORY_ROOT,
    entryPoints: Object.fromEntries(
      Object.entries(CLOUD_ENTRY_POINTS).map(([name, source]) => [name, join(REPOSITORY_ROOT, source)]),
    ),
    outdir: absoluteOut,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // npm packages stay in node_modules: native and WASM packages (pg-native probing, PGlite's WASM,
    // msgpackr-extract) locate their files relative to themselves.
    packages: 'external',
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
  });
  for (const [source, target] of Object.entries(CLOUD_RUNTIME_FILES)) {
    // Only the served files: TypeScript beside them (the page's browser test) is not part of the page.
    cpSync(join(REPOSITORY_ROOT, source), join(absoluteOut, target), {
      recursive: true,
      filter: (path) => !path.endsWith('.ts'),
    });
  }
  await writeWalletBundle(join(REPOSITORY_ROOT, 'cloud/wallet-page'), join(absoluteOut, 'wallet-page'));
  const externalPackages = new Set<string>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const imported of output.imports) {
      if (!imported.external || imported.path.startsWith('node:')) continue;
      externalPackages.add(packageName(imported.path));
    }
  }
  const loaded = [...externalPackages].sort();
  const forbidden = loaded.filter((name) =>
    (PACKAGES_NOT_IN_CLOUD_IMAGE as readonly string[]).includes(name),
  );
  if (forbidden.length > 0) {
    throw new Error(`cloud bundle imports ${forbidden.join(', ')}, which the cloud image leaves out`);
  }
  return { outDir: absoluteOut, externalPackages: loaded, metafile: result.metafile };
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2] ?? join(REPOSITORY_ROOT, 'dist');
  buildCloudBundle(outDir).then(
    (bundle) => {
      process.stdout.write(
        `cloud bundle in ${bundle.outDir}; npm packages loaded at run time: ${bundle.externalPackages.join(', ')}\n`,
      );
    },
    (error: unknown) => {
      process.stderr.write(`build-cloud: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
