/**
 * The report's `admissions` section: who came (distinct tickets admitted), who did not (valid tickets
 * never admitted), entries and exits, and how many entries were validated online.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../../db/client';
import { parseRows, sqlCount } from '../../db/rows';
import { standingMovementSql } from '../admissions';
import type { ReconciliationReport } from './report';
import type { ReportScope } from './scope';

const TotalsRow = z.object({
  unique_admissions: sqlCount,
  no_shows: sqlCount,
  entries: sqlCount,
  exits: sqlCount,
  online_entries: sqlCount,
});

/** Admission counts of the event, from its admission history (gate uploads, online, the box office), less undone records. */
export async function admissionFigures(
  tx: Executor,
  { eventId, tenantId }: ReportScope,
): Promise<ReconciliationReport['admissions']> {
  const [totals] = parseRows(
    TotalsRow,
    await tx.execute(sql`
      with accepted as (
        -- The event's standing movements (issue 17: undone ones never happened); a record the cloud
        -- made without a device (online validation, the box office) is an online one.
        select a.serial, a.direction, case when a.device_id is null then 1 else 0 end as online
          from admissions a
         where a.event_id = ${eventId}::uuid and a.tenant_id = ${tenantId} and ${standingMovementSql('a')}
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
