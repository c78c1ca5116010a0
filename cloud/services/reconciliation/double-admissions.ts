/**
 * The report's double admissions: one ticket let in twice without an exit between, by two devices (or
 * a device and the online channel) that could not know of each other's entry. Found by comparing each
 * accepted scan with the one before it on the same ticket, in the cloud's time order.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../../db/client';
import { parseRows, sqlNumber } from '../../db/rows';
import { admissionScanOf, type Findings, findingsOf, scanColumns, scanJoins } from './admission-scan';
import { type DoubleAdmission, MAX_FINDINGS_PER_KIND } from './report';
import { acceptedScans, type ReportScope, seconds } from './scope';

/** A finding row: the ticket, how many findings there are in all, and the two scans (`p_`, `c_`). */
const DoubleAdmissionRow = z
  .looseObject({
    serial: sqlNumber,
    ticket_id: z.string().nullable(),
    total: sqlNumber,
    apart_ms: sqlNumber.nullable(),
  })
  .transform((row) => ({
    total: row.total,
    finding: doubleAdmissionOf(row),
  }));

function doubleAdmissionOf(row: {
  serial: number;
  ticket_id: string | null;
  apart_ms: number | null;
  [column: string]: unknown;
}): DoubleAdmission {
  const first = admissionScanOf(row, 'p_');
  const second = admissionScanOf(row, 'c_');
  return {
    ticketId: row.ticket_id,
    serial: row.serial,
    first,
    second,
    secondsApart: seconds(row.apart_ms) ?? 0,
    unconfirmed: first.unconfirmed === true || second.unconfirmed === true,
  };
}

/**
 * The double admissions of the event, earliest first, at most MAX_FINDINGS_PER_KIND of them, and how
 * many there are in all.
 */
export async function doubleAdmissions(tx: Executor, scope: ReportScope): Promise<Findings<DoubleAdmission>> {
  // Two entries in a row (no exit between) at different devices (or a device and the online channel)
  // are a double admission: neither side could know of the other's.
  const rows = parseRows(
    DoubleAdmissionRow,
    await tx.execute(sql`
      with ${acceptedScans(scope)},
      ordered as (
        select a.source as c_source, a.device_id as c_device_id, a.seq as c_seq, a.online_id as c_online_id,
               a.direction as c_direction, a.at_ts as c_at_ts, a.serial,
               lag(a.source) over w as p_source, lag(a.device_id) over w as p_device_id,
               lag(a.seq) over w as p_seq, lag(a.online_id) over w as p_online_id,
               lag(a.direction) over w as p_direction, lag(a.at_ts) over w as p_at_ts
          from accepted a
        window w as (partition by a.serial order by a.at_ts, a.source, a.device_id, a.seq, a.online_id)
      ), found as (
        select o.*, count(*) over () as total from ordered o
         where o.c_direction = 'in' and o.p_direction = 'in'
           and (o.c_source, o.c_device_id) is distinct from (o.p_source, o.p_device_id)
         order by o.c_at_ts, o.serial, o.c_source, o.c_device_id, o.c_seq, o.c_online_id
         limit ${MAX_FINDINGS_PER_KIND}
      )
      select f.serial, t.id as ticket_id, f.total,
             (extract(epoch from (f.c_at_ts - f.p_at_ts)) * 1000)::float8 as apart_ms,
             ${scanColumns('c_')}, ${scanColumns('p_')}
        from found f
        left join tickets t on t.event_id = ${scope.eventId}::uuid and t.serial = f.serial
        ${scanJoins('c_')} ${scanJoins('p_')}
       order by f.c_at_ts, f.serial, f.c_source, f.c_device_id, f.c_seq, f.c_online_id`),
  );
  return findingsOf(rows);
}
