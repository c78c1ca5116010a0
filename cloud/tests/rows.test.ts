/**
 * cloud/db/rows.ts without a database: raw rows as node-postgres and PGlite hand them over (bigint and
 * numeric as text, timestamps as Date) read through schemas, and rows that do not fit refused.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseRows, sqlCount, sqlInstant, sqlNumber } from '../db/rows';

const Row = z.object({ seq: sqlNumber, n: sqlCount, at: sqlInstant.nullable() });

describe('parseRows', () => {
  it('reads bigint text, numbers and timestamps of either driver', () => {
    const at = '2027-06-01T21:14:03.250Z';
    expect(
      parseRows(Row, {
        rows: [
          { seq: '9007199254740991', n: 3, at: new Date(at) },
          { seq: 42, n: 0, at: '2027-06-01 21:14:03.25+00' },
          { seq: 7n, n: 1, at: null },
        ],
      }),
    ).toEqual([
      { seq: 9007199254740991, n: 3, at },
      { seq: 42, n: 0, at },
      { seq: 7, n: 1, at: null },
    ]);
    expect(parseRows(Row, { rows: [], command: 'SELECT' })).toEqual([]);
  });

  it('refuses a row that does not fit, and a result that is not one', () => {
    expect(() => parseRows(Row, { rows: [{ seq: null, n: 1, at: null }] })).toThrow(z.ZodError);
    expect(() => parseRows(Row, { rows: [{ seq: 'twelve', n: 1, at: null }] })).toThrow(z.ZodError);
    expect(() => parseRows(Row, { rows: [{ seq: 1, n: '1', at: null }] })).toThrow(z.ZodError);
    expect(() => parseRows(Row, { rows: [{ seq: 1, n: 1 }] })).toThrow(z.ZodError);
    expect(() => parseRows(Row, { rows: [{ seq: 1, n: 1, at: 'not a time' }] })).toThrow(z.ZodError);
    expect(() => parseRows(Row, [{ seq: 1, n: 1, at: null }])).toThrow(z.ZodError);
  });
});
