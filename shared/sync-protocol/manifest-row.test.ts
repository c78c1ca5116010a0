/**
 * The manifest row contract (manifest-row.ts): its two validators accept and reject the same rows, its
 * two hash forms are one number, and the cloud's checksum SQL equals them — checked against real SQL:
 * PGlite always, and the PostgreSQL of TEST_DATABASE_URL when set.
 */
import { createHash } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  formatChecksum,
  formatXor64,
  MANIFEST_CHECKSUM_SQL,
  MANIFEST_HASHED_FIELDS,
  MANIFEST_ROW_FIELDS,
  type ManifestRowContent,
  ManifestTicket,
  manifestChecksum,
  manifestFieldPgType,
  manifestRowHash,
  parseManifestTicket,
  parseXor64,
  xorManifestRow,
} from './manifest-row';

/** The hashed fields as SQL rows of their own columns, built from the field table like the cloud's SQL. */
const RECORDSET = MANIFEST_HASHED_FIELDS.map(
  (f) => `${MANIFEST_ROW_FIELDS[f].column} ${manifestFieldPgType(f)}`,
).join(', ');
const SQL = `select ${MANIFEST_CHECKSUM_SQL} as checksum, count(*)::int as rows
  from (select * from jsonb_to_recordset($1::jsonb) as t(${RECORDSET})) rows`;

const toSql = (rows: ManifestRowContent[]) =>
  JSON.stringify(
    rows.map((r) =>
      Object.fromEntries(MANIFEST_HASHED_FIELDS.map((f) => [MANIFEST_ROW_FIELDS[f].column, r[f]])),
    ),
  );

const rowArb: fc.Arbitrary<ManifestRowContent> = fc.record(
  {
    serial: fc.integer({ min: 1, max: 0xffff_ffff }),
    typeNo: fc.integer({ min: 0, max: 0xffff }),
    generation: fc.integer({ min: 0, max: 0xffff }),
    status: fc.constantFrom('valid' as const, 'revoked' as const),
    digest: fc.oneof(
      fc.constant(''),
      fc.string({ minLength: 22, maxLength: 22 }),
      fc.string({ unit: fc.constantFrom(...'ABCxyz019_-'), minLength: 0, maxLength: 22 }),
    ),
    nameBox: fc.oneof(fc.constant(undefined), fc.constant(''), fc.string({ minLength: 1, maxLength: 40 })),
  },
  { requiredKeys: ['serial', 'typeNo', 'generation', 'status', 'digest'] },
);

/** SQL blanks the digest of a revoked row (the cloud keeps it in its tables); so do the gates' rows. */
const asGateHoldsIt = (r: ManifestRowContent): ManifestRowContent => {
  const { nameBox, ...rest } = r;
  if (r.status === 'revoked') return { ...rest, digest: '' };
  return nameBox ? { ...rest, nameBox } : rest;
};

/** zod's output with an optional field's "none" (null, '') dropped, as the fast validator returns it. */
const withoutEmptyOptional = (row: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(row).filter(([key, value]) => key !== 'nameBox' || value));

