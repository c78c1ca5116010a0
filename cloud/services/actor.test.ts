/** The tenant scope: ops sees every tenant, every other role only its own (as SQL, rendered). */
import { sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { events } from '../db/schema';
import { type Actor, ROLES, tenantScope, tenantScopeSql } from './actor';

const dialect = new PgDialect();
const actor = (role: Actor['role']): Actor => ({ userId: 'u-1', tenantId: 'tenant-a', role });

describe('tenantScope', () => {
  it('is no condition for ops', () => {
    expect(tenantScope(actor('ops'), events.tenantId)).toBeUndefined();
    expect(dialect.sqlToQuery(tenantScopeSql(actor('ops'), sql`o.tenant_id`))).toEqual({
      sql: 'true',
      params: [],
    });
  });

  it('is the actor’s own tenant for every other role, on a column or a raw expression', () => {
    for (const role of ROLES.filter((r) => r !== 'ops')) {
      const onColumn = tenantScope(actor(role), events.tenantId);
      expect(onColumn && dialect.sqlToQuery(onColumn)).toMatchObject({
        sql: '"events"."tenant_id" = $1',
        params: ['tenant-a'],
      });
      expect(dialect.sqlToQuery(tenantScopeSql(actor(role), sql`o.tenant_id`))).toMatchObject({
        sql: 'o.tenant_id = $1',
        params: ['tenant-a'],
      });
    }
  });
});
