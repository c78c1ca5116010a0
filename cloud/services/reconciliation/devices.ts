/**
 * The report's per-device figures: each gate device that served the event or uploaded its scans — its
 * scans, the gaps in its sequence (scans the cloud never received), its last upload and clock skew.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../../db/client';
import { parseRows, sqlCount, sqlNumber } from '../../db/rows';
import { CLOCK_SKEW_THRESHOLD_MS, type DeviceReconciliation, type SequenceGap } from './report';
import { eventScans, iso, type ReportScope, seconds, venueDevices } from './scope';

const DeviceRow = z.object({
  device_id: z.string(),
  name: z.string(),
  gate_id: z.string(),
  gate_name: z.string().nullable(),
  status: z.enum(['active', 'revoked']),
  acked_seq: sqlNumber,
  last_upload_at: z.string().nullable(),
  last_seen_at: z.string().nullable(),
  clock_offset_ms: sqlNumber.nullable(),
  scans: sqlCount.nullable(),
  accepted: sqlCount.nullable(),
  rejected: sqlCount.nullable(),
  first_at: z.string().nullable(),
  last_at: z.string().nullable(),
  min_offset: sqlNumber.nullable(),
  max_offset: sqlNumber.nullable(),
  max_lag_ms: sqlNumber.nullable(),
  quarantined: sqlCount,
  highest_seq: sqlNumber.nullable(),
});
type DeviceRow = z.infer<typeof DeviceRow>;

const GapRow = z.object({
  device_id: z.string(),
  from_seq: sqlNumber,
  to_seq: sqlNumber,
  after: z.string().nullable(),
  before: z.string().nullable(),
});

/** The devices of the report, by gate name, device name and id. */
async function deviceRows(tx: Executor, scope: ReportScope): Promise<DeviceRow[]> {
  return parseRows(
    DeviceRow,
    await tx.execute(sql`
      with ${eventScans(scope)},
      per_device as (
        select es.device_id, count(*)::int as scans, count(*) filter (where es.accepted = 1 and es.direction is distinct from 'undo')::int as accepted,
               count(*) filter (where es.accepted = 0)::int as rejected,
               min(es.estimated_at) as first_at, max(es.estimated_at) as last_at,
               min(es.clock_offset_ms) as min_offset, max(es.clock_offset_ms) as max_offset,
               max(extract(epoch from (es.received_at - es.estimated_at)) * 1000)::float8 as max_lag_ms
          from event_scans es group by es.device_id
      )
      select d.id::text as device_id, d.name, d.gate_id::text as gate_id, g.name as gate_name, d.status,
             d.acked_seq, ${iso(sql`d.last_upload_at`)} as last_upload_at,
             ${iso(sql`d.last_seen_at`)} as last_seen_at, d.clock_offset_ms,
             p.scans, p.accepted, p.rejected, ${iso(sql`p.first_at`)} as first_at,
             ${iso(sql`p.last_at`)} as last_at, p.min_offset, p.max_offset, p.max_lag_ms,
             (select count(*) from device_scans q where q.device_id = d.id and q.quarantined = 1)::int as quarantined,
             (select max(m.seq) from device_scans m where m.device_id = d.id) as highest_seq
        from devices d
        left join gates g on g.id = d.gate_id
        left join per_device p on p.device_id = d.id
       where d.tenant_id = ${scope.tenantId} and (p.device_id is not null or d.id in ${venueDevices(scope)})
       order by g.name nulls last, d.name, d.id`),
  );
}

/**
 * The gaps in these devices' sequences, by device. Gaps can only lie above the acknowledged prefix
 * (which is gap-free by definition), so only that tail of each device's log is read; the row at
 * acked_seq itself anchors the first comparison.
 */
async function sequenceGaps(tx: Executor, deviceIds: string[]): Promise<Map<string, SequenceGap[]>> {
  const gapsByDevice = new Map<string, SequenceGap[]>();
  if (deviceIds.length === 0) return gapsByDevice;
  const rows = parseRows(
    GapRow,
    await tx.execute(sql`
      select x.device_id::text as device_id, x.prev + 1 as from_seq, x.seq - 1 as to_seq,
             ${iso(sql`x.prev_at`)} as after, ${iso(sql`x.at`)} as before
        from (
          select ds.device_id, ds.seq, ds.estimated_at as at,
                 coalesce(lag(ds.seq) over w, d.acked_seq) as prev, lag(ds.estimated_at) over w as prev_at
            from devices d join device_scans ds on ds.device_id = d.id and ds.seq >= d.acked_seq
           where d.id = any(${sql.param(deviceIds)}::uuid[])
          window w as (partition by ds.device_id order by ds.seq)
        ) x
       where x.seq - x.prev > 1
       order by x.device_id, x.seq`),
  );
  for (const gap of rows) {
    const list = gapsByDevice.get(gap.device_id) ?? [];
    const { from_seq: fromSeq, to_seq: toSeq } = gap;
    list.push({ fromSeq, toSeq, missing: toSeq - fromSeq + 1, after: gap.after, before: gap.before });
    gapsByDevice.set(gap.device_id, list);
  }
  return gapsByDevice;
}

function deviceFigures(d: DeviceRow, gaps: SequenceGap[]): DeviceReconciliation {
  const offsets = [d.clock_offset_ms, d.min_offset, d.max_offset].filter((o) => o !== null);
  return {
    deviceId: d.device_id,
    name: d.name,
    gateId: d.gate_id,
    gateName: d.gate_name,
    status: d.status,
    scans: d.scans ?? 0,
    accepted: d.accepted ?? 0,
    rejected: d.rejected ?? 0,
    quarantined: d.quarantined,
    firstScanAt: d.first_at,
    lastScanAt: d.last_at,
    ackedSeq: d.acked_seq,
    highestSeq: d.highest_seq ?? 0,
    gaps,
    missingScans: gaps.reduce((total, g) => total + g.missing, 0),
    lastUploadAt: d.last_upload_at,
    lastSeenAt: d.last_seen_at,
    clockOffsetMs: d.clock_offset_ms,
    minClockOffsetMs: d.min_offset,
    maxClockOffsetMs: d.max_offset,
    clockSkewed: offsets.some((o) => Math.abs(o) > CLOCK_SKEW_THRESHOLD_MS),
    maxUploadLagSeconds: seconds(d.max_lag_ms),
  };
}

/** The `devices` section of the event's report. */
export async function devicesOfReport(tx: Executor, scope: ReportScope): Promise<DeviceReconciliation[]> {
  const devices = await deviceRows(tx, scope);
  const gaps = await sequenceGaps(
    tx,
    devices.map((d) => d.device_id),
  );
  return devices.map((d) => deviceFigures(d, gaps.get(d.device_id) ?? []));
}
