/**
 * The box office's search over an event's tickets (issue 17): one free-text `q` as a person types it at
 * the counter, turned into the SQL condition of the ways a ticket can be named — its order's full id,
 * its serial number, the first or last characters of its order id as a customer reads them off a
 * confirmation, or its holder's name. A ticket matches when any of them does; the event, its tenant and
 * the other filters still apply (./tickets.ts), so the search never reaches past the caller's event.
 * The route checks the text first (not empty, at most MAX_QUERY_LENGTH, no control characters).
 */
import { type AnyColumn, eq, or, type SQL, sql } from 'drizzle-orm';
import { tickets } from '../../db/schema';

/** The longest query worth running: longer than any name or id a person reads out. */
export const MAX_QUERY_LENGTH = 100;

/** The fewest order-id characters that count as a reference (fewer would match most orders). */
export const MIN_ORDER_FRAGMENT = 4;

const FULL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// A fragment of an order id as typed: hex digits, perhaps with the id's own hyphens.
const ORDER_FRAGMENT = /^[0-9a-f-]+$/;
const SERIAL = /^\d{1,10}$/;
const MAX_SERIAL = 4_294_967_295;
/** `text` as a LIKE pattern that matches it literally (`\` is PostgreSQL's default LIKE escape). */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Case-insensitive "contains `text`", with `%` and `_` in it meaning themselves. */
export function ilikeContains(column: AnyColumn, text: string): SQL {
  return sql`${column} ilike ${`%${likeLiteral(text)}%`}`;
}

/** The order id as 32 hex digits, the form a fragment is compared with (the hyphens are not typed). */
const orderHex = sql`replace(${tickets.orderId}::text, '-', '')`;

/**
 * The condition "this ticket is what `q` names" (q already checked by the route). Never undefined:
 * a query that can name nothing is `false`, not "no condition".
 */
export function ticketSearchCondition(q: string): SQL {
  const text = q.trim();
  const lower = text.toLowerCase();
  const matches: SQL[] = [];
  if (FULL_UUID.test(lower)) matches.push(eq(tickets.orderId, lower));
  if (SERIAL.test(text) && Number(text) >= 1 && Number(text) <= MAX_SERIAL) {
    matches.push(eq(tickets.serial, Number(text)));
  }
  const hex = lower.replaceAll('-', '');
  // A full id with its hyphens is the equality above (the order index); all 32 digits typed without
  // them are a fragment as long as the id.
  if (
    !FULL_UUID.test(lower) &&
    ORDER_FRAGMENT.test(lower) &&
    hex.length >= MIN_ORDER_FRAGMENT &&
    hex.length <= 32
  ) {
    // Hex digits only here, so nothing in the pattern needs escaping.
    matches.push(sql`(${orderHex} like ${`${hex}%`} or ${orderHex} like ${`%${hex}`})`);
  }
  matches.push(ilikeContains(tickets.holderName, text));
  return or(...matches) ?? sql`false`;
}
