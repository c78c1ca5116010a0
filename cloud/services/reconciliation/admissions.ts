/**
 * The report's `admissions` section: who came (distinct tickets admitted), who did not (valid tickets
 * never admitted), entries and exits, and how many entries were validated online.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../../db/client';
import { parseRows, sqlCount } from '../../db/rows';
import type { ReconciliationReport } from './report';
import type { ReportScope } from './scope';

const TotalsRow = z.object({
  unique_admissions: sqlCount,
  no_shows: sqlCount,
  entries: sqlCount,
  exits: sqlCount,
  online_entries: sqlCount,
});

/** Admission counts of the event, from gate uploads and online validations. */
export async function admissionFigures(
  tx: Executor,
  { eventId, tenantId }: ReportScope,
): Promise<ReconciliationReport['admissions']> {
  const [totals] = parseRows(
    TotalsRow,
    await tx.execute(sql`
      with accepted as (
        select ds.ticket_serial as serial, ds.direction, 0 as online from device_scans ds
         where ds.event_id = ${eventId}::uuid and ds.tenant_id = ${tenantId} and ds.accepted = 1
           and ds.quarantined = 0 and ds.ticket_serial is not null
        union all
        select t.serial, s.direction, 1 from scans s join tickets t on t.id = s.ticket_id
         where s.event_id = ${eventId}::uuid and s.tenant_id = ${tenantId} and s.accepted = 1
      ), admitted as (select distinct serial from accepted where direction = 'in')
      select (select count(*) from admitted)::int as unique_admissions,
             (select count(*) from tickets t
               where t.event_id = ${eventId}::uuid and t.tenant_id = ${tenantId} and t.status = 'valid'
                 and not exists (select 1 from admitted a where a.serial = t.serial))::int as no_shows,
             (select count(*) from accepted where direction = 'in')::int as entries,
             (select count(*) from accepted where direction = 'out')::int as exits,
             (select count(*) from accepted where direction = 'in' and online = 1)::int as online_entries`),
  );
  return {
    uniqueAdmissions: totals?.unique_admissions ?? 0,
    noShows: totals?.no_shows ?? 0,
    entries: totals?.entries ?? 0,
    exits: totals?.exits ?? 0,
    onlineEntries: totals?.online_entries ?? 0,
  };
}
