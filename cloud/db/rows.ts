/**
 * Rows of raw SQL (`db.execute(sql`…`)`) read through zod schemas instead of cast to a hoped-for type:
 * node-postgres and PGlite answer `{ rows }` of untyped values, and the two drivers do not even agree on
 * every type (bigint and numeric arrive as strings from node-postgres). A row that does not fit its
 * schema is a bug between the SQL and the code reading it, so it throws (a 500 with the cause logged)
 * rather than travelling on as a wrong number.
 *
 * The column schemas below name the conversions the services need, once.
 */
import { z } from 'zod';

const RawResult = z.object({ rows: z.array(z.unknown()) });

/** The rows of a raw `execute()` result, each parsed through `schema`. */
export function parseRows<Row extends z.ZodType>(schema: Row, result: unknown): z.output<Row>[] {
  return z.array(schema).parse(RawResult.parse(result).rows);
}

/**
 * A bigint, numeric or integer column as a JS number (node-postgres answers int8 and numeric as text
 * so as not to lose precision; every such value here — sequence numbers, serials, cents — is far below
 * 2^53).
 */
export const sqlNumber = z.union([z.number(), z.string(), z.bigint()]).pipe(z.coerce.number());

/** `count(*)::int` and other int4 columns: a number already on both drivers. */
export const sqlCount = z.number().int();

/** A timestamptz column (a Date from either driver, or text) as ISO 8601 UTC with milliseconds. */
export const sqlInstant = z
  .union([z.date(), z.string()])
  .pipe(z.coerce.date())
  .transform((d) => d.toISOString());
