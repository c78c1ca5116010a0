/**
 * Attendance of an event (SPEC section 4 reports): who is in, from every accepted scan the cloud
 * knows — gate uploads (device_scans) and online validations (scans). `admitted` counts distinct tickets
 * admitted at least once; `inside` those whose last accepted scan was an entry. Gate scans are placed in
 * time by their cloud-clock estimate (device clock + measured offset), never by arrival order.
 * Computed in SQL over the whole event, not by loading scans into memory. Only the event's tenant's scans
 * count: a scan row names its event by id, and a device of another tenant must never add to it.
 */
import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { parseRows, sqlCount, sqlInstant } from '../db/rows';
import { events } from '../db/schema';
import { fail, type Result } from '../errors';
import { type Actor, tenantScope } from './actor';
import type { ServiceContext } from './context';

export const AttendanceSchema = z
  .object({
    eventId: z.uuid(),
    admitted: z.number().int().meta({ description: 'Distinct tickets admitted at least once' }),
    inside: z.number().int().meta({ description: 'Tickets whose last accepted scan was an entry' }),
    byGate: z.array(
      z.object({ gateId: z.uuid(), gateName: z.string().nullable(), admitted: z.number().int() }),
    ),
    byTicketType: z.array(
      z.object({ typeNo: z.number().int(), name: z.string().nullable(), admitted: z.number().int() }),
    ),
    /** Entries (accepted `in` scans) per minute, oldest first; `minute` is ISO 8601 UTC. */
    perMinute: z.array(z.object({ minute: z.string(), entries: z.number().int() })),
  })
  .meta({ id: 'Attendance' });
export type Attendance = z.infer<typeof AttendanceSchema>;

const TotalsRow = z.object({ admitted: sqlCount, inside: sqlCount });
const GateRow = z.object({ gateId: z.string(), gateName: z.string().nullable(), admitted: sqlCount });
const TicketTypeRow = z.object({ typeNo: z.number().int(), name: z.string().nullable(), admitted: sqlCount });
const MinuteRow = z.object({ minute: sqlInstant, entries: sqlCount });

/** The attendance report of an event of the actor's tenant (ops: any tenant). */
export async function eventAttendance(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
): Promise<Result<{ attendance: Attendance }>> {
  const [event] = await ctx.db
    .select({ id: events.id, tenantId: events.tenantId })
    .from(events)
    .where(and(eq(events.id, eventId), tenantScope(actor, events.tenantId)));
  if (!event) return fail('NOT_FOUND', 'event not found');

  const accepted = sql`
    with accepted as (
      select ds.ticket_serial as serial, ds.direction, ds.estimated_at as at, ds.gate_id
        from device_scans ds
       where ds.event_id = ${eventId} and ds.tenant_id = ${event.tenantId} and ds.accepted = 1
         and ds.quarantined = 0 and ds.ticket_serial is not null
      union all
      select t.serial, s.direction, s.scanned_at as at, s.gate_id
        from scans s join tickets t on t.id = s.ticket_id
       where s.event_id = ${eventId} and s.tenant_id = ${event.tenantId} and s.accepted = 1
    )`;
  const [totals] = parseRows(
    TotalsRow,
    await ctx.db.execute(sql`${accepted},
      last as (select distinct on (serial) serial, direction from accepted order by serial, at desc)
      select (select count(distinct serial) from accepted where direction = 'in')::int as admitted,
             (select count(*) from last where direction = 'in')::int as inside`),
  );
  const byGate = parseRows(
    GateRow,
    await ctx.db.execute(sql`${accepted}
      select a.gate_id as "gateId", g.name as "gateName", count(distinct a.serial)::int as admitted
        from accepted a left join gates g on g.id = a.gate_id
       where a.direction = 'in' group by a.gate_id, g.name order by g.name nulls last`),
  );
  const byTicketType = parseRows(
    TicketTypeRow,
    await ctx.db.execute(sql`${accepted}
      select t.type_no as "typeNo", tt.name, count(distinct a.serial)::int as admitted
        from accepted a
        join tickets t on t.event_id = ${eventId} and t.serial = a.serial
        left join ticket_types tt on tt.id = t.ticket_type_id
       where a.direction = 'in' group by t.type_no, tt.name order by t.type_no`),
  );
  const perMinute = parseRows(
    MinuteRow,
    await ctx.db.execute(sql`${accepted}
      select date_trunc('minute', a.at) as minute, count(*)::int as entries
        from accepted a where a.direction = 'in' group by 1 order by 1`),
  );
  return {
    ok: true,
    attendance: {
      eventId,
      admitted: totals?.admitted ?? 0,
      inside: totals?.inside ?? 0,
      byGate,
      byTicketType,
      perMinute,
    },
  };
}
