/**
 * `npm run electron:start` on a machine without Electron's binary (every CI run and every install made
 * with ELECTRON_SKIP_BINARY_DOWNLOAD=1) says how to get it and how to run the gate headless instead.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const installed = existsSync(join(dirname(require.resolve('electron/package.json')), 'path.txt'));
if (installed && process.env.CI === 'true') throw new Error('CI installs without the Electron binary');

describe.skipIf(installed)('electron:start without the binary', () => {
  it('exits 1 naming electron:fetch and the headless gate, not "reinstall"', () => {
    const run = spawnSync(process.execPath, ['scripts/electron-start.mjs'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('npm run electron:fetch');
    expect(run.stderr).toContain('npm run gate --');
    expect(run.stderr).not.toContain('reinstall');
  });
});
