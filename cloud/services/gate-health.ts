/**
 * Gate health: the key figures each gate reports after its sync cycles (shared/sync-protocol
 * GateReport), stored on its device row (`devices.last_report`, `last_report_at`), and read back in one
 * bounded query for the per-gate Prometheus gauges. The report is the gate's word about itself; the
 * cloud adds only when it arrived (its own clock), from which the operations page derives clock skew
 * and whether the gate is still in touch.
 */
import { and, desc, eq, gt } from 'drizzle-orm';
import { GateReport, type GateReportAck } from '../../shared/sync-protocol';
import { devices, gates, venues } from '../db/schema';
import type { ServiceContext } from './context';
import type { DeviceRow } from './devices';
import { announcePeerChange } from './event-peers';

/** Devices silent for longer than this drop out of the Prometheus gauges (they stay on the ops page). */
export const GATE_GAUGE_WINDOW_MS = 24 * 3600_000;
/** At most this many devices in one scrape: the gauges must stay cheap whatever the fleet does. */
export const GATE_GAUGE_LIMIT = 5_000;

/** Stores a validated report as the device's latest; answers the cloud's clock. */
export async function recordGateReport(
  ctx: ServiceContext,
  device: DeviceRow,
  report: GateReport,
): Promise<GateReportAck> {
  const now = ctx.clock();
  const at = new Date(now);
  const previous = parseStoredReport(device.lastReport)?.peerAddress ?? null;
  const moved = (report.peerAddress ?? null) !== previous;
  await ctx.db.transaction(async (tx) => {
    await tx
      .update(devices)
      .set({ lastReport: report, lastReportAt: at, lastSeenAt: at })
      .where(and(eq(devices.id, device.id), eq(devices.status, 'active')));
    // A new LAN address: the venue's other gates pull the peer list that carries it (issue 14).
    if (moved) await announcePeerChange(tx, { tenantId: device.tenantId, gateId: device.gateId });
  });
  if (moved) ctx.changesCommitted?.();
  return { cloudTime: now };
}

/**
 * A stored report read back. The column is jsonb written only by `recordGateReport` after validation,
 * but a row may predate a protocol change: anything that no longer parses counts as no report.
 */
export function parseStoredReport(value: unknown): GateReport | undefined {
  const parsed = GateReport.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** One device's figures for the per-gate gauges, with the names the labels point at. */
export interface GateHealthSample {
  tenantId: string;
  venueId: string;
  venueName: string;
  gateId: string;
  gateName: string;
  deviceId: string;
  deviceName: string;
  /** Seconds since the cloud received the device's latest report. */
  lastReportAgeSeconds: number;
  report: GateReport;
}

/**
 * The latest report of every active device that reported in the last `GATE_GAUGE_WINDOW_MS`, newest
 * first, at most `GATE_GAUGE_LIMIT`: one query, whatever the number of tenants.
 */
export async function gateHealthSamples(ctx: ServiceContext): Promise<GateHealthSample[]> {
  const now = ctx.clock();
  const rows = await ctx.db
    .select({
      tenantId: devices.tenantId,
      venueId: venues.id,
      venueName: venues.name,
      gateId: gates.id,
      gateName: gates.name,
      deviceId: devices.id,
      deviceName: devices.name,
      lastReportAt: devices.lastReportAt,
      lastReport: devices.lastReport,
    })
    .from(devices)
    .innerJoin(gates, eq(gates.id, devices.gateId))
    .innerJoin(venues, eq(venues.id, gates.venueId))
    .where(and(eq(devices.status, 'active'), gt(devices.lastReportAt, new Date(now - GATE_GAUGE_WINDOW_MS))))
    .orderBy(desc(devices.lastReportAt))
    .limit(GATE_GAUGE_LIMIT);
  const samples: GateHealthSample[] = [];
  for (const row of rows) {
    const report = parseStoredReport(row.lastReport);
    if (!report || !row.lastReportAt) continue;
    samples.push({
      tenantId: row.tenantId,
      venueId: row.venueId,
      venueName: row.venueName,
      gateId: row.gateId,
      gateName: row.gateName,
      deviceId: row.deviceId,
      deviceName: row.deviceName,
      lastReportAgeSeconds: Math.max(0, (now - row.lastReportAt.getTime()) / 1000),
      report,
    });
  }
  return samples;
}
