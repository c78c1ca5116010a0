/** README.md's roles table is exactly the one generated from the served OpenAPI document (scripts/roles-table.ts). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { servedOpenApiDocument } from './openapi-document';
import { rolesTable } from './roles-table';

describe('README roles table', () => {
  it('matches the routes’ own role checks', async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const between = /<!-- roles:start -->\n([\s\S]*?)\n<!-- roles:end -->/.exec(readme);
    expect(between, 'README.md has the roles table between its markers').not.toBeNull();
    const generated = rolesTable(await servedOpenApiDocument());
    expect(generated.split('\n').length).toBeGreaterThan(30);
    expect(between![1]).toBe(generated);
  }, 60_000);
});
