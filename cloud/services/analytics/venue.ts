/**
 * Venue analytics (SPEC section 4, the seeds' analytics): what a venue sold and earned and how many
 * came, over its events starting in a range. Computed in SQL (aggregates per event and per currency),
 * never by loading orders or scans into memory.
 *
 * Definitions, the same for customer analytics (./customer.ts):
 * - tickets sold: tickets issued (a refunded ticket was still sold; it is counted again under `revoked`);
 * - revenue: per currency (never summed across currencies) — gross of every order, refunded, net;
 * - admitted: distinct tickets with an accepted entry (gate uploads or online validations);
 * - attendance rate: admitted valid tickets / valid tickets, over events whose doors have opened (a
 *   future event would otherwise drag the rate down); null when there is nothing to divide by;
 * - peak entry minute: the minute (UTC) with the most accepted entries; the earliest one on a tie.
 */
import { and, eq, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { parseRows, sqlCount, sqlInstant } from '../../db/rows';
import { venues } from '../../db/schema';
import { fail, type Result } from '../../errors';
import { type Actor, tenantScope } from '../actor';
import type { ServiceContext } from '../context';
import { ENTRIES, mayReadAnalytics, rate, revenueColumns, revenueOf, sumRevenue, total } from './figures';
import type { Revenue, VenueAnalytics } from './schema';

const EventRow = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(['published', 'cancelled']),
  starts_at: sqlInstant,
  doors_opened: z.boolean(),
  sold: sqlCount,
  valid: sqlCount,
  revoked: sqlCount,
  admitted: sqlCount,
});
type EventRow = z.infer<typeof EventRow>;

const EventRevenueRow = z.object({ event_id: z.string(), ...revenueColumns });
const PeakRow = z.object({ minute: sqlInstant, entries: sqlCount, event_id: z.string().nullable() });

/** The CTE `ev`: the venue's published and cancelled events starting in [from, to), as of `now`. */
function venueEvents(
  venue: { id: string; tenantId: string },
  from: string | null,
  to: string | null,
  now: string,
) {
  return sql`
    ev as (
      select e.id, e.name, e.status, e.starts_at, coalesce(e.doors_open_at, e.starts_at) <= ${now}::timestamptz as doors_opened
        from events e
       where e.venue_id = ${venue.id}::uuid and e.tenant_id = ${venue.tenantId} and e.status <> 'draft'
         and (${from}::timestamptz is null or e.starts_at >= ${from}::timestamptz)
         and (${to}::timestamptz is null or e.starts_at < ${to}::timestamptz)
    )`;
}

/** Tickets sold, valid, revoked and admitted per event of `ev`, by start time. */
async function eventFigures(ctx: ServiceContext, ev: SQL): Promise<EventRow[]> {
  return parseRows(
    EventRow,
    await ctx.db.execute(sql`
      with ${ev}, ${ENTRIES},
      admitted as (select distinct event_id, serial from entries),
      ticket_counts as (
        select t.event_id, count(*)::int as sold, count(*) filter (where t.status = 'valid')::int as valid,
               count(*) filter (where t.status = 'revoked')::int as revoked,
               count(*) filter (where t.status = 'valid' and a.serial is not null)::int as admitted
          from tickets t
          left join admitted a on a.event_id = t.event_id and a.serial = t.serial
         where t.event_id in (select id from ev)
         group by t.event_id
      )
      select ev.id, ev.name, ev.status, ev.starts_at, ev.doors_opened, coalesce(tc.sold, 0) as sold,
             coalesce(tc.valid, 0) as valid, coalesce(tc.revoked, 0) as revoked,
             coalesce(tc.admitted, 0) as admitted
        from ev left join ticket_counts tc on tc.event_id = ev.id
       order by ev.starts_at, ev.id`),
  );
}

