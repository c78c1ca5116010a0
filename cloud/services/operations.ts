/**
 * The event operations view (issue 9): what an organiser or on-call engineer needs to see a venue going
 * wrong before the queue at the door does — per gate and device: in touch or not, manifest age, upload
 * backlog, last upload, clock skew, with the problems spelled out; admissions per minute over the last
 * two hours (from the attendance report); reject reasons; totals.
 *
 * Sources: the devices table (the cloud's own clock for last contact and last upload), each device's
 * latest health report (the gate's word: manifest age, backlog, offline time), the scans the cloud holds
 * (reject reasons, per-gate counts) and services/attendance.ts (admitted, inside, per minute).
 * Thresholds are constants below so the page, the JSON and the tests agree on what "amber" means.
 */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { GateReport } from '../../shared/sync-protocol';
import { rowsOf } from '../db/client';
import { devices, events, gates, venues } from '../db/schema';
import { fail, type Result } from '../errors';
import type { Actor } from './actor';
import { eventAttendance } from './attendance';
import type { ServiceContext } from './context';
import { parseStoredReport } from './gate-health';

/** A device heard from within this long is online. Gates report at least every sync interval (30 s). */
export const ONLINE_WITHIN_SECONDS = 90;
/** Beyond this without contact a device is offline (red); between the two it is late (amber). */
export const OFFLINE_AFTER_SECONDS = 300;
/** A manifest older than this means pulls are failing: changes (revocations) are not reaching the gate. */
export const MANIFEST_STALE_SECONDS = 300;
/** This many scans waiting for upload is a backlog worth looking at. */
export const BACKLOG_WARNING = 100;
/** Scans waiting while the last upload is older than this: uploads are failing. */
export const UPLOAD_STALE_SECONDS = 120;
/** A device clock further off than this places its scans badly in time (it never blocks sync). */
export const CLOCK_SKEW_WARNING_SECONDS = 300;
/** The admissions chart covers this many minutes up to now. */
export const CHART_MINUTES = 120;

export type Health = 'ok' | 'warning' | 'critical';
export type Connection = 'online' | 'late' | 'offline' | 'never';

export interface DeviceOperations {
  deviceId: string;
  name: string;
  connection: Connection;
  health: Health;
  /** Human-readable reasons for a health other than ok. */
  problems: string[];
  /** Last time the cloud heard from the device (any sync call, upload or report), ISO 8601. */
  lastContactAt: string | null;
  lastContactAgeSeconds: number | null;
  lastReportAt: string | null;
  /** This event's manifest age now: as reported plus the time since the report. */
  manifestAgeSeconds: number | null;
  manifestSeq: number | null;
  /** Scans waiting for upload, as of the latest report. */
  pendingUploads: number | null;
  /** When the cloud last stored an upload from the device (cloud clock), ISO 8601. */
  lastUploadAt: string | null;
  lastUploadAgeSeconds: number | null;
  /** cloud − device clock in ms (positive: the device is behind). */
  clockSkewMs: number | null;
  /** The device's own view: seconds without cloud contact (0 = online) at its latest report. */
  reportedOfflineSeconds: number | null;
  agentVersion: string | null;
  /** Decisions since the agent started, as reported. */
  decisions: { accepted: number; rejected: number } | null;
}

export interface GateOperations {
  gateId: string;
  name: string;
  zone: string | null;
  /** ok/warning/critical, or idle when no device serves this event at the gate. */
  health: Health | 'idle';
  /** Distinct tickets admitted through this gate (attendance). */
  admitted: number;
  /** Scans of this event the cloud holds from this gate. */
  accepted: number;
  rejected: number;
  devices: DeviceOperations[];
}

