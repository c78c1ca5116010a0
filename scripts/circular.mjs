// Fails on any circular import (madge) across the code folders that exist; STYLE.md asks for
// dependencies pointing one way (routes → services → db, server → verify → store).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const folders = ['cloud', 'gate-agent', 'shared', 'scanner-ui', 'bench', 'scripts'].filter((f) =>
  existsSync(f),
);
const madge = require.resolve('madge/bin/cli.js');
const result = spawnSync(
  process.execPath,
  [
    madge,
    '--circular',
    '--extensions',
    'ts,tsx',
    '--ts-config',
    'tsconfig.json',
    '--exclude',
    '(node_modules|dist)/',
    ...folders,
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
