/**
 * Findings (a double admission's two entries, a revoked ticket's admission) and the scans behind them:
 * the finding queries carry only each scan's keys (`<p>source`, `<p>device_id`, `<p>seq`,
 * `<p>online_id`) through their window functions; these joins and columns fetch the details for the
 * findings alone, and `admissionScanOf` reads one side back as an AdmissionScan.
 */
import { type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { sqlNumber } from '../../db/rows';
import type { AdmissionScan } from './report';
import { iso, seconds } from './scope';

/** Joins the stored scan behind finding columns `<p>source`, `<p>device_id`, `<p>seq`, `<p>online_id`. */
export function scanJoins(p: string): SQL {
  return sql.raw(`
      left join device_scans ${p}ds on f.${p}source = 'device' and ${p}ds.device_id = f.${p}device_id
                                    and ${p}ds.seq = f.${p}seq
      left join devices ${p}d on ${p}d.id = ${p}ds.device_id
      left join scans ${p}s on f.${p}source = 'online' and ${p}s.id = f.${p}online_id
      left join gates ${p}g on ${p}g.id = coalesce(${p}ds.gate_id, ${p}s.gate_id)`);
}

/** The AdmissionScan columns of one side, named `<p>…` (read back by `admissionScanOf`). */
export function scanColumns(p: string): SQL {
  return sql`
      f.${sql.raw(p)}source as ${sql.raw(`${p}source`)},
      coalesce(${sql.raw(`${p}ds.id`)}, ${sql.raw(`${p}s.id`)})::text as ${sql.raw(`${p}scan_id`)},
      ${sql.raw(`${p}ds.device_id`)}::text as ${sql.raw(`${p}device_id`)},
      ${sql.raw(`${p}d.name`)} as ${sql.raw(`${p}device_name`)},
      ${sql.raw(`${p}ds.seq`)} as ${sql.raw(`${p}seq`)},
      coalesce(${sql.raw(`${p}ds.gate_id`)}, ${sql.raw(`${p}s.gate_id`)})::text as ${sql.raw(`${p}gate_id`)},
      ${sql.raw(`${p}g.name`)} as ${sql.raw(`${p}gate_name`)},
      f.${sql.raw(p)}direction as ${sql.raw(`${p}direction`)},
      ${iso(sql.raw(`f.${p}at_ts`))} as ${sql.raw(`${p}at`)},
      ${iso(sql.raw(`${p}ds.scanned_at`))} as ${sql.raw(`${p}device_clock_at`)},
      ${iso(sql.raw(`${p}ds.received_at`))} as ${sql.raw(`${p}uploaded_at`)},
      (extract(epoch from (${sql.raw(`${p}ds.received_at - ${p}ds.estimated_at`)})) * 1000)::float8
        as ${sql.raw(`${p}lag_ms`)},
      coalesce(${sql.raw(`${p}ds.unconfirmed`)}, 0) = 1 as ${sql.raw(`${p}unconfirmed`)}`;
}

/** The columns of `scanColumns` without their prefix. */
const ScanColumns = z
  .object({
    source: z.enum(['device', 'online']),
    scan_id: z.string(),
    device_id: z.string().nullable(),
    device_name: z.string().nullable(),
    seq: sqlNumber.nullable(),
    gate_id: z.string(),
    gate_name: z.string().nullable(),
    direction: z.enum(['in', 'out']),
    at: z.string(),
    device_clock_at: z.string().nullable(),
    uploaded_at: z.string().nullable(),
    lag_ms: sqlNumber.nullable(),
    unconfirmed: z.boolean(),
  })
  .transform(
    (row): AdmissionScan => ({
      source: row.source,
      scanId: row.scan_id,
      deviceId: row.device_id,
      deviceName: row.device_name,
      seq: row.seq,
      gateId: row.gate_id,
      gateName: row.gate_name,
      direction: row.direction,
      at: row.at,
      deviceClockAt: row.device_clock_at,
      uploadedAt: row.uploaded_at,
      uploadLagSeconds: seconds(row.lag_ms),
      unconfirmed: row.unconfirmed,
    }),
  );

/** One side of a finding row (`p_` = the earlier scan, `c_` = the current one) as an AdmissionScan. */
export function admissionScanOf(row: Record<string, unknown>, prefix: string): AdmissionScan {
  const side: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (key.startsWith(prefix)) side[key.slice(prefix.length)] = value;
  }
  return ScanColumns.parse(side);
}

/** A finding list as the report keeps it: at most MAX_FINDINGS_PER_KIND, and how many there are in all. */
export interface Findings<Finding> {
  findings: Finding[];
  total: number;
}

/** Findings from rows that each carry one and the count of all of them (`count(*) over ()` before the limit). */
export function findingsOf<Finding>(rows: Array<{ finding: Finding; total: number }>): Findings<Finding> {
  return { findings: rows.map((row) => row.finding), total: rows[0]?.total ?? 0 };
}
