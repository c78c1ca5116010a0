/**
 * Who is asking: the authenticated user as services see it (no HTTP types). Roles are exactly those of
 * SPEC section 3. Also the one place the rule "ops sees every tenant" is written as a query condition.
 */
import { type AnyColumn, eq, type SQL, type SQLWrapper, sql } from 'drizzle-orm';

export const ROLES = ['customer', 'venue_staff', 'admin', 'ops'] as const;
export type Role = (typeof ROLES)[number];

/** The caller of a service: user id (`sub`), tenant (`tid`) and role from a verified JWT. */
export interface Actor {
  userId: string;
  tenantId: string;
  role: Role;
}

/**
 * The rows of `column`'s table the actor may see: every tenant's for ops (undefined, which `and(…)`
 * drops), otherwise `column = the actor's tenant`. `column` is a table column, or `sql\`alias.tenant_id\``.
 */
export function tenantScope(actor: Actor, column: AnyColumn | SQLWrapper): SQL | undefined {
  return actor.role === 'ops' ? undefined : eq(column, actor.tenantId);
}

/** `tenantScope` for a raw SQL template, where nothing can be dropped: `true` for ops. */
export function tenantScopeSql(actor: Actor, column: AnyColumn | SQLWrapper): SQL {
  return tenantScope(actor, column) ?? sql`true`;
}
