/**
 * Online validation's fast path (issue 19): a scan is decided from a plain read and an accept is written
 * by one database function, record_online_admission (migration 0014), which re-checks the read under the
 * ticket's lock. Here: the function writes nothing and answers `stale` when the ticket, its history or
 * the event moved since the read; what it writes is numbered like every admission record and keeps the
 * event's count and checksum equal to the records' (the TypeScript hash, which gates check pages with).
 * Ten stewards racing for one ticket (tests/concurrency.test.ts) exercise its `stale` answer end to end.
 */

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ADMISSION_XOR_SQL, ADMISSION_XOR_TERM_SQL, admissionTotalsOf } from '../../shared/sync-protocol';
import { parseRows, sqlCount, sqlNumber } from '../db/rows';
import { admissionsAfter, checksumOfXor } from '../services/admissions';
import { type OnlineAdmission, recordOnlineAdmission } from '../services/online-admission';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';

let cloud: TestCloud;

beforeAll(async () => {
  cloud = await createTestCloud();
});

afterAll(async () => {
  await cloud?.close();
});

const Counts = z.object({ scans: sqlCount, admissions: sqlCount, head: sqlNumber });

async function countsOf(eventId: string) {
  const [row] = parseRows(
    Counts,
    await cloud.database.db.execute(sql`
      select (select count(*)::int from scans where event_id = ${eventId}::uuid) as scans,
             (select count(*)::int from admissions where event_id = ${eventId}::uuid) as admissions,
             (select change_seq from events where id = ${eventId}::uuid) as head`),
  );
  return { scans: row!.scans, admissions: row!.admissions, head: row!.head };
}

const Ticket = z.object({
  id: z.string(),
  serial: sqlNumber,
  generation: z.number(),
  status: z.string(),
  digest: z.string(),
});

/** A bought ticket as the decision would have read it, and an accept of it at the event's first gate. */
async function acceptOf(seeded: SeededEvent): Promise<OnlineAdmission> {
  const { purchase } = await buyTickets(cloud, seeded);
  const [ticket] = parseRows(
    Ticket,
    await cloud.database.db.execute(sql`
      select id, serial, generation, status, digest from tickets where id = ${purchase.tickets[0].id}::uuid`),
  );
  return {
    tenantId: seeded.tenant,
    eventId: seeded.eventId,
    ticket: ticket!,
    historyCount: 0,
    scanId: randomUUID(),
    gate: { id: seeded.gateIds[0]!, name: 'North' },
    staffUserId: 'steward-1',
    direction: 'in',
    reason: 'OK',
    scannedAt: new Date(cloud.now()),
    atMs: cloud.now(),
  };
}

describe('record_online_admission', () => {
  it('answers stale and writes nothing when the ticket, its history or the event moved', async () => {
    const seeded = await seedEvent(cloud);
    const accept = await acceptOf(seeded);
    const before = await countsOf(seeded.eventId);
    const db = cloud.database.db;

    expect(await recordOnlineAdmission(db, { ...accept, historyCount: 1 })).toBe('stale');
    expect(await recordOnlineAdmission(db, { ...accept, ticket: { ...accept.ticket, generation: 2 } })).toBe(
      'stale',
    );
    expect(
      await recordOnlineAdmission(db, { ...accept, ticket: { ...accept.ticket, digest: 'other' } }),
    ).toBe('stale');
    expect(await recordOnlineAdmission(db, { ...accept, tenantId: 'someone-else' })).toBe('stale');
    expect(await countsOf(seeded.eventId)).toEqual(before);

    // The read was right: one scan, one record numbered at the next change, origin cloud.
    expect(await recordOnlineAdmission(db, accept)).toBe('ok');
    const after = await countsOf(seeded.eventId);
    expect(after).toEqual({
      scans: before.scans + 1,
      admissions: before.admissions + 1,
      head: before.head + 1,
    });
    const [record] = await admissionsAfter(
      db,
      { tenantId: seeded.tenant, eventId: seeded.eventId },
      { after: 0, upTo: after.head, limit: 10 },
    );
    expect(record).toMatchObject({
      seq: after.head,
      serial: accept.ticket.serial,
      origin: 'cloud',
      direction: 'in',
      at: accept.atMs,
      gateId: seeded.gateIds[0],
    });

    // The same read again is stale now: its own record is in the history.
    expect(await recordOnlineAdmission(db, { ...accept, scanId: randomUUID() })).toBe('stale');

    // A cancelled event admits nobody: stale, so the scan is decided again (EVENT_CANCELLED).
    const next = await acceptOf(seeded);
    const cancelled = await cloud.call('POST', `/api/v1/events/${seeded.eventId}/cancel`, {
      token: seeded.adminToken,
      body: { reason: 'storm' },
    });
    expect(cancelled.status).toBe(200);
    const atCancel = await countsOf(seeded.eventId);
    expect(await recordOnlineAdmission(db, next)).toBe('stale');
    expect(await countsOf(seeded.eventId)).toEqual(atCancel);
  });

  it('keeps the event’s count and checksum equal to its records’, through /validate', async () => {
    cloud.advance(-2 * 3600_000);
    const seeded = await seedEvent(cloud);
    const { purchase } = await buyTickets(cloud, seeded, { quantity: 3 });
    cloud.advance(2 * 3600_000);
    try {
      const staff = await cloud.token('venue_staff', seeded.tenant);
      for (const [i, ticket] of purchase.tickets.entries()) {
        for (const direction of ['in', 'out', 'in'] as const) {
          cloud.advance(1000);
          const answer = await cloud.call('POST', '/api/v1/validate', {
            token: staff,
            body: { qr: ticket.qr, gateId: seeded.gateIds[i % 2], direction },
          });
          expect([answer.status, answer.body.decision]).toEqual([200, 'accept']);
        }
      }
      const db = cloud.database.db;
      const { head } = await countsOf(seeded.eventId);
      const records = await admissionsAfter(
        db,
        { tenantId: seeded.tenant, eventId: seeded.eventId },
        { after: 0, upTo: head, limit: 100 },
      );
      expect(records).toHaveLength(9);
      // Cloud records are numbered 1, 2, … in the order they were made.
      expect(records.map((r) => r.originSeq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const totals = admissionTotalsOf(records);
      const [kept] = parseRows(
        z.object({ n: sqlNumber, xor: z.union([z.string(), z.number(), z.bigint()]) }),
        await db.execute(sql`
          select admission_count as n, admission_xor as xor from events where id = ${seeded.eventId}::uuid`),
      );
      expect({ count: Number(kept!.n), checksum: checksumOfXor(kept!.xor) }).toEqual(totals);
    } finally {
      cloud.advance(-2 * 3600_000);
    }
  });

  it('hashes a record with the checksum term shared/sync-protocol defines', () => {
    // The function as migration 0015 left it: the term taken from the inserted row (RETURNING).
    const migration = readFileSync(
      new URL('../../migrations/cloud/0015_online_admission_xor_returning.sql', import.meta.url),
      'utf8',
    );
    expect(migration).toContain(`RETURNING ${ADMISSION_XOR_TERM_SQL} INTO v_xor`);
    expect(ADMISSION_XOR_SQL).toBe(`bit_xor(${ADMISSION_XOR_TERM_SQL})`);
  });
});
