/**
 * Arrived / sold / inside (services/operations/arrivals.ts) agree with the shared fold: a mixed admission
 * history — entries, exits, re-entries, several gates and origins, ties on the corrected time, records
 * stored in an order other than their time order — is written to the cloud's admissions table, and the
 * SQL's per-ticket answer is compared with folding each ticket's rows in TypeScript with
 * shared/admission/history.ts. The ties are chosen so that any other order (stored order, origin or
 * origin_seq reversed, time ignored) gives a different answer for at least one ticket.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AdmissionRecord, admissionStateOf } from '../../shared/admission/history';
import { parseRows, sqlNumber } from '../db/rows';
import { ticketPresence } from '../services/operations';
import { issueTicketsInBulk } from '../test-support/bulk-tickets';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';

let cloud: TestCloud;
let seeded: SeededEvent;

beforeAll(async () => {
  cloud = await createTestCloud();
  seeded = await seedEvent(cloud, { capacities: [100, 50] });
});
afterAll(async () => {
  await cloud?.close();
});

type Row = Omit<AdmissionRecord, 'gateId'> & { serial: number; gate: 0 | 1 };

/** Writes the rows in the order given (their `seq` is that order, NOT their time order). */
async function writeHistory(rows: Row[]) {
  for (const [index, row] of rows.entries()) {
    await cloud.services.db.execute(sql`insert into admissions (event_id, seq, tenant_id, serial, origin, origin_seq,
        direction, at_ms, gate_id, gate_name, unconfirmed, source, created_at)
      values (${seeded.eventId}, ${1_000_000 + index}, ${seeded.tenant}, ${row.serial}, ${row.origin}, ${row.originSeq},
        ${row.direction}, ${row.at}, ${seeded.gateIds[row.gate]}, null, false, 'gate', now())`);
  }
}

