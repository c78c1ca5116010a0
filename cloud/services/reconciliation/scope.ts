/**
 * What a reconciliation report reads: the event (its `event` section, read first because every other
 * query needs its venue) and the SQL fragments that pick the event's scans out of everything the cloud
 * holds — shared by the section queries so that every section counts the same scans — plus the way
 * they all read times back.
 */
import { type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../../db/client';
import { parseRows, sqlNumber } from '../../db/rows';
import type { ReconciliationReport } from './report';

/** The event a report is computed for, and its venue (scans at the venue's devices may count for it). */
export interface ReportScope {
  eventId: string;
  tenantId: string;
  venueId: string;
}

/**
 * Unreadable codes carry no event (the gate could not tell which event they were for). They count for
 * an event when scanned at a device of its venue from an hour before doors open until an hour after it
 * ends.
 */
const STRAY_SCAN_MARGIN = sql`interval '1 hour'`;

/** A timestamp column as ISO 8601 UTC with milliseconds, formatted by the database (same on every driver). */
export function iso(column: SQL): SQL {
  return sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** A duration the SQL gives in milliseconds, as seconds with millisecond precision. */
export function seconds(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms) / 1000;
}

const EventRow = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    name: z.string(),
    status: z.enum(['draft', 'published', 'cancelled']),
    venue_id: z.string(),
    venue_name: z.string(),
    timezone: z.string(),
    doors_open_at: z.string().nullable(),
    starts_at: z.string(),
    ends_at: z.string(),
    change_seq: sqlNumber,
  })
  .transform((row): ReconciliationReport['event'] => ({
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    status: row.status,
    venueId: row.venue_id,
    venueName: row.venue_name,
    timezone: row.timezone,
    doorsOpenAt: row.doors_open_at,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    changeSeq: row.change_seq,
  }));

/** The event as the report shows it, or undefined when it is gone (or not the tenant's). */
export async function reportEvent(
  tx: Executor,
  run: { eventId: string; tenantId: string },
): Promise<ReconciliationReport['event'] | undefined> {
  const [event] = parseRows(
    EventRow,
    await tx.execute(sql`
      select e.id, e.tenant_id, e.name, e.status, e.venue_id, v.name as venue_name, v.timezone,
             ${iso(sql`e.doors_open_at`)} as doors_open_at, ${iso(sql`e.starts_at`)} as starts_at,
             ${iso(sql`e.ends_at`)} as ends_at, e.change_seq
        from events e join venues v on v.id = e.venue_id
       where e.id = ${run.eventId}::uuid and e.tenant_id = ${run.tenantId}`),
  );
  return event;
}

/**
 * Devices that matter for this event: those at its venue's gates that serve it (enrolled for every
 * event of the venue, or for this one). Those that uploaded its scans are found from the scans.
 */
export function venueDevices({ eventId, tenantId, venueId }: ReportScope): SQL {
  return sql`(
    select d.id from devices d join gates g on g.id = d.gate_id
     where d.tenant_id = ${tenantId} and g.venue_id = ${venueId}::uuid
       and (d.event_ids is null or ${eventId}::uuid = any(d.event_ids)))`;
}

/** The stretch of time in which a stray (eventless) scan at the venue counts for the event. */
function strayWindow({ eventId }: ReportScope): SQL {
  return sql`(select coalesce(doors_open_at, starts_at) - ${STRAY_SCAN_MARGIN} as win_from,
                             ends_at + ${STRAY_SCAN_MARGIN} as win_to
                        from events where id = ${eventId}::uuid)`;
}

/**
 * CTE `event_scans`: every readable gate scan that belongs to the report — the event's own, plus
 * rejected codes at its venue's devices during the event that name no event of this venue (unreadable,
 * forged, another venue's).
 */
export function eventScans(scope: ReportScope): SQL {
  const { eventId, tenantId, venueId } = scope;
  return sql`
    event_scans as (
      select ds.* from device_scans ds
       where ds.event_id = ${eventId}::uuid and ds.tenant_id = ${tenantId} and ds.quarantined = 0
      union all
      select ds.* from device_scans ds, ${strayWindow(scope)} w
       where ds.device_id in ${venueDevices(scope)} and ds.tenant_id = ${tenantId}
         and ds.quarantined = 0 and ds.accepted = 0
         and (ds.event_id is null
              or ds.event_id not in (select id from events where venue_id = ${venueId}::uuid))
         and ds.estimated_at >= w.win_from and ds.estimated_at < w.win_to
    )`;
}

/** CTE `online_rejected`: rejected online validations of the event, or eventless ones at its gates in time. */
export function onlineRejected(scope: ReportScope): SQL {
  const { eventId, tenantId, venueId } = scope;
  return sql`
    online_rejected as (
      select s.gate_id, s.reason from scans s, ${strayWindow(scope)} w
       where s.tenant_id = ${tenantId} and s.accepted = 0
         and (s.event_id = ${eventId}::uuid
              or (s.event_id is null
                  and s.gate_id in (select id from gates where venue_id = ${venueId}::uuid)
                  and s.scanned_at >= w.win_from and s.scanned_at < w.win_to))
    )`;
}

/**
 * CTE `accepted`: accepted scans of the event, narrow (keys, ticket, direction, time) — gate uploads
 * and online validations. The window functions over it sort every one of them, so the details a
 * finding shows are joined afterwards, for the findings only (./admission-scan.ts).
 */
export function acceptedScans({ eventId, tenantId }: ReportScope): SQL {
  return sql`
    accepted as (
      select 'device'::text as source, ds.device_id, ds.seq, null::uuid as online_id,
             ds.ticket_serial as serial, ds.generation, ds.manifest_seq, ds.direction, ds.estimated_at as at_ts
        from device_scans ds
       where ds.event_id = ${eventId}::uuid and ds.tenant_id = ${tenantId} and ds.accepted = 1
         and ds.quarantined = 0 and ds.ticket_serial is not null and ds.direction in ('in', 'out')
         -- A gate's record it undid (issue 17) is no admission.
         and not exists (select 1 from admissions u
                          where u.event_id = ds.event_id and u.direction = 'undo'
                            and u.undoes_origin = ds.device_id::text and u.undoes_origin_seq = ds.admission_seq)
      union all
      select 'online', null, null, s.id, t.serial, s.generation, null, s.direction, s.scanned_at
        from scans s join tickets t on t.id = s.ticket_id
       where s.event_id = ${eventId}::uuid and s.tenant_id = ${tenantId} and s.accepted = 1
    )`;
}
