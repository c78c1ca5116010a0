/**
 * The report's admissions of revoked tickets: entries accepted after the cloud had revoked the ticket
 * (refund, cancellation) or replaced the admitted QR by a transfer — a gate whose manifest had not
 * caught up yet — with how far behind that manifest was.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../../db/client';
import { parseRows, sqlNumber } from '../../db/rows';
import { admissionScanOf, type Findings, findingsOf, scanColumns, scanJoins } from './admission-scan';
import { MAX_FINDINGS_PER_KIND, type RevokedAdmission } from './report';
import { acceptedScans, iso, type ReportScope, seconds } from './scope';

/** A finding row: the ticket, the admission (`c_`), the change that revoked it (`r_`), the gate's manifest. */
const RevokedAdmissionRow = z
  .looseObject({
    serial: sqlNumber,
    generation: sqlNumber.nullable(),
    ticket_id: z.string().nullable(),
    total: sqlNumber,
    manifest_seq: sqlNumber.nullable(),
    r_op: z.enum(['revoke', 'transfer']),
    r_seq: sqlNumber,
    r_at: z.string(),
    r_reason: z.string().nullable(),
    after_ms: sqlNumber.nullable(),
    manifest_as_of: z.string().nullable(),
  })
  .transform((row) => ({
    total: row.total,
    finding: {
      ticketId: row.ticket_id,
      serial: row.serial,
      generation: row.generation,
      admission: admissionScanOf(row, 'c_'),
      revocation: { op: row.r_op, seq: row.r_seq, at: row.r_at, reason: row.r_reason },
      gateManifestSeq: row.manifest_seq,
      changesBehind: row.manifest_seq === null ? null : row.r_seq - row.manifest_seq,
      gateManifestAsOf: row.manifest_as_of,
      secondsAfterRevocation: seconds(row.after_ms) ?? 0,
    } satisfies RevokedAdmission,
  }));

/**
 * The admissions of revoked tickets of the event, earliest first, at most MAX_FINDINGS_PER_KIND of
 * them, and how many there are in all.
 */
export async function revokedAdmissions(
  tx: Executor,
  scope: ReportScope,
): Promise<Findings<RevokedAdmission>> {
  const { eventId, tenantId } = scope;
  // For each accepted entry, the first change that made the admitted QR inadmissible: a revocation of
  // that generation or later, or a transfer to a newer generation. An entry after that change was made
  // in the cloud came from a gate whose manifest had not caught up yet.
  const rows = parseRows(
    RevokedAdmissionRow,
    await tx.execute(sql`
      with ${acceptedScans(scope)},
      invalidations as (
        select serial, op, seq, generation, created_at, reason from ticket_changes
         where event_id = ${eventId}::uuid and serial is not null and op in ('revoke', 'transfer')
      ), matched as (
        select distinct on (a.source, a.device_id, a.seq, a.online_id)
               a.source as c_source, a.device_id as c_device_id, a.seq as c_seq, a.online_id as c_online_id,
               a.direction as c_direction, a.at_ts as c_at_ts, a.serial, a.generation, a.manifest_seq,
               c.op as r_op, c.seq as r_seq, c.created_at as r_at_ts, c.reason as r_reason
          from accepted a
          join invalidations c on c.serial = a.serial
               and ((c.op = 'revoke' and c.generation >= coalesce(a.generation, 0))
                    or (c.op = 'transfer' and c.generation > coalesce(a.generation, 0)))
         where a.direction = 'in'
         order by a.source, a.device_id, a.seq, a.online_id, c.seq
      ), found as (
        select m.*, count(*) over () as total from matched m where m.c_at_ts >= m.r_at_ts
         order by m.c_at_ts, m.serial, m.c_source, m.c_device_id, m.c_seq, m.c_online_id
         limit ${MAX_FINDINGS_PER_KIND}
      )
      select f.serial, f.generation, t.id as ticket_id, f.total, f.manifest_seq,
             ${scanColumns('c_')}, f.r_op, f.r_seq, ${iso(sql`f.r_at_ts`)} as r_at, f.r_reason,
             (extract(epoch from (f.c_at_ts - f.r_at_ts)) * 1000)::float8 as after_ms,
             ${iso(sql`mc.created_at`)} as manifest_as_of
        from found f
        left join tickets t on t.event_id = ${eventId}::uuid and t.serial = f.serial
        -- The newest change at or below the gate's cursor (a number may carry no row: a moved head).
        left join lateral (
          select created_at from (
            (select seq, created_at from ticket_changes
              where event_id = ${eventId}::uuid and seq <= f.manifest_seq order by seq desc limit 1)
            union all
            (select seq, created_at from admissions
              where event_id = ${eventId}::uuid and tenant_id = ${tenantId} and seq <= f.manifest_seq
              order by seq desc limit 1)
          ) newest order by seq desc limit 1) mc on true
        ${scanJoins('c_')}
       order by f.c_at_ts, f.serial, f.c_source, f.c_device_id, f.c_seq, f.c_online_id`),
  );
  return findingsOf(rows);
}