export interface EventOperations {
  event: {
    id: string;
    name: string;
    status: string;
    venueId: string;
    venueName: string;
    timezone: string;
    startsAt: string;
    endsAt: string;
    doorsOpenAt: string | null;
  };
  generatedAt: string;
  totals: {
    admitted: number;
    inside: number;
    accepted: number;
    rejected: number;
    pendingUploads: number;
    devices: number;
    devicesOnline: number;
    gates: { ok: number; warning: number; critical: number; idle: number };
  };
  gates: GateOperations[];
  /** Entries per minute for the last CHART_MINUTES minutes, oldest first, every minute present. */
  perMinute: Array<{ minute: string; entries: number }>;
  /** Rejections of this event's scans held by the cloud, most frequent first. */
  rejectReasons: Array<{ reason: string; count: number }>;
}

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);
const ageSeconds = (now: number, date: Date | null | undefined) =>
  date ? Math.max(0, Math.round((now - date.getTime()) / 1000)) : null;

function minutes(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** Judges one device from its row and latest report (pure: `now` is the cloud's clock). */
export function judgeDevice(
  now: number,
  eventId: string,
  device: {
    id: string;
    name: string;
    lastSeenAt: Date | null;
    lastUploadAt: Date | null;
    lastReportAt: Date | null;
    clockOffsetMs: number | null;
    report: GateReport | undefined;
  },
): DeviceOperations {
  const contacts = [device.lastSeenAt, device.lastReportAt, device.lastUploadAt]
    .filter((d): d is Date => d !== null)
    .map((d) => d.getTime());
  const lastContact = contacts.length > 0 ? new Date(Math.max(...contacts)) : null;
  const contactAge = ageSeconds(now, lastContact);
  const connection: Connection =
    contactAge === null
      ? 'never'
      : contactAge <= ONLINE_WITHIN_SECONDS
        ? 'online'
        : contactAge <= OFFLINE_AFTER_SECONDS
          ? 'late'
          : 'offline';
  const report = device.report;
  const reportAge = ageSeconds(now, device.lastReportAt) ?? 0;
  const eventFigures = report?.events.find((e) => e.eventId === eventId);
  const manifestAge =
    eventFigures?.manifestAgeSeconds != null ? Math.round(eventFigures.manifestAgeSeconds + reportAge) : null;
  const uploadAge = ageSeconds(now, device.lastUploadAt);
  const skew = report ? report.clockOffsetMs : device.clockOffsetMs;

  const problems: string[] = [];
  let health: Health = 'ok';
  const warn = (problem: string) => {
    problems.push(problem);
    if (health === 'ok') health = 'warning';
  };
  if (connection === 'never') {
    problems.push('never synced with the cloud');
    health = 'critical';
  } else if (connection === 'offline') {
    problems.push(`no contact for ${minutes(contactAge ?? 0)}`);
    health = 'critical';
  } else if (connection === 'late') {
    warn(`no contact for ${minutes(contactAge ?? 0)}`);
  }
  if (report && !eventFigures) warn('holds no manifest of this event');
  if (manifestAge !== null && manifestAge > MANIFEST_STALE_SECONDS)
    warn(`manifest ${minutes(manifestAge)} old`);
  const pending = report?.pendingUploads ?? null;
  if (pending !== null && pending >= BACKLOG_WARNING) warn(`${pending} scans waiting for upload`);
  else if (pending !== null && pending > 0 && (uploadAge === null || uploadAge > UPLOAD_STALE_SECONDS))
    warn(`${pending} scans waiting for upload`);
  if (skew !== null && Math.abs(skew) > CLOCK_SKEW_WARNING_SECONDS * 1000)
    warn(`clock ${minutes(Math.abs(skew) / 1000)} ${skew > 0 ? 'behind' : 'ahead'}`);

  return {
    deviceId: device.id,
    name: device.name,
    connection,
    health,
    problems,
    lastContactAt: iso(lastContact),
    lastContactAgeSeconds: contactAge,
    lastReportAt: iso(device.lastReportAt),
    manifestAgeSeconds: manifestAge,
    manifestSeq: eventFigures?.manifestSeq ?? null,
    pendingUploads: pending,
    lastUploadAt: iso(device.lastUploadAt),
    lastUploadAgeSeconds: uploadAge,
    clockSkewMs: skew,
    reportedOfflineSeconds: report?.offlineSeconds ?? null,
    agentVersion: report?.agentVersion ?? null,
    decisions: report?.decisions ?? null,
  };
}

/** A gate's health from its devices: all down is critical, any trouble is a warning. */
function gateHealth(deviceList: DeviceOperations[]): GateOperations['health'] {
  if (deviceList.length === 0) return 'idle';
  if (deviceList.every((d) => d.health === 'critical')) return 'critical';
  return deviceList.some((d) => d.health !== 'ok') ? 'warning' : 'ok';
}

/** The operations view of an event of the actor's tenant (ops: any tenant); 404 otherwise. */
export async function eventOperations(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
): Promise<Result<{ operations: EventOperations }>> {
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
    .where(
      and(eq(events.id, eventId), actor.role === 'ops' ? undefined : eq(events.tenantId, actor.tenantId)),
    );
  if (!event) return fail('NOT_FOUND', 'event not found');
  const now = ctx.clock();

  const attendance = await eventAttendance(ctx, actor, eventId);
  if (!attendance.ok) return attendance;
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
        ).filter((d) => !d.eventIds || d.eventIds.length === 0 || d.eventIds.includes(eventId));

  // Scans of this event the cloud holds, by gate, decision and reason, plus the scans of this event's
  // devices that named no event (unreadable codes) during the event's day. Each branch uses an index.
  const from = new Date((event.doorsOpenAt ?? event.startsAt).getTime() - 6 * 3600_000);
  const to = new Date(event.endsAt.getTime() + 6 * 3600_000);
  const counted = rowsOf<{ gateId: string | null; accepted: number; reason: string; n: number }>(
    await ctx.db.execute(sql`
      select gate_id as "gateId", accepted, reason, count(*)::int as n from (
        select gate_id, accepted, reason from device_scans
         where event_id = ${eventId} and quarantined = 0
        union all
        select gate_id, accepted, reason from device_scans
         where device_id = any(${sql.param(deviceRows.map((d) => d.id))}::uuid[]) and event_id is null
           and quarantined = 0 and estimated_at >= ${from.toISOString()}::timestamptz
           and estimated_at <= ${to.toISOString()}::timestamptz
        union all
        select gate_id, accepted, reason from scans where event_id = ${eventId}
      ) held group by 1, 2, 3`),
  );
  const byGate = new Map<string, { accepted: number; rejected: number }>();
  const reasons = new Map<string, number>();
  let accepted = 0;
  let rejected = 0;
  for (const row of counted) {
    const tally = byGate.get(row.gateId ?? '') ?? { accepted: 0, rejected: 0 };
    if (row.accepted === 1) {
      tally.accepted += row.n;
      accepted += row.n;
    } else {
      tally.rejected += row.n;
      rejected += row.n;
      reasons.set(row.reason, (reasons.get(row.reason) ?? 0) + row.n);
    }
    byGate.set(row.gateId ?? '', tally);
  }

  const admittedByGate = new Map(attendance.attendance.byGate.map((g) => [g.gateId, g.admitted]));
  const gateViews: GateOperations[] = venueGates.map((gate) => {
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
    const tally = byGate.get(gate.id) ?? { accepted: 0, rejected: 0 };
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

  // The chart: every minute of the window, zero where nobody came in.
  const currentMinute = Math.floor(now / 60_000) * 60_000;
  const firstMinute = currentMinute - (CHART_MINUTES - 1) * 60_000;
  const entries = new Map(
    attendance.attendance.perMinute.map((m) => [Date.parse(m.minute), m.entries] as const),
  );
  const perMinute = Array.from({ length: CHART_MINUTES }, (_, i) => {
    const minute = firstMinute + i * 60_000;
    return { minute: new Date(minute).toISOString(), entries: entries.get(minute) ?? 0 };
  });

  const allDevices = gateViews.flatMap((g) => g.devices);
  const gateCounts = { ok: 0, warning: 0, critical: 0, idle: 0 };
  for (const gate of gateViews) gateCounts[gate.health]++;
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
        accepted,
        rejected,
        pendingUploads: allDevices.reduce((sum, d) => sum + (d.pendingUploads ?? 0), 0),
        devices: allDevices.length,
        devicesOnline: allDevices.filter((d) => d.connection === 'online').length,
        gates: gateCounts,
      },
      gates: gateViews,
      perMinute,
      rejectReasons: [...reasons]
        .map(([reason, count]) => ({ reason, count }))
        .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    },
  };
}
