/**
 * The automatic check-out (issue 18, an event's exitAllAt) on a real job runner — in-process and BullMQ on
 * real Redis (own queue prefix) — with the injected clock: the periodic sweep queues the job of an event
 * whose exitAllAt has passed (missed: the cloud was down) and it records one exit per holder still inside,
 * as `cloud` admissions from the "Automatic check-out" gate with the holder's zone → outside; holders seen
 * after exitAllAt stay; a second run checks out nobody; a job for an exitAllAt that changed does nothing;
 * the exits reach the gates through their manifest pages like any admission.
 */
import { eq, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { admissionStateOf, EXIT_ALL_GATE_ID, EXIT_ALL_GATE_NAME } from '../../shared/admission/history';
import { OUTSIDE } from '../../shared/admission/zones';
import { ManifestAdmission } from '../../shared/sync-protocol';
import { parseRows, sqlNumber } from '../db/rows';
import { events } from '../db/schema';
import { EXIT_ALL_CATCH_UP_MS, sweepExitAll } from '../jobs/sweeps';
import { admissionsAfter } from '../services/admissions';
import { runExitAll } from '../services/exit-all';
import { issueTicketsInBulk } from '../test-support/bulk-tickets';
import { createTestCloud, type SeededEvent, seedEvent, type TestCloud } from '../test-support/cloud';
import { testRedisUrl, uniquePrefix } from '../test-support/redis';
import { addZones, historiesOf, writeAdmissions } from '../test-support/zones';

const redisUrl = testRedisUrl();
const modes: [string, Record<string, string> | undefined][] = [
  ['in-process', {}],
  ['bullmq', redisUrl ? { REDIS_URL: redisUrl } : undefined],
];

const ExitRow = z.object({
  serial: sqlNumber,
  origin: z.string(),
  at_ms: sqlNumber,
  gate_id: z.string(),
  gate_name: z.string().nullable(),
  from_zone: z.string().nullable(),
  to_zone: z.string().nullable(),
  source: z.string(),
});

async function exitsOf(cloud: TestCloud, seeded: SeededEvent) {
  return parseRows(
    ExitRow,
    await cloud.services.db.execute(sql`
      select serial, origin, at_ms, gate_id, gate_name, from_zone, to_zone, source from admissions
       where event_id = ${seeded.eventId}::uuid and source = 'exit-all' order by serial`),
  );
}

async function setExitAllAt(cloud: TestCloud, seeded: SeededEvent, at: number | null) {
  await cloud.services.db
    .update(events)
    .set({ exitAllAt: at === null ? null : new Date(at) })
    .where(eq(events.id, seeded.eventId));
}

for (const [mode, env] of modes) {
  describe.skipIf(!env)(`automatic check-out on the ${mode} runner`, () => {
    let cloud: TestCloud | undefined;
    afterEach(async () => {
      await cloud?.close();
      cloud = undefined;
    });

    it('checks out everyone still inside at exitAllAt, once, and the gates learn it', async () => {
      cloud = await createTestCloud({ ...env, JOBS_PREFIX: uniquePrefix('exit-all') });
      expect(cloud.jobs.kind).toBe(mode);
      const seeded = await seedEvent(cloud);
      const [hall, lounge] = await addZones(cloud, seeded, [
        { name: 'Hall', capacity: 10 },
        { name: 'Lounge', capacity: 4 },
      ]);
      const s = (await issueTicketsInBulk(cloud, seeded, 6)).map((ticket) => ticket.serial);
      // Missed by two hours (the cloud was down): the sweep catches it up.
      const exitAllAt = cloud.now() - 2 * 3600_000;
      const before = exitAllAt - 3600_000;
      await writeAdmissions(cloud, seeded, [
        {
          serial: s[0]!,
          origin: 'gate-a',
          originSeq: 1,
          direction: 'in',
          at: before,
          fromZone: OUTSIDE,
          toZone: hall,
        },
        {
          serial: s[1]!,
          origin: 'gate-a',
          originSeq: 2,
          direction: 'in',
          at: before,
          fromZone: OUTSIDE,
          toZone: hall,
        },
        {
          serial: s[1]!,
          origin: 'gate-b',
          originSeq: 1,
          direction: 'in',
          at: before + 1,
          fromZone: hall,
          toZone: lounge,
        },
        // s2 left before; s3 came in through an old gate (no zones: the Hall).
        {
          serial: s[2]!,
          origin: 'gate-a',
          originSeq: 3,
          direction: 'in',
          at: before,
          fromZone: OUTSIDE,
          toZone: hall,
        },
        {
          serial: s[2]!,
          origin: 'gate-a',
          originSeq: 4,
          direction: 'out',
          at: before + 5,
          fromZone: hall,
          toZone: OUTSIDE,
        },
        { serial: s[3]!, origin: 'gate-a', originSeq: 5, direction: 'in', at: before + 7 },
        // s4 entered at exitAllAt exactly: checked out just after it. s5 was seen after: left as it is.
        {
          serial: s[4]!,
          origin: 'gate-a',
          originSeq: 6,
          direction: 'in',
          at: exitAllAt,
          fromZone: OUTSIDE,
          toZone: hall,
        },
        {
          serial: s[5]!,
          origin: 'gate-a',
          originSeq: 7,
          direction: 'in',
          at: exitAllAt + 1,
          fromZone: OUTSIDE,
          toZone: hall,
        },
      ]);
      await setExitAllAt(cloud, seeded, exitAllAt);

      expect(await sweepExitAll(cloud.services)).toBe(1);
      await cloud.jobs.drain(15_000);
      const exits = await exitsOf(cloud, seeded);
      expect(exits.map((e) => [e.serial, e.from_zone, e.to_zone, e.at_ms])).toEqual([
        [s[0], hall, OUTSIDE, exitAllAt],
        [s[1], lounge, OUTSIDE, exitAllAt],
        [s[3], hall, OUTSIDE, exitAllAt],
        [s[4], hall, OUTSIDE, exitAllAt + 1],
      ]);
      for (const exit of exits) {
        expect(exit).toMatchObject({
          origin: 'cloud',
          gate_id: EXIT_ALL_GATE_ID,
          gate_name: EXIT_ALL_GATE_NAME,
          source: 'exit-all',
        });
      }
      const states = (await historiesOf(cloud, seeded, s)).map((history) => admissionStateOf(history, hall));
      expect(states.map((state) => state.inside)).toEqual([false, false, false, false, false, true]);
      const occupancy = await cloud.call('GET', `/api/v1/events/${seeded.eventId}/occupancy`, {
        token: seeded.adminToken,
      });
      expect(occupancy.body.zones.map((zone: { inside: number }) => zone.inside)).toEqual([1, 0]);

      // A second sweep and run (a job delivered twice, another cloud process) check out nobody again.
      await sweepExitAll(cloud.services);
      await cloud.jobs.drain(15_000);
      expect(
        await runExitAll(cloud.services, { tenantId: seeded.tenant, eventId: seeded.eventId, exitAllAt }),
      ).toEqual({ status: 'done', checkedOut: 0 });
      expect(await exitsOf(cloud, seeded)).toHaveLength(4);

      // The gates get them on their next manifest page, valid on the wire.
      const page = await admissionsAfter(
        cloud.services.db,
        { tenantId: seeded.tenant, eventId: seeded.eventId },
        { after: 0, upTo: Number.MAX_SAFE_INTEGER, limit: 1_000 },
      );
      const sent = page.filter((row) => row.gateId === EXIT_ALL_GATE_ID);
      expect(sent).toHaveLength(4);
      for (const row of sent) expect(ManifestAdmission.parse(row)).toMatchObject({ toZone: OUTSIDE });
    });

    it('does nothing for a changed or cleared exitAllAt, before its time, or missed too long ago', async () => {
      cloud = await createTestCloud({ ...env, JOBS_PREFIX: uniquePrefix('exit-all') });
      const seeded = await seedEvent(cloud);
      const [serial] = (await issueTicketsInBulk(cloud, seeded, 1)).map((ticket) => ticket.serial);
      await writeAdmissions(cloud, seeded, [
        { serial: serial!, origin: 'gate-a', originSeq: 1, direction: 'in', at: cloud.now() - 7200_000 },
      ]);
      const scope = { tenantId: seeded.tenant, eventId: seeded.eventId };
      const first = cloud.now() - 3600_000;
      await setExitAllAt(cloud, seeded, first);
      // Moved later before the job for the first value ran: that job finds it stale.
      const later = cloud.now() + 3600_000;
      await setExitAllAt(cloud, seeded, later);
      expect(await runExitAll(cloud.services, { ...scope, exitAllAt: first })).toEqual({ status: 'stale' });
      expect(await runExitAll(cloud.services, { ...scope, exitAllAt: later })).toEqual({
        status: 'not-due',
        dueInMs: 3600_000,
      });
      // An hour ahead is beyond the sweep's look-ahead; missed longer ago than the catch-up window too.
      expect(await sweepExitAll(cloud.services)).toBe(0);
      await setExitAllAt(cloud, seeded, cloud.now() - EXIT_ALL_CATCH_UP_MS - 1);
      expect(await sweepExitAll(cloud.services)).toBe(0);
      await setExitAllAt(cloud, seeded, null);
      expect(await sweepExitAll(cloud.services)).toBe(0);
      await cloud.jobs.drain(15_000);
      expect(await exitsOf(cloud, seeded)).toHaveLength(0);

      // Its time comes (the clock moves on): the sweep queues it and the holder, at a venue without zones,
      // is checked out by an exit that names no zones.
      await setExitAllAt(cloud, seeded, later);
      cloud.advance(3600_000);
      expect(await sweepExitAll(cloud.services)).toBe(1);
      await cloud.jobs.drain(15_000);
      expect(await exitsOf(cloud, seeded)).toMatchObject([
        { serial, from_zone: null, to_zone: null, at_ms: later },
      ]);
    });
  });
}

describe('automatic check-out in batches', () => {
  it('checks out more holders than one batch, in several bounded transactions', async () => {
    const cloud = await createTestCloud();
    try {
      const seeded = await seedEvent(cloud);
      const serials = (await issueTicketsInBulk(cloud, seeded, 7)).map((ticket) => ticket.serial);
      const exitAllAt = cloud.now() - 60_000;
      await writeAdmissions(
        cloud,
        seeded,
        serials.map((serial, i) => ({
          serial,
          origin: 'gate-a',
          originSeq: i + 1,
          direction: 'in' as const,
          at: exitAllAt - 1000 + i,
        })),
      );
      await setExitAllAt(cloud, seeded, exitAllAt);
      const scope = { tenantId: seeded.tenant, eventId: seeded.eventId, exitAllAt };
      expect(await runExitAll(cloud.services, scope, { batch: 3 })).toEqual({
        status: 'done',
        checkedOut: 7,
      });
      expect((await exitsOf(cloud, seeded)).map((exit) => exit.serial)).toEqual(serials);
      const states = (await historiesOf(cloud, seeded, serials)).map((history) => admissionStateOf(history));
      expect(states.every((state) => !state.inside)).toBe(true);
    } finally {
      await cloud.close();
    }
  });
});

describe('setting exitAllAt through the API', () => {
  it('queues the check-out at once, on create and on every change (not only by the sweep)', async () => {
    const cloud = await createTestCloud();
    try {
      const seeded = await seedEvent(cloud);
      const token = await cloud.token('admin', seeded.tenant);
      // The in-process runner counts its delayed jobs under 'all': count the change from here on.
      const delayed = async () =>
        (await cloud.jobs.depth())
          .filter((row) => row.state === 'delayed')
          .reduce((sum, row) => sum + row.count, 0);
      const before = await delayed();
      const queued = async () => (await delayed()) - before;
      // Ten days ahead: far beyond the sweep's look-ahead, so only the API's own queueing can place it.
      const later = new Date(cloud.now() + 10 * 86_400_000).toISOString();
      const patched = await cloud.call('PATCH', `/api/v1/events/${seeded.eventId}`, {
        token,
        body: { exitAllAt: later },
      });
      expect(patched.status).toBe(200);
      expect(await queued()).toBe(1);
      const created = await cloud.call('POST', '/api/v1/events', {
        token,
        body: {
          venueId: patched.body.venueId,
          name: 'Second night',
          startsAt: patched.body.startsAt,
          endsAt: patched.body.endsAt,
          exitAllAt: later,
        },
      });
      expect(created.status).toBe(201);
      expect(await queued()).toBe(2);
    } finally {
      await cloud.close();
    }
  });
});
