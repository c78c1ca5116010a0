/**
 * Online decisions with zone rules (issue 18), at a hall + VIP lounge (restricted, capacity 2) + terrace
 * (no re-entry) venue: `/validate` and the box office's check-in move holders along the gates' passages,
 * refuse ZONE_NOT_ALLOWED, ZONE_FULL, a copy at the main door while the holder is in the lounge, and a
 * second entry into a no-re-entry zone; let everyone out whatever the zone they go back to holds; record
 * each move on its admission record (and only at a venue with zones); admit exactly one of two scans
 * racing for the last place; and keep the moves gates upload.
 *
 * seedEvent's clock: doors open at t0 + 1 h.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { admissions } from '../db/admissions-schema';
import { parseRows, sqlCount, sqlNumber } from '../db/rows';
import { eventOccupancy } from '../services/occupancy';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';
import { usingPostgres } from '../test-support/database';
import { enrollTestDevice } from '../test-support/devices';
import { scanRecord } from '../test-support/scan-records';

let cloud: TestCloud;
let seeded: SeededEvent;
let staff: string;
const zone = { hall: '', lounge: '', terrace: '' };
const gate = { main: '', lounge: '', terrace: '' };

type Bought = { id: string; qr: string };

beforeAll(async () => {
  cloud = await createTestCloud();
  seeded = await seedEvent(cloud, { capacities: [100, 20] });
  const admin = seeded.adminToken;
  const zones = `/api/v1/venues/${seeded.venueId}/zones`;
  const add = async (body: object) =>
    (await cloud.call('POST', zones, { token: admin, body })).body.id as string;
  zone.hall = await add({ name: 'Hall', capacity: 100 });
  zone.lounge = await add({ name: 'VIP lounge', capacity: 2, restricted: true });
  zone.terrace = await add({ name: 'Terrace', reentry: false });
  gate.main = seeded.gateIds[0]!;
  gate.lounge = seeded.gateIds[1]!;
  const gates = `/api/v1/venues/${seeded.venueId}/gates`;
  const lounge = await cloud.call('PATCH', `${gates}/${gate.lounge}`, {
    token: admin,
    body: { name: 'Lounge door', fromZoneId: zone.hall, toZoneId: zone.lounge },
  });
  expect(lounge.status).toBe(200);
  const stairs = await cloud.call('POST', gates, {
    token: admin,
    body: { name: 'Terrace stairs', fromZoneId: zone.hall, toZoneId: zone.terrace },
  });
  gate.terrace = stairs.body.id;
  const vip = await cloud.call(
    'PATCH',
    `/api/v1/events/${seeded.eventId}/ticket-types/${seeded.ticketTypeIds[1]}`,
    {
      token: admin,
      body: { name: 'VIP', zones: [zone.hall, zone.lounge, zone.terrace] },
    },
  );
  expect(vip.status).toBe(200);
  staff = await cloud.token('venue_staff', seeded.tenant);
  cloud.advance(2 * 3600_000);
});
afterAll(async () => {
  await cloud?.close();
});

async function buy(typeIndex: number, into: SeededEvent = seeded): Promise<Bought> {
  return (await buyTickets(cloud, into, { typeIndex })).purchase.tickets[0];
}
async function validate(ticket: Bought, gateId: string, direction: 'in' | 'out' = 'in') {
  cloud.advance(1000);
  return cloud.call('POST', '/api/v1/validate', { token: staff, body: { qr: ticket.qr, gateId, direction } });
}
async function occupancy(): Promise<Record<string, number>> {
  const counted = await eventOccupancy(cloud.database.db, {
    tenantId: seeded.tenant,
    eventId: seeded.eventId,
    venueId: seeded.venueId,
  });
  return Object.fromEntries(counted.zones.map((z) => [z.name, z.inside]));
}
/** The zones of the event's latest admission record. */
async function lastMove(eventId = seeded.eventId) {
  const rows = await cloud.database.db
    .select({ seq: admissions.seq, fromZone: admissions.fromZone, toZone: admissions.toZone })
    .from(admissions)
    .where(eq(admissions.eventId, eventId));
  const last = rows.sort((a, b) => b.seq - a.seq)[0];
  return { fromZone: last?.fromZone ?? null, toZone: last?.toZone ?? null };
}