describe('arrived and inside from the admission history', () => {
  it('matches the shared fold ticket by ticket on a mixed history, and counts per ticket type', async () => {
    const standard = await issueTicketsInBulk(cloud, seeded, 10);
    const s = standard.map((t) => t.serial);
    await buyTickets(cloud, seeded, { typeIndex: 1, quantity: 2 });
    const vipRows = parseRows(
      z.object({ serial: sqlNumber }),
      await cloud.services.db.execute(
        sql`select serial from tickets where ticket_type_id = ${seeded.ticketTypeIds[1]!} order by serial`,
      ),
    );
    const v = vipRows.map((r) => r.serial);
    const t = 1_800_000_000_000;
    // Origins: two devices and the cloud. 'Gate-Z' sorts BEFORE 'cloud' by code unit ('G' < 'c').
    const [A, B, Z, C] = ['a-device', 'b-device', 'Gate-Z', 'cloud'];
    const history: Row[] = [
      // s0: in then out at the SAME time; origin decides before origin_seq: a-device < b-device → in,
      // out → outside (by origin_seq first it would be out, in → inside).
      { serial: s[0]!, origin: B, originSeq: 1, direction: 'out', at: t, gate: 1 },
      { serial: s[0]!, origin: A, originSeq: 9, direction: 'in', at: t, gate: 0 },
      // s1: same origin, same time; origin_seq decides: out (2) then in (3) → inside.
      { serial: s[1]!, origin: A, originSeq: 3, direction: 'in', at: t + 5, gate: 0 },
      { serial: s[1]!, origin: A, originSeq: 2, direction: 'out', at: t + 5, gate: 0 },
      // s2: stored out-of-time: the later entry is stored first → by time: out, in → inside.
      { serial: s[2]!, origin: B, originSeq: 2, direction: 'in', at: t + 10_000, gate: 1 },
      { serial: s[2]!, origin: C, originSeq: 1, direction: 'out', at: t + 5_000, gate: 0 },
      // s3: an exit only (a gate in exit mode scanned it): never arrived.
      { serial: s[3]!, origin: A, originSeq: 4, direction: 'out', at: t, gate: 0 },
      // s4: in at North, out, re-entry at VIP → inside; three origins.
      { serial: s[4]!, origin: A, originSeq: 5, direction: 'in', at: t + 1, gate: 0 },
      { serial: s[4]!, origin: B, originSeq: 3, direction: 'out', at: t + 2, gate: 1 },
      { serial: s[4]!, origin: C, originSeq: 2, direction: 'in', at: t + 3, gate: 1 },
      // s5: in, out → arrived, outside.
      { serial: s[5]!, origin: C, originSeq: 3, direction: 'in', at: t + 1, gate: 0 },
      { serial: s[5]!, origin: A, originSeq: 6, direction: 'out', at: t + 9, gate: 0 },
      // s6: tie between 'cloud' (out) and 'Gate-Z' (in): Gate-Z < cloud → in, out → outside.
      { serial: s[6]!, origin: C, originSeq: 4, direction: 'out', at: t + 7, gate: 0 },
      { serial: s[6]!, origin: Z, originSeq: 1, direction: 'in', at: t + 7, gate: 1 },
      // s7: a double entry (partition) → inside.
      { serial: s[7]!, origin: A, originSeq: 7, direction: 'in', at: t + 4, gate: 0 },
      { serial: s[7]!, origin: B, originSeq: 4, direction: 'in', at: t + 4, gate: 1 },
      // s8: the mirror of s1, stored lowest origin_seq first: in (10) then out (11) → outside. s1 and
      // s8 together catch an order without origin_seq, whichever way the database breaks the tie.
      { serial: s[8]!, origin: A, originSeq: 10, direction: 'in', at: t + 6, gate: 0 },
      { serial: s[8]!, origin: A, originSeq: 11, direction: 'out', at: t + 6, gate: 0 },
      // s9: never scanned.
      // v0: VIP inside; v1: VIP revoked after entering → not sold, so neither arrived nor inside.
      { serial: v[0]!, origin: B, originSeq: 5, direction: 'in', at: t + 2, gate: 1 },
      { serial: v[1]!, origin: B, originSeq: 6, direction: 'in', at: t + 2, gate: 1 },
    ];
    await writeHistory(history);

    // The fold, ticket by ticket.
    const expected = new Map<number, { arrived: boolean; inside: boolean }>();
    for (const serial of new Set(history.map((r) => r.serial))) {
      const rows = history
        .filter((r) => r.serial === serial)
        .map((r) => ({ ...r, gateId: seeded.gateIds[r.gate]! }));
      expected.set(serial, {
        arrived: rows.some((r) => r.direction === 'in'),
        inside: admissionStateOf(rows).inside,
      });
    }
    const actual = await ticketPresence(cloud.services, { id: seeded.eventId, tenantId: seeded.tenant });
    expect(new Map(actual.map((p) => [p.serial, { arrived: p.arrived, inside: p.inside }]))).toEqual(
      expected,
    );
    // The cases the ties are there for, spelled out (a wrong order flips at least one).
    expect(expected.get(s[0]!)?.inside).toBe(false);
    expect(expected.get(s[1]!)?.inside).toBe(true);
    expect(expected.get(s[2]!)?.inside).toBe(true);
    expect(expected.get(s[6]!)?.inside).toBe(false);
    expect(expected.get(s[8]!)?.inside).toBe(false);

    // v1 revoked (as a refund does): no longer sold.
    await cloud.services.db.execute(
      sql`update tickets set status = 'revoked', revoked_reason = 'refunded' where event_id = ${seeded.eventId} and serial = ${v[1]!}`,
    );
    const operations = await cloud.call('GET', `/api/v1/events/${seeded.eventId}/operations`, {
      token: seeded.adminToken,
    });
    expect(operations.status).toBe(200);
    const arrivals = operations.body.arrivals;
    expect(arrivals.byTicketType).toEqual([
      {
        ticketTypeId: seeded.ticketTypeIds[0],
        typeNo: 1,
        name: 'Standard',
        sold: 10,
        arrived: 8, // s0, s1, s2, s4, s5, s6, s7, s8
        inside: 4, // s1, s2, s4, s7
      },
      { ticketTypeId: seeded.ticketTypeIds[1], typeNo: 2, name: 'Type 2', sold: 1, arrived: 1, inside: 1 },
    ]);
    expect(arrivals).toMatchObject({ sold: 11, arrived: 9, inside: 5 });
  });
});