/** Revenue per event of `ev` and currency. */
async function eventRevenue(ctx: ServiceContext, ev: SQL): Promise<Map<string, Revenue[]>> {
  const rows = parseRows(
    EventRevenueRow,
    await ctx.db.execute(sql`
      with ${ev}
      select o.event_id, o.currency, count(*)::int as orders, sum(o.total_cents)::bigint as gross,
             coalesce(sum(o.total_cents) filter (where o.status = 'refunded'), 0)::bigint as refunded
        from orders o where o.event_id in (select id from ev)
       group by o.event_id, o.currency order by o.event_id, o.currency`),
  );
  const byEvent = new Map<string, Revenue[]>();
  for (const row of rows) byEvent.set(row.event_id, [...(byEvent.get(row.event_id) ?? []), revenueOf(row)]);
  return byEvent;
}

/** The minute with the most entries over `ev` (the earliest on a tie), or null without entries. */
async function peakEntryMinute(ctx: ServiceContext, ev: SQL): Promise<VenueAnalytics['peakEntryMinute']> {
  const [peak] = parseRows(
    PeakRow,
    await ctx.db.execute(sql`
      with ${ev}, ${ENTRIES}
      select date_trunc('minute', at) as minute, count(*)::int as entries,
             case when count(distinct event_id) = 1 then min(event_id::text) end as event_id
        from entries group by 1 order by 2 desc, 1 limit 1`),
  );
  return peak ? { minute: peak.minute, entries: peak.entries, eventId: peak.event_id } : null;
}

function eventAnalytics(e: EventRow, revenue: Revenue[]): VenueAnalytics['byEvent'][number] {
  return {
    eventId: e.id,
    name: e.name,
    status: e.status,
    startsAt: e.starts_at,
    ticketsSold: e.sold,
    ticketsValid: e.valid,
    admitted: e.admitted,
    attendanceRate: e.doors_opened ? rate(e.admitted, e.valid) : null,
    revenue,
  };
}

/**
 * Analytics of a venue of the actor's tenant (ops: any venue), over its events starting in [from, to).
 * Another tenant's venue is NOT_FOUND, exactly like a missing one.
 */
export async function venueAnalytics(
  ctx: ServiceContext,
  actor: Actor,
  venueId: string,
  range: { from?: Date; to?: Date } = {},
): Promise<Result<{ analytics: VenueAnalytics }>> {
  if (!mayReadAnalytics(actor)) return fail('FORBIDDEN', 'your role may not read analytics');
  if (range.from && range.to && range.from >= range.to)
    return fail('VALIDATION_FAILED', 'from: must be before to');
  const [venue] = await ctx.db
    .select()
    .from(venues)
    .where(and(eq(venues.id, venueId), tenantScope(actor, venues.tenantId)));
  if (!venue) return fail('NOT_FOUND', 'venue not found');
  const from = range.from?.toISOString() ?? null;
  const to = range.to?.toISOString() ?? null;
  const ev = venueEvents(venue, from, to, new Date(ctx.clock()).toISOString());

  const eventRows = await eventFigures(ctx, ev);
  const revenueByEvent = await eventRevenue(ctx, ev);
  const peak = await peakEntryMinute(ctx, ev);

  const opened = eventRows.filter((e) => e.doors_opened);
  const validOpened = total(opened, (e) => e.valid);
  const admittedOpened = total(opened, (e) => e.admitted);
  return {
    ok: true,
    analytics: {
      venueId: venue.id,
      venueName: venue.name,
      timezone: venue.timezone,
      from,
      to,
      events: eventRows.length,
      cancelledEvents: eventRows.filter((e) => e.status === 'cancelled').length,
      ticketsSold: total(eventRows, (e) => e.sold),
      ticketsValid: total(eventRows, (e) => e.valid),
      ticketsRevoked: total(eventRows, (e) => e.revoked),
      revenue: sumRevenue([...revenueByEvent.values()].flat()),
      attendance: {
        validTickets: validOpened,
        admitted: admittedOpened,
        rate: rate(admittedOpened, validOpened),
      },
      peakEntryMinute: peak,
      byEvent: eventRows.map((e) => eventAnalytics(e, revenueByEvent.get(e.id) ?? [])),
    },
  };
}
