/** The hand-written ticket-row check accepts and rejects exactly what the protocol's zod schema does. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManifestTicket } from '../../shared/sync-protocol/index';
import { parseManifestTicket } from './manifest-apply';

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
    Number.MAX_SAFE_INTEGER + 2,
  ),
  fc.constantFrom('valid', 'revoked', 'VALID', '', '1', null, undefined, true, [], {}),
  fc.string({ maxLength: 40 }),
);

describe('parseManifestTicket', () => {
  it('agrees with ManifestTicket.safeParse on valid, boundary and garbage rows', () => {
    const row = fc.record(
      { seq: edgy, serial: edgy, typeNo: edgy, generation: edgy, status: edgy, digest: edgy, extra: edgy },
      { requiredKeys: [] },
    );
    const valid = fc.record({
      seq: fc.integer({ min: 1, max: 2 ** 40 }),
      serial: fc.integer({ min: 1, max: 0xffff_ffff }),
      typeNo: fc.integer({ min: 0, max: 0xffff }),
      generation: fc.integer({ min: 0, max: 0xffff }),
      status: fc.constantFrom('valid', 'revoked'),
      digest: fc.string({ maxLength: 33 }),
    });
    fc.assert(
      fc.property(fc.oneof(row, valid, fc.anything()), (value) => {
        const reference = ManifestTicket.safeParse(value);
        const mine = parseManifestTicket(value);
        expect(mine).toEqual(reference.success ? reference.data : undefined);
      }),
      { numRuns: 2000 },
    );
  });
});
