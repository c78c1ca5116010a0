/**
 * `npm run lint:openapi`: dumps the document the cloud serves at /openapi.json (built in this process,
 * no network) to .tmp/openapi.json and lints it with the pinned Redocly CLI under redocly.yaml. Exits
 * non-zero on any error or warning: the document is the API's contract, so a warning is a defect too.
 * `--dump-only` writes the file and stops (for other tools).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { servedOpenApiDocument } from './openapi-document';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const out = join(root, '.tmp', 'openapi.json');

const document = await servedOpenApiDocument();
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(document, null, 2)}\n`);
console.log(`openapi: wrote ${out}`);
if (process.argv.includes('--dump-only')) process.exit(0);

// The CLI of the pinned devDependency, run by this Node: never a download (npx would fetch one).
const require = createRequire(import.meta.url);
const cliPackage = require.resolve('@redocly/cli/package.json');
const { bin } = require(cliPackage) as { bin: Record<string, string> };
const cli = join(dirname(cliPackage), bin['redocly'] ?? Object.values(bin)[0]!);
const lint = spawnSync(
  process.execPath,
  [cli, 'lint', '--config', join(root, 'redocly.yaml'), '--max-problems', '500', out],
  // No telemetry or update check: CI and developers' machines may have no internet.
  {
    stdio: 'inherit',
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  },
);
process.exit(lint.status ?? 1);
