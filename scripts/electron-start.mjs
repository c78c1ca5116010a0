/**
 * `npm run electron:start`: runs the desktop gate app — or, when Electron's binary is not installed
 * (npm install ran with ELECTRON_SKIP_BINARY_DOWNLOAD=1, or without internet), says what to do instead of
 * Electron's own "delete node_modules/electron and reinstall", which would not help on such a machine.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The Electron binary's path, or undefined when only the npm package (types, CLI) is installed. */
function electronBinary() {
  let packageDir;
  try {
    packageDir = dirname(require.resolve('electron/package.json'));
  } catch {
    return undefined;
  }
  const pathFile = join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  try {
    const binary = require('electron');
    return typeof binary === 'string' && existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

const binary = electronBinary();
if (!binary) {
  console.error(`Electron's binary is not installed here (npm install skips its download, which needs the internet).

  - With internet access: npm run electron:fetch   (once), then npm run electron:start again.
  - Without it, run the same gate headless and use the scanner UI in a browser:
      npm run gate -- --data-dir ./gate-data --cloud http://127.0.0.1:3000 --enroll <enrollment token>
    then open the address it prints. npm start does all of this for a demo on one machine.`);
  process.exit(1);
}
const child = spawn(binary, ['.'], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
