/**
 * The occupancy invariants of the fault simulation (issue 18) over planted states: a clean state passes;
 * a gate that missed a record, a cloud SQL count off by one, an exit out of nowhere counted as a zone,
 * more holders than tickets — each is named, on the side it happened.
 */
import { describe, expect, it } from 'vitest';
import {
  type OccupancyState,
  occupancyBounds,
  occupancyConverge,
  type TicketRecord,
} from './occupancy-checks';

const T = Date.UTC(2026, 5, 1, 19);
const rec = (
  origin: string,
  originSeq: number,
  serial: number,
  direction: 'in' | 'out',
  at: number,
): TicketRecord => ({
  origin,
  originSeq,
  serial,
  direction,
  at,
  gateId: `gate-${origin}`,
});

const RECORDS = [
  rec('a', 1, 1, 'in', T),
  rec('b', 1, 2, 'in', T + 1),
  rec('a', 2, 1, 'out', T + 2),
  rec('b', 2, 3, 'in', T + 3),
];

function state(patch: Partial<OccupancyState> = {}): { occupancy: OccupancyState } {
  return {
    occupancy: {
      defaultZone: 'venue',
      ticketsIssued: 10,
      cloud: RECORDS,
      cloudSql: { venue: 2 },
      gates: [
        { gate: 0, records: [...RECORDS].reverse() },
        { gate: 1, records: [...RECORDS, RECORDS[0]!] }, // a duplicate changes nothing
      ],
      ...patch,
    },
  };
}

describe('occupancy invariants', () => {
  it('a healed venue whose sides hold the same records passes, whatever their order', () => {
    expect(occupancyBounds(state())).toEqual([]);
    expect(occupancyConverge(state())).toEqual([]);
  });

  it('a gate that missed a record does not converge, and is named', () => {
    const found = occupancyConverge(state({ gates: [{ gate: 1, records: RECORDS.slice(0, 3) }] }));
    expect(found).toEqual([
      expect.objectContaining({
        invariant: 'occupancy-converge',
        gate: 1,
        message: expect.stringContaining('{"venue":1}'),
      }),
    ]);
  });

  it('a cloud SQL count that is not its records’ fold is named', () => {
    const found = occupancyConverge(state({ cloudSql: { venue: 3 } }));
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toMatch(/SQL occupancy \{"venue":3\}/);
  });

  it('more holders inside than tickets issued breaks the bounds', () => {
    const found = occupancyBounds(state({ ticketsIssued: 1 }));
    expect(found.map((v) => v.message)).toContain('cloud: 2 holders inside, but only 1 tickets issued');
    expect(found.filter((v) => v.gate !== undefined)).toHaveLength(2);
  });

  it('zones: a record moving into a zone counts there, and the lounge holds no one never admitted to it', () => {
    const moved = [
      rec('a', 1, 1, 'in', T),
      { ...rec('a', 2, 1, 'in', T + 1), fromZone: 'hall', toZone: 'lounge' },
      rec('a', 3, 2, 'in', T + 2),
    ];
    const zoned = state({
      defaultZone: 'hall',
      cloud: moved,
      cloudSql: { hall: 1, lounge: 1 },
      gates: [{ gate: 0, records: moved }],
    });
    expect(occupancyBounds(zoned)).toEqual([]);
    expect(occupancyConverge(zoned)).toEqual([]);
  });
});
