/** The store's fast checksum equals the protocol's reference on any rows, in any order. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatChecksum, manifestChecksum, manifestRowHash } from '../../shared/sync-protocol/index';
import { formatXor, parseXor, xorRow } from './checksum';

const row = fc.record({
  serial: fc.integer({ min: 1, max: 0xffff_ffff }),
  typeNo: fc.integer({ min: 0, max: 0xffff }),
  generation: fc.integer({ min: 0, max: 0xffff }),
  status: fc.constantFrom('valid' as const, 'revoked' as const),
  digest: fc.oneof(fc.constant(''), fc.string({ minLength: 22, maxLength: 22 })),
});

describe('incremental manifest checksum', () => {
  it('equals manifestChecksum, and removing a row undoes adding it', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 50 }), row, (rows, extra) => {
        const acc = { hi: 0, lo: 0 };
        for (const r of rows) xorRow(acc, r);
        expect(formatXor(acc)).toBe(manifestChecksum(rows));
        const before = formatXor(acc);
        xorRow(acc, extra);
        expect(formatXor(acc)).toBe(formatChecksum(BigInt(`0x${before}`) ^ manifestRowHash(extra)));
        xorRow(acc, extra);
        expect(formatXor(acc)).toBe(before);
        expect(formatXor(parseXor(before))).toBe(before);
      }),
    );
  });
});