describe('manifest row validation', () => {
  const edgy = fc.oneof(
    fc.integer({ min: -2, max: 3 }),
    fc.constantFrom(
      0xffff,
      0x10000,
      0xffff_ffff,
      0x1_0000_0000,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.MAX_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER + 2,
    ),
    fc.constantFrom('valid', 'revoked', 'VALID', '', '1', null, undefined, true, [], {}),
    fc.string({ maxLength: 40 }),
  );

  it('the fast validator accepts and rejects exactly what the zod schema does, on valid, boundary and garbage rows', () => {
    const row = fc.record(
      {
        seq: edgy,
        serial: edgy,
        typeNo: edgy,
        generation: edgy,
        status: edgy,
        digest: edgy,
        nameBox: edgy,
        extra: edgy,
      },
      { requiredKeys: [] },
    );
    const valid = fc.record({
      seq: fc.integer({ min: 1, max: 2 ** 40 }),
      serial: fc.integer({ min: 1, max: 0xffff_ffff }),
      typeNo: fc.integer({ min: 0, max: 0xffff }),
      generation: fc.integer({ min: 0, max: 0xffff }),
      status: fc.constantFrom('valid', 'revoked'),
      digest: fc.string({ maxLength: 33 }),
      nameBox: fc.oneof(
        fc.constant(null),
        fc.string({ maxLength: 40 }),
        fc.string({ minLength: 610, maxLength: 614 }),
      ),
    });
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(row, valid, fc.anything()), (value) => {
        const reference = ManifestTicket.safeParse(value);
        const fast = parseManifestTicket(value);
        expect(fast).toEqual(reference.success ? withoutEmptyOptional(reference.data) : undefined);
        if (fast) accepted++;
      }),
      { numRuns: 2000 },
    );
    // Both sides of the comparison must have been exercised.
    expect(accepted).toBeGreaterThan(100);
  });

  it('drops unknown keys and keeps the fields in wire order; an optional field undefined unless it holds text', () => {
    const row = { digest: 'abc', extra: 1, status: 'valid', generation: 2, typeNo: 1, serial: 7, seq: 3 };
    expect(Object.keys(parseManifestTicket({ ...row, nameBox: 'hn1.x' })!)).toEqual(
      Object.keys(MANIFEST_ROW_FIELDS),
    );
    for (const none of [undefined, null, '']) {
      const parsed = parseManifestTicket({ ...row, nameBox: none })!;
      expect(parsed.nameBox).toBeUndefined();
      expect(JSON.stringify(parsed)).not.toContain('nameBox');
    }
  });
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

  it('the two-halves form equals the bigint form, and removing a row undoes adding it', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 50 }), rowArb, (rows, extra) => {
        const acc = { hi: 0, lo: 0 };
        for (const r of rows) xorManifestRow(acc, r);
        expect(formatXor64(acc)).toBe(manifestChecksum(rows));
        const before = formatXor64(acc);
        xorManifestRow(acc, extra);
        expect(formatXor64(acc)).toBe(formatChecksum(BigInt(`0x${before}`) ^ manifestRowHash(extra)));
        xorManifestRow(acc, extra);
        expect(formatXor64(acc)).toBe(before);
        expect(formatXor64(parseXor64(before))).toBe(before);
      }),
    );
  });

  it('hashes the canonical input "serial|typeNo|generation|status|digest"', () => {
    // A fixed vector: a change to the hash input is a protocol change every gate would see as a mismatch.
    const row = { serial: 17, typeNo: 1, generation: 2, status: 'valid' as const, digest: 'q3' };
    expect(formatChecksum(manifestRowHash(row))).toBe('ddf1943f026693bd');
    // A row without a name box hashes as it did before the field existed; one with a box adds "|box".
    expect(formatChecksum(manifestRowHash({ ...row, nameBox: '' }))).toBe('ddf1943f026693bd');
    expect(formatChecksum(manifestRowHash({ ...row, nameBox: 'hn1.AA' }))).toBe(
      formatChecksum(
        BigInt(`0x${createHash('sha256').update('17|1|2|valid|q3|hn1.AA').digest('hex').slice(0, 16)}`),
      ),
    );
  });

  it('equals the SQL the cloud runs, on every engine available', async () => {
    expect(engines.length).toBeGreaterThanOrEqual(process.env.TEST_DATABASE_URL ? 2 : 1);
    const samples = fc.sample(fc.array(rowArb, { minLength: 1, maxLength: 50 }), 25);
    for (const engine of engines) {
      for (const rows of samples) {
        const { checksum } = await engine.query(SQL, [toSql(rows)]);
        expect(checksum, engine.name).toBe(manifestChecksum(rows.map(asGateHoldsIt)));
        const acc = { hi: 0, lo: 0 };
        for (const r of rows) xorManifestRow(acc, asGateHoldsIt(r));
        expect(checksum, engine.name).toBe(formatXor64(acc));
      }
    }
  });
});
