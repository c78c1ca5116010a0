/**
 * docs/SECURITY.md says which test keeps each defence true. This checks the claim itself: every test
 * file the attack table names exists and holds tests, so a test renamed or deleted cannot leave the
 * table pointing at nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const text = readFileSync(join(root, 'docs/SECURITY.md'), 'utf8');

describe('docs/SECURITY.md', () => {
  const table = text.slice(text.indexOf('## Attacks tried'), text.indexOf('## Secrets'));
  const named = [...new Set([...table.matchAll(/`([\w/.-]+\.test\.ts)`/g)].map((m) => m[1]!))];

  it('names a test for every attack row', () => {
    const rows = table.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| attack'));
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) expect(row, row).toMatch(/\.test\.ts`/);
  });

  it.each(named)('%s exists and holds tests', (file) => {
    const path = join(root, file);
    expect(existsSync(path), file).toBe(true);
    expect(readFileSync(path, 'utf8')).toMatch(/\bit(\.each)?\(/);
  });
});
