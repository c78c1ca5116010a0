/**
 * Arrived and sold per event and per ticket type (issue 17), for the operations page's "Arrived X of Y
 * sold": computed in SQL over the cloud's admission history (db/admissions-schema.ts), never by loading
 * records into memory.
 *
 * - sold: valid issued tickets (a refund, revocation, or the event's cancellation makes a ticket
 *   `revoked`, so it is no longer sold);
 * - arrived: sold tickets with at least one effective entry;
 * - inside: sold tickets whose latest effective movement is an entry.
 *
 * "Latest" is the order of the shared fold (shared/admission/history.ts compareAdmissions): corrected
 * time `at_ms`, then origin compared by code unit (hence `collate "C"`, whatever the database's default
 * collation), then origin_seq. A ticket refunded or revoked after it came in is not counted: the page
 * reads "X of Y sold", so X never exceeds Y.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { parseRows, sqlCount, sqlNumber } from '../../db/rows';
import { standingMovementSql } from '../admissions';
import type { ServiceContext } from '../context';
import type { EventArrivals } from './schema';

/** The event the figures are for (its tenant bounds every row read). */
export interface ArrivalsEvent {
  id: string;
  tenantId: string;
}

/**
 * The admission records that count: standing movements — entries and exits, without undo records and
 * without the records they take back (../admissions.ts standingMovementSql, the SQL twin of the shared
 * fold's effectiveMovements) — and every figure below follows.
 */
function effectiveAdmissions(event: ArrivalsEvent) {
  return sql`effective_admissions as (
      select a.serial, a.direction, a.at_ms, a.origin, a.origin_seq
        from admissions a
       where a.event_id = ${event.id} and a.tenant_id = ${event.tenantId}
         and ${standingMovementSql('a')}
    )`;
}

/**
 * Per ticket serial with any effective record: whether it ever entered, and whether its latest
 * movement (in the shared fold's order) is an entry. One pass over the event's records, grouped by
 * ticket (no per-ticket subquery). Named `presence`.
 */
function presence(event: ArrivalsEvent) {
  return sql`with ${effectiveAdmissions(event)},
    presence as (
      select serial,
             bool_or(direction = 'in') as arrived,
             (array_agg(direction order by at_ms desc, origin collate "C" desc, origin_seq desc))[1] = 'in'
               as inside
        from effective_admissions
       group by serial
    )`;
}

const PresenceRow = z.object({ serial: sqlNumber, arrived: z.boolean(), inside: z.boolean() });

/** Every ticket of the event with an effective record, and where it is (also what the tests compare). */
export async function ticketPresence(ctx: ServiceContext, event: ArrivalsEvent) {
  return parseRows(
    PresenceRow,
    await ctx.db.execute(
      sql`${presence(event)} select serial, arrived, inside from presence order by serial`,
    ),
  );
}

const TypeRow = z.object({
  ticketTypeId: z.string(),
  typeNo: z.number().int(),
  name: z.string(),
  sold: sqlCount,
  arrived: sqlCount,
  inside: sqlCount,
});

/** Sold, arrived and inside per ticket type (every type of the event, in type order) and in total. */
export async function eventArrivals(ctx: ServiceContext, event: ArrivalsEvent): Promise<EventArrivals> {
  const byTicketType = parseRows(
    TypeRow,
    await ctx.db.execute(sql`${presence(event)}
      select tt.id as "ticketTypeId", tt.type_no as "typeNo", tt.name,
             count(t.id)::int as sold,
             count(t.id) filter (where p.arrived)::int as arrived,
             count(t.id) filter (where p.inside)::int as inside
        from ticket_types tt
        left join tickets t on t.ticket_type_id = tt.id and t.status = 'valid'
        left join presence p on p.serial = t.serial
       where tt.event_id = ${event.id} and tt.tenant_id = ${event.tenantId}
       group by tt.id, tt.type_no, tt.name
       order by tt.type_no`),
  );
  const total = { sold: 0, arrived: 0, inside: 0 };
  for (const row of byTicketType) {
    total.sold += row.sold;
    total.arrived += row.arrived;
    total.inside += row.inside;
  }
  return { ...total, byTicketType };
}
