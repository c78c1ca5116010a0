/**
 * Rows of a raw `execute()` result, read through a zod schema. node-postgres and PGlite both answer raw
 * SQL with `{ rows }`, but what the rows hold is the database's word, not the type system's: bigint
 * columns may come back as text, jsonb as a string or a value. Parsing states what a query must return
 * and fails loudly (a ZodError, a 500) instead of carrying a wrong shape further.
 */
import { z } from 'zod';

/** The rows of `result`, each parsed by `row`. */
export function parseRows<T extends z.ZodType>(row: T, result: unknown): z.output<T>[] {
  return z.object({ rows: z.array(row) }).parse(result).rows;
}

/** A bigint or numeric column: a number, or its decimal text. */
export const dbNumber = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number),
]);