describe('online decisions with zone rules', () => {
  let general: Bought;
  let vip: Bought;

  it('lets a general ticket into the hall, not into the lounge', async () => {
    general = await buy(0);
    const hall = await validate(general, gate.main);
    expect(hall.body).toMatchObject({
      decision: 'accept',
      reason: 'OK',
      zone: { id: zone.hall, name: 'Hall', capacity: 100, inside: 0 },
    });
    expect(await lastMove()).toEqual({ fromZone: 'outside', toZone: zone.hall });
    const lounge = await validate(general, gate.lounge);
    expect(lounge.body).toMatchObject({
      decision: 'reject',
      reason: 'ZONE_NOT_ALLOWED',
      zone: { id: zone.lounge, name: 'VIP lounge', capacity: 2, inside: 0 },
    });
    expect(await occupancy()).toMatchObject({ Hall: 1, 'VIP lounge': 0 });
  });

  it('moves a VIP from the hall into the lounge (leaving the hall); a copy at the main door is ALREADY_USED', async () => {
    vip = await buy(1);
    expect((await validate(vip, gate.main)).body).toMatchObject({ decision: 'accept' });
    expect(await occupancy()).toMatchObject({ Hall: 2, 'VIP lounge': 0 });
    const lounge = await validate(vip, gate.lounge);
    expect(lounge.body).toMatchObject({ decision: 'accept', zone: { id: zone.lounge, inside: 0 } });
    expect(await lastMove()).toEqual({ fromZone: zone.hall, toZone: zone.lounge });
    expect(await occupancy()).toMatchObject({ Hall: 1, 'VIP lounge': 1 });
    const copy = await validate(vip, gate.main);
    expect(copy.body).toMatchObject({
      decision: 'reject',
      reason: 'ALREADY_USED',
      detail: 'inside-elsewhere',
      alreadyUsed: { gateId: gate.main },
    });
    const again = await validate(vip, gate.lounge);
    expect(again.body).toMatchObject({ decision: 'reject', reason: 'ALREADY_USED' });
  });

  it('refuses ZONE_FULL when the lounge is full, and lets people out even when the hall is full', async () => {
    const second = await buy(1);
    const third = await buy(1);
    for (const ticket of [second, third])
      expect((await validate(ticket, gate.main)).body.decision).toBe('accept');
    expect((await validate(second, gate.lounge)).body).toMatchObject({ decision: 'accept' });
    const full = await validate(third, gate.lounge);
    expect(full.body).toMatchObject({
      decision: 'reject',
      reason: 'ZONE_FULL',
      zone: { id: zone.lounge, capacity: 2, inside: 2 },
    });
    // The hall is made full (capacity below the people inside: allowed) — nobody is trapped in the lounge.
    const hall = await cloud.call('PATCH', `/api/v1/venues/${seeded.venueId}/zones/${zone.hall}`, {
      token: seeded.adminToken,
      body: { capacity: 0 },
    });
    expect(hall.status).toBe(200);
    const out = await validate(vip, gate.lounge, 'out');
    expect(out.body).toMatchObject({ decision: 'accept', zone: { id: zone.hall, capacity: 0 } });
    expect(await lastMove()).toEqual({ fromZone: zone.lounge, toZone: zone.hall });
    expect(await occupancy()).toMatchObject({ 'VIP lounge': 1 });
    // But nobody new gets into the full hall.
    const late = await buy(0);
    expect((await validate(late, gate.main)).body).toMatchObject({ reason: 'ZONE_FULL' });
    await cloud.call('PATCH', `/api/v1/venues/${seeded.venueId}/zones/${zone.hall}`, {
      token: seeded.adminToken,
      body: { capacity: 100 },
    });
  });

  it('refuses a second entry into a zone without re-entry (ALREADY_USED no-reentry)', async () => {
    expect((await validate(general, gate.terrace)).body).toMatchObject({
      decision: 'accept',
      zone: { id: zone.terrace, name: 'Terrace' },
    });
    expect((await validate(general, gate.terrace, 'out')).body).toMatchObject({ decision: 'accept' });
    expect(await lastMove()).toEqual({ fromZone: zone.terrace, toZone: zone.hall });
    const back = await validate(general, gate.terrace);
    expect(back.body).toMatchObject({ decision: 'reject', reason: 'ALREADY_USED', detail: 'no-reentry' });
    // An exit from the hall through the main door is an exit to outside.
    expect((await validate(general, gate.main, 'out')).body).toMatchObject({ decision: 'accept' });
    expect(await lastMove()).toEqual({ fromZone: zone.hall, toZone: 'outside' });
  });

  it('decides the box office’s check-in by the same zone rules', async () => {
    const ticket = await buy(0);
    const checkIn = (gateId: string) =>
      cloud.call('POST', `/api/v1/events/${seeded.eventId}/tickets/${ticket.id}/check-in`, {
        token: staff,
        body: { gateId },
      });
    expect((await checkIn(gate.main)).body).toMatchObject({
      decision: 'accept',
      zone: { id: zone.hall },
      admission: { origin: 'cloud' },
    });
    expect(await lastMove()).toEqual({ fromZone: 'outside', toZone: zone.hall });
    expect((await checkIn(gate.lounge)).body).toMatchObject({
      decision: 'reject',
      reason: 'ZONE_NOT_ALLOWED',
      admission: null,
    });
  });

  // It holds row locks in one transaction while the scans wait on them: PGlite has one connection, so
  // nothing can wait beside an open transaction there. PostgreSQL only.
  it.runIf(usingPostgres())(
    'admits exactly one of two scans racing for the last place in the lounge',
    async () => {
      const racers = [await buy(1), await buy(1)];
      for (const ticket of racers) expect((await validate(ticket, gate.main)).body.decision).toBe('accept');
      // One place left, whatever the lounge holds now.
      const inside = (await occupancy())['VIP lounge']!;
      const capacity = await cloud.call('PATCH', `/api/v1/venues/${seeded.venueId}/zones/${zone.lounge}`, {
        token: seeded.adminToken,
        body: { capacity: inside + 1 },
      });
      expect(capacity.status).toBe(200);
      cloud.advance(1000);
      // Hold the event row (every accept's record needs it) and the lounge's row until both scans wait:
      // without the zone lock both would count one inside and both be accepted.
      const waiting = sql`select count(*)::int as n from pg_stat_activity
      where wait_event_type = 'Lock' and datname = current_database()`;
      let pending: Promise<Array<{ body: { decision: string; reason: string } }>> | undefined;
      await cloud.database.db.transaction(async (tx) => {
        await tx.execute(sql`select id from venue_zones where id = ${zone.lounge}::uuid for update`);
        await tx.execute(sql`select id from events where id = ${seeded.eventId}::uuid for update`);
        pending = Promise.all(
          racers.map((ticket) =>
            cloud.call('POST', '/api/v1/validate', {
              token: staff,
              body: { qr: ticket.qr, gateId: gate.lounge },
            }),
          ),
        );
        for (let attempt = 0; attempt < 200; attempt++) {
          const [row] = parseRows(z.object({ n: sqlCount }), await cloud.database.db.execute(waiting));
          if ((row?.n ?? 0) >= 2) break;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      });
      const answers = (await pending!).map((a) => a.body.reason).sort();
      expect(answers).toEqual(['OK', 'ZONE_FULL']);
      expect(await occupancy()).toMatchObject({ 'VIP lounge': inside + 1 });
    },
  );

  it('records no zones at a venue without zones (decisions as before)', async () => {
    const plain = await seedEvent(cloud, { tenant: seeded.tenant });
    const ticket = await buy(0, plain);
    const plainStaff = await cloud.token('venue_staff', plain.tenant);
    cloud.advance(2 * 3600_000);
    const answer = await cloud.call('POST', '/api/v1/validate', {
      token: plainStaff,
      body: { qr: ticket.qr, gateId: plain.gateIds[0] },
    });
    expect(answer.body).toMatchObject({ decision: 'accept', reason: 'OK' });
    expect(answer.body.zone).toBeUndefined();
    expect(await lastMove(plain.eventId)).toEqual({ fromZone: null, toZone: null });
  });

  it('keeps the moves a gate uploads on its admission records; records without zones stay as before', async () => {
    const device = await enrollTestDevice(cloud, seeded, 1);
    const [a, b] = [await buy(1), await buy(0)];
    const rows = await cloud.database.db.execute(
      sql`select id, serial from tickets where id in (${a.id}::uuid, ${b.id}::uuid)`,
    );
    const serials = new Map(
      parseRows(z.object({ id: z.string(), serial: sqlNumber }), rows).map((r) => [r.id, r.serial]),
    );
    const base = { gateId: gate.lounge, eventId: seeded.eventId, scannedAt: cloud.now() - 10_000 };
    const uploaded = await cloud.call('POST', '/api/v1/sync/scans', {
      token: device.accessToken,
      body: {
        scans: [
          scanRecord({
            ...base,
            seq: 1,
            admissionSeq: 1,
            ticketSerial: serials.get(a.id)!,
            fromZone: zone.hall,
            toZone: zone.lounge,
          }),
          scanRecord({ ...base, seq: 2, admissionSeq: 2, ticketSerial: serials.get(b.id)! }),
        ],
      },
    });
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(200);
    const stored = await cloud.database.db
      .select({ originSeq: admissions.originSeq, fromZone: admissions.fromZone, toZone: admissions.toZone })
      .from(admissions)
      .where(eq(admissions.origin, device.deviceId));
    expect(stored.sort((x, y) => x.originSeq - y.originSeq)).toEqual([
      { originSeq: 1, fromZone: zone.hall, toZone: zone.lounge },
      { originSeq: 2, fromZone: null, toZone: null },
    ]);
  });
});
