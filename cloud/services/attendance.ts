/**
 * Attendance of an event (SPEC section 4 reports): who is in, from the event's admission history — every
 * accepted entry and exit the cloud knows (gate uploads, online validation, the box office's check-ins),
 * less the ones undone (issue 17: an undone entry never came in). `admitted` counts distinct tickets
 * admitted at least once; `inside` those whose last standing movement was an entry, in the shared fold's
 * order (corrected time, origin, number). Gate records are placed in time by their cloud-clock estimate
 * (device clock + measured offset), never by arrival order. Computed in SQL over the whole event, not by
 * loading records into memory. Only the event's tenant's records count.
 */
import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { parseRows, sqlCount, sqlInstant } from '../db/rows';
import { events } from '../db/schema';
import { fail, type Result } from '../errors';
import { type Actor, tenantScope } from './actor';
import { standingMovementSql } from './admissions';
import type { ServiceContext } from './context';

export const AttendanceSchema = z
  .object({
    eventId: z.uuid(),
    admitted: z
      .number()
      .int()
      .meta({ description: 'Distinct tickets admitted at least once (undone entries do not count)' }),
    inside: z.number().int().meta({ description: 'Tickets whose last standing movement was an entry' }),
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

  // The event's standing movements: its admission history (gate uploads, online validation, the box
  // office) without undo records and the records they took back (./admissions.ts standingMovementSql).
  const accepted = sql`
    with accepted as (
      select a.serial, a.direction, to_timestamp(a.at_ms / 1000.0) as at, a.at_ms, a.origin, a.origin_seq,
             a.gate_id
        from admissions a
       where a.event_id = ${eventId} and a.tenant_id = ${event.tenantId} and ${standingMovementSql('a')}
    )`;
  const [totals] = parseRows(
    TotalsRow,
    await ctx.db.execute(sql`${accepted},
      last as (select distinct on (serial) serial, direction from accepted
                order by serial, at_ms desc, origin collate "C" desc, origin_seq desc)
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
