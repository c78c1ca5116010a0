// Type-checks every TypeScript project of the repository: the Node code, the browser renderer
// (DOM types), and the Electron main/preload (Electron's own types). Electron is an optional
// dependency because its postinstall downloads a binary; where it could not be installed the
// Electron project is reported as not checked, and in CI (CI=true) that is an error.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const projects = ['tsconfig.json', 'scanner-ui/tsconfig.json', 'gate-agent/electron/tsconfig.json'];

function electronTypesPresent() {
  try {
    require.resolve('electron/package.json');
    return true;
  } catch {
    return false;
  }
}

let failed = false;
for (const project of projects) {
  if (!existsSync(project)) continue;
  if (project.startsWith('gate-agent/electron') && !electronTypesPresent()) {
    const message = `typecheck: ${project} not checked: the optional dependency "electron" is not installed (install with ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm install)`;
    if (process.env.CI === 'true') {
      console.error(`${message}; CI must check it`);
      failed = true;
    } else {
      console.warn(message);
    }
    continue;
  }
  const result = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', project], {
    stdio: 'inherit',
  });
  if (result.status !== 0) failed = true;
  else console.log(`typecheck: ${project} ok`);
}
process.exit(failed ? 1 : 0);
