/**
 * Keyset pagination for every list (SPEC section 4: `{items, nextCursor}` with `?limit=&cursor=`). The
 * cursor is the last id seen, opaque to clients; ids are UUIDv7 so id order is creation order.
 */
import { type AnyColumn, and, asc, gt, type SQL } from 'drizzle-orm';
import type { PgSelect } from 'drizzle-orm/pg-core';
import { fail, type Result } from '../errors';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageRequest {
  limit?: number | undefined;
  cursor?: string | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Opaque cursor for the row after which the next page starts. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

/** The id inside a cursor, or a VALIDATION_FAILED outcome for a cursor we did not make. */
export function decodeCursor(cursor: string | undefined): Result<{ afterId: string | undefined }> {
  if (cursor === undefined || cursor === '') return { ok: true, afterId: undefined };
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!UUID.test(id)) return fail('VALIDATION_FAILED', 'cursor: not a cursor returned by this API');
  return { ok: true, afterId: id };
}

/** Number of rows to fetch: one more than the page to learn whether a next page exists. */
export function pageSize(limit: number | undefined): number {
  return Math.min(Math.max(limit ?? DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE);
}

/** Cuts the over-fetched rows to a page and computes its cursor. */
export function toPage<R extends { id: string }, T>(rows: R[], size: number, map: (row: R) => T): Page<T> {
  const more = rows.length > size;
  const pageRows = more ? rows.slice(0, size) : rows;
  const last = pageRows[pageRows.length - 1];
  return { items: pageRows.map(map), nextCursor: more && last ? encodeCursor(last.id) : null };
}

/**
 * One keyset page of a list: `query` is the list's `select … from …` in dynamic mode; this adds its
 * conditions (`where`: tenant scope and filters) and the cursor's `id > …`, orders by id and fetches one
 * row more than the page to learn whether a next page exists.
 */
export async function keysetPage<Q extends PgSelect & PromiseLike<Array<{ id: string }>>, V>(
  query: Q,
  id: AnyColumn,
  where: SQL | undefined,
  request: PageRequest,
  view: (row: Awaited<Q>[number]) => V,
): Promise<Result<{ page: Page<V> }>> {
  const cursor = decodeCursor(request.cursor);
  if (!cursor.ok) return cursor;
  const size = pageSize(request.limit);
  const after = cursor.afterId ? gt(id, cursor.afterId) : undefined;
  const rows: Awaited<Q> = await query
    .where(and(where, after))
    .orderBy(asc(id))
    .limit(size + 1);
  return { ok: true, page: toPage(rows, size, view) };
}
