/**
 * The event operations view (issue 9): what an organiser or on-call engineer needs to see a venue going
 * wrong before the queue at the door does — per gate and device: in touch or not, manifest age, upload
 * backlog, last upload, clock skew, with the problems spelled out (./device-health.ts); admissions per
 * minute over the last two hours (from the attendance report); reject reasons; totals.
 *
 * Sources: the devices table (the cloud's own clock for last contact and last upload), each device's
 * latest health report (the gate's word: manifest age, backlog, offline time), the scans the cloud holds
 * (reject reasons, per-gate counts), services/attendance.ts (admitted, inside, per minute) and
 * ./arrivals.ts (arrived of sold per ticket type, from the admission history), ../occupancy.ts (who is
 * in which zone now).
 */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { parseRows, sqlCount } from '../../db/rows';
import { devices, events, gates, venues } from '../../db/schema';
import { fail, type Result } from '../../errors';
import { type Actor, tenantScope } from '../actor';
import { type Attendance, eventAttendance } from '../attendance';
import type { ServiceContext } from '../context';
import { parseStoredReport } from '../gate-health';
import { eventOccupancy } from '../occupancy';
import { eventArrivals } from './arrivals';
import { gateHealth, iso, judgeDevice } from './device-health';
import type { EventOperations, GateOperations } from './schema';

/** The admissions chart covers this many minutes up to now. */
export const CHART_MINUTES = 120;

/** The event with its venue, as the actor may see it. */
async function operationsEvent(ctx: ServiceContext, actor: Actor, eventId: string) {
  const [event] = await ctx.db
    .select({
      id: events.id,
      tenantId: events.tenantId,
      name: events.name,
      status: events.status,
      startsAt: events.startsAt,
      endsAt: events.endsAt,
      doorsOpenAt: events.doorsOpenAt,
      venueId: venues.id,
      venueName: venues.name,
      timezone: venues.timezone,
    })
    .from(events)
    .innerJoin(venues, eq(venues.id, events.venueId))
    .where(and(eq(events.id, eventId), tenantScope(actor, events.tenantId)));
  return event;
}
type OperationsEvent = NonNullable<Awaited<ReturnType<typeof operationsEvent>>>;

/** The venue's gates by name, and the active devices at them that serve this event. */
async function servingDevices(ctx: ServiceContext, event: OperationsEvent) {
  const venueGates = await ctx.db
    .select({ id: gates.id, name: gates.name, zone: gates.zone })
    .from(gates)
    .where(and(eq(gates.venueId, event.venueId), eq(gates.tenantId, event.tenantId)))
    .orderBy(asc(gates.name), asc(gates.id));
  const gateIds = venueGates.map((g) => g.id);
  const deviceRows =
    gateIds.length === 0
      ? []
      : (
          await ctx.db
            .select()
            .from(devices)
            .where(
              and(
                eq(devices.tenantId, event.tenantId),
                eq(devices.status, 'active'),
                inArray(devices.gateId, gateIds),
              ),
            )
            .orderBy(asc(devices.name), asc(devices.id))
        ).filter((d) => !d.eventIds || d.eventIds.length === 0 || d.eventIds.includes(event.id));
  return { venueGates, deviceRows };
}
type ServingDevices = Awaited<ReturnType<typeof servingDevices>>;

const TallyRow = z.object({
  gateId: z.string().nullable(),
  accepted: sqlCount,
  reason: z.string(),
  n: sqlCount,
});

/** Scans the cloud holds for the event: accepted and rejected per gate and in all, rejections by reason. */
interface ScanTallies {
  byGate: Map<string, { accepted: number; rejected: number }>;
  reasons: Map<string, number>;
  accepted: number;
  rejected: number;
}

/**
 * Scans of this event the cloud holds, by gate, decision and reason, plus the scans of this event's
 * devices that named no event (unreadable codes) during the event's day. Each branch uses an index. A
 * gate's undo row (direction `undo`, issue 17) is no scan decision and is not counted.
 * Only the event's tenant's rows count (a row names its event by id; another tenant's device must not).
 */
async function scanTallies(
  ctx: ServiceContext,
  event: OperationsEvent,
  deviceIds: string[],
): Promise<ScanTallies> {
  const from = new Date((event.doorsOpenAt ?? event.startsAt).getTime() - 6 * 3600_000);
  const to = new Date(event.endsAt.getTime() + 6 * 3600_000);
  const counted = parseRows(
    TallyRow,
    await ctx.db.execute(sql`
      select gate_id as "gateId", accepted, reason, count(*)::int as n from (
        select gate_id, accepted, reason from device_scans
         where event_id = ${event.id} and tenant_id = ${event.tenantId} and quarantined = 0
           and direction is distinct from 'undo'
        union all
        select gate_id, accepted, reason from device_scans
         where device_id = any(${sql.param(deviceIds)}::uuid[]) and event_id is null
           and tenant_id = ${event.tenantId} and quarantined = 0
           and estimated_at >= ${from.toISOString()}::timestamptz
           and estimated_at <= ${to.toISOString()}::timestamptz
        union all
        select gate_id, accepted, reason from scans where event_id = ${event.id} and tenant_id = ${event.tenantId}
      ) held group by 1, 2, 3`),
  );
  const tallies: ScanTallies = { byGate: new Map(), reasons: new Map(), accepted: 0, rejected: 0 };
  for (const row of counted) {
    const tally = tallies.byGate.get(row.gateId ?? '') ?? { accepted: 0, rejected: 0 };
    if (row.accepted === 1) {
      tally.accepted += row.n;
      tallies.accepted += row.n;
    } else {
      tally.rejected += row.n;
      tallies.rejected += row.n;
      tallies.reasons.set(row.reason, (tallies.reasons.get(row.reason) ?? 0) + row.n);
    }
    tallies.byGate.set(row.gateId ?? '', tally);
  }
  return tallies;
}

