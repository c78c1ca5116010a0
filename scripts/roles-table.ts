/**
 * The README's table of roles — which operation each user role may call — generated from the OpenAPI
 * document the cloud serves, whose `x-roles` come from the same list as each route's own role check
 * (cloud/http/openapi.ts `bearerAccess`). `npx tsx scripts/roles-table.ts` prints it;
 * scripts/roles-table.test.ts fails when README.md's copy differs, so the table cannot drift.
 */
import { servedOpenApiDocument } from './openapi-document';

const ROLES = ['admin', 'venue_staff', 'customer', 'ops'] as const;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface Operation {
  summary?: string;
  'x-roles'?: string[];
}

/** Markdown: one row per user operation (device and public ones are not for users), ✓ per role. */
export function rolesTable(document: Record<string, unknown>): string {
  const paths = document.paths as Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
  const rows: string[] = [];
  for (const [path, operations] of Object.entries(paths)) {
    for (const method of METHODS) {
      const roles = operations[method]?.['x-roles'];
      if (!roles) continue;
      const marks = ROLES.map((role) => (roles.includes(role) ? '✓' : ''));
      rows.push(`| \`${method.toUpperCase()} ${path.replace('/api/v1', '')}\` | ${marks.join(' | ')} |`);
    }
  }
  return [`| operation | ${ROLES.join(' | ')} |`, `|---|${ROLES.map(() => ':-:').join('|')}|`, ...rows].join(
    '\n',
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${rolesTable(await servedOpenApiDocument())}\n`);
}
