/**
 * The manifest checksum must be the same number in PostgreSQL (where the cloud computes it) and in
 * the gate (where it is kept row by row). Checked against real SQL: PGlite always, and the PostgreSQL
 * of TEST_DATABASE_URL when set.
 */
import { PGlite } from '@electric-sql/pglite';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatChecksum, type ManifestTicket, manifestChecksum, manifestRowHash } from './index';

const SQL = `select lpad(to_hex(bit_xor(('x' || encode(substring(sha256(convert_to(
  serial || '|' || type_no || '|' || generation || '|' || status || '|' || digest, 'UTF8')) from 1 for 8), 'hex'))::bit(64)::bigint)), 16, '0') as checksum,
  count(*)::int as rows
  from (select * from jsonb_to_recordset($1::jsonb) as t(serial bigint, type_no int, generation int, status text, digest text)) rows`;

type Row = Pick<ManifestTicket, 'serial' | 'typeNo' | 'generation' | 'status' | 'digest'>;
const toSql = (rows: Row[]) =>
  JSON.stringify(
    rows.map((r) => ({
      serial: r.serial,
      type_no: r.typeNo,
      generation: r.generation,
      status: r.status,
      digest: r.digest,
    })),
  );

const rowArb: fc.Arbitrary<Row> = fc.record({
  serial: fc.integer({ min: 1, max: 0xffff_ffff }),
  typeNo: fc.integer({ min: 0, max: 0xffff }),
  generation: fc.integer({ min: 0, max: 0xffff }),
  status: fc.constantFrom('valid' as const, 'revoked' as const),
  digest: fc.string({ unit: fc.constantFrom(...'ABCxyz019_-'), minLength: 0, maxLength: 22 }),
});

describe('manifest checksum', () => {
  const engines: Array<{
    name: string;
    query: (sql: string, params: unknown[]) => Promise<{ checksum: string | null }>;
  }> = [];
  let lite: PGlite;
  let pool: pg.Pool | undefined;

  beforeAll(async () => {
    lite = new PGlite();
    engines.push({
      name: 'PGlite',
      query: async (sql, params) => (await lite.query<{ checksum: string | null }>(sql, params)).rows[0]!,
    });
    if (process.env.TEST_DATABASE_URL) {
      pool = new pg.Pool({ connectionString: process.env.TEST_DATABASE_URL, max: 2 });
      engines.push({
        name: 'PostgreSQL',
        query: async (sql, params) => (await pool!.query(sql, params)).rows[0],
      });
    }
  });
  afterAll(async () => {
    await lite.close();
    await pool?.end();
  });

  it('is order-independent and updates row by row', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 1, maxLength: 30 }), rowArb, (rows, replacement) => {
        expect(manifestChecksum([...rows].reverse())).toBe(manifestChecksum(rows));
        // Replacing row 0 incrementally equals recomputing from scratch.
        let xor = BigInt(`0x${manifestChecksum(rows)}`);
        xor ^= manifestRowHash(rows[0]!) ^ manifestRowHash(replacement);
        expect(formatChecksum(xor)).toBe(manifestChecksum([replacement, ...rows.slice(1)]));
      }),
    );
  });

  it('equals the SQL the cloud runs, on every engine available', async () => {
    expect(engines.length).toBeGreaterThanOrEqual(process.env.TEST_DATABASE_URL ? 2 : 1);
    const samples = fc.sample(fc.array(rowArb, { minLength: 1, maxLength: 50 }), 25);
    for (const engine of engines) {
      for (const rows of samples) {
        const { checksum } = await engine.query(SQL, [toSql(rows)]);
        expect(checksum, engine.name).toBe(manifestChecksum(rows));
      }
    }
  });
});