/** Each gate of the venue with its judged devices, its scan counts and its admissions. */
function gateViews(
  now: number,
  eventId: string,
  { venueGates, deviceRows }: ServingDevices,
  tallies: ScanTallies,
  attendance: Attendance,
): GateOperations[] {
  const admittedByGate = new Map(attendance.byGate.map((g) => [g.gateId, g.admitted]));
  return venueGates.map((gate) => {
    const deviceViews = deviceRows
      .filter((d) => d.gateId === gate.id)
      .map((d) =>
        judgeDevice(now, eventId, {
          id: d.id,
          name: d.name,
          lastSeenAt: d.lastSeenAt,
          lastUploadAt: d.lastUploadAt,
          lastReportAt: d.lastReportAt,
          clockOffsetMs: d.clockOffsetMs,
          report: parseStoredReport(d.lastReport),
        }),
      );
    const tally = tallies.byGate.get(gate.id) ?? { accepted: 0, rejected: 0 };
    return {
      gateId: gate.id,
      name: gate.name,
      zone: gate.zone,
      health: gateHealth(deviceViews),
      admitted: admittedByGate.get(gate.id) ?? 0,
      accepted: tally.accepted,
      rejected: tally.rejected,
      devices: deviceViews,
    };
  });
}

/** The chart: every minute of the window up to now, zero where nobody came in. */
function entriesPerMinute(now: number, attendance: Attendance): EventOperations['perMinute'] {
  const currentMinute = Math.floor(now / 60_000) * 60_000;
  const firstMinute = currentMinute - (CHART_MINUTES - 1) * 60_000;
  const entries = new Map(attendance.perMinute.map((m) => [Date.parse(m.minute), m.entries] as const));
  return Array.from({ length: CHART_MINUTES }, (_, i) => {
    const minute = firstMinute + i * 60_000;
    return { minute: new Date(minute).toISOString(), entries: entries.get(minute) ?? 0 };
  });
}

/** The operations view of an event of the actor's tenant (ops: any tenant); 404 otherwise. */
export async function eventOperations(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
): Promise<Result<{ operations: EventOperations }>> {
  const event = await operationsEvent(ctx, actor, eventId);
  if (!event) return fail('NOT_FOUND', 'event not found');
  const now = ctx.clock();

  const attendance = await eventAttendance(ctx, actor, eventId);
  if (!attendance.ok) return attendance;
  const serving = await servingDevices(ctx, event);
  const tallies = await scanTallies(
    ctx,
    event,
    serving.deviceRows.map((d) => d.id),
  );
  const gateList = gateViews(now, eventId, serving, tallies, attendance.attendance);
  const arrivals = await eventArrivals(ctx, event);
  const occupancy = await eventOccupancy(ctx.db, {
    tenantId: event.tenantId,
    eventId: event.id,
    venueId: event.venueId,
  });

  const allDevices = gateList.flatMap((g) => g.devices);
  const gateCounts = { ok: 0, warning: 0, critical: 0, idle: 0 };
  for (const gate of gateList) gateCounts[gate.health]++;
  return {
    ok: true,
    operations: {
      event: {
        id: event.id,
        name: event.name,
        status: event.status,
        venueId: event.venueId,
        venueName: event.venueName,
        timezone: event.timezone,
        startsAt: event.startsAt.toISOString(),
        endsAt: event.endsAt.toISOString(),
        doorsOpenAt: iso(event.doorsOpenAt),
      },
      generatedAt: new Date(now).toISOString(),
      totals: {
        admitted: attendance.attendance.admitted,
        inside: attendance.attendance.inside,
        accepted: tallies.accepted,
        rejected: tallies.rejected,
        pendingUploads: allDevices.reduce((sum, d) => sum + (d.pendingUploads ?? 0), 0),
        devices: allDevices.length,
        devicesOnline: allDevices.filter((d) => d.connection === 'online').length,
        gates: gateCounts,
      },
      arrivals,
      occupancy: {
        eventId: event.id,
        generatedAt: new Date(now).toISOString(),
        insideVenue: occupancy.insideVenue,
        zones: occupancy.zones,
      },
      gates: gateList,
      perMinute: entriesPerMinute(now, attendance.attendance),
      rejectReasons: [...tallies.reasons]
        .map(([reason, count]) => ({ reason, count }))
        .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    },
  };
}
