/**
 * Venue and customer analytics (SPEC section 4, the seeds' analytics): what a venue sold and earned and
 * how many came, and what one customer bought and attended. Computed in SQL (aggregates per event and
 * per currency), never by loading orders or scans into memory.
 *
 * Definitions, the same everywhere in this module:
 * - tickets sold: tickets issued (a refunded ticket was still sold; it is counted again under `revoked`);
 * - revenue: per currency (never summed across currencies) — gross of every order, refunded, net;
 * - admitted: distinct tickets with an accepted entry (gate uploads or online validations);
 * - attendance rate: admitted valid tickets / valid tickets, over events whose doors have opened (a
 *   future event would otherwise drag the rate down); null when there is nothing to divide by;
 * - peak entry minute: the minute (UTC) with the most accepted entries; the earliest one on a tie.
 */
import { and, eq, sql } from 'drizzle-orm';
import { rowsOf } from '../db/client';
import { venues } from '../db/schema';
import { fail, type Result } from '../errors';
import type { Actor } from './actor';
import type { ServiceContext } from './context';

export interface Revenue {
  currency: string;
  orders: number;
  grossCents: number;
  refundedCents: number;
  netCents: number;
}

export interface VenueEventAnalytics {
  eventId: string;
  name: string;
  status: 'published' | 'cancelled';
  startsAt: string;
  ticketsSold: number;
  ticketsValid: number;
  admitted: number;
  /** Null until doors open, or when no valid ticket exists. */
  attendanceRate: number | null;
  revenue: Revenue[];
}

export interface VenueAnalytics {
  venueId: string;
  venueName: string;
  timezone: string;
  /** The range of event start times asked for (null = open). */
  from: string | null;
  to: string | null;
  /** Published and cancelled events (drafts were never on sale). */
  events: number;
  cancelledEvents: number;
  ticketsSold: number;
  ticketsValid: number;
  ticketsRevoked: number;
  revenue: Revenue[];
  attendance: { validTickets: number; admitted: number; rate: number | null };
  peakEntryMinute: { minute: string; entries: number; eventId: string | null } | null;
  byEvent: VenueEventAnalytics[];
}

export interface CustomerEventAnalytics {
  eventId: string;
  name: string;
  startsAt: string;
  tickets: number;
  validTickets: number;
  admitted: number;
}

export interface CustomerAnalytics {
  customerId: string;
  orders: number;
  firstOrderAt: string | null;
  lastOrderAt: string | null;
  spend: Revenue[];
  tickets: {
    /** Tickets the customer holds now (bought or received). */
    held: number;
    valid: number;
    revoked: number;
    /** Tickets of the customer's orders now held by someone else. */
    transferredAway: number;
  };
  attendance: { eventsAttended: number; validTickets: number; admitted: number; rate: number | null };
  events: CustomerEventAnalytics[];
}

/** The customer ids the API accepts (the `sub` claims of user JWTs, cloud/http/auth.ts). */
export const CUSTOMER_ID = /^[A-Za-z0-9._:@|-]{1,128}$/;

function isoOf(value: Date | string | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}

const rate = (admitted: number, valid: number) =>
  valid > 0 ? Math.round((admitted / valid) * 10_000) / 10_000 : null;

interface RevenueRow {
  event_id?: string;
  currency: string;
  orders: number;
  gross: string | number;
  refunded: string | number;
}

function revenueOf(row: RevenueRow): Revenue {
  const gross = Number(row.gross);
  const refunded = Number(row.refunded);
  return {
    currency: row.currency,
    orders: row.orders,
    grossCents: gross,
    refundedCents: refunded,
    netCents: gross - refunded,
  };
}

function sumRevenue(rows: Revenue[]): Revenue[] {
  const byCurrency = new Map<string, Revenue>();
  for (const row of rows) {
    const total = byCurrency.get(row.currency) ?? {
      currency: row.currency,
      orders: 0,
      grossCents: 0,
      refundedCents: 0,
      netCents: 0,
    };
    total.orders += row.orders;
    total.grossCents += row.grossCents;
    total.refundedCents += row.refundedCents;
    total.netCents += row.netCents;
    byCurrency.set(row.currency, total);
  }
  return [...byCurrency.values()].sort((a, b) => a.currency.localeCompare(b.currency));
}

/** Accepted entries of a set of events (a SQL fragment over `ev(id)`), from gates and online. */
const ENTRIES = sql`
  entries as (
    select ds.event_id, ds.ticket_serial as serial, ds.estimated_at as at from device_scans ds
     where ds.event_id in (select id from ev) and ds.accepted = 1 and ds.quarantined = 0
       and ds.direction = 'in' and ds.ticket_serial is not null
    union all
    select s.event_id, t.serial, s.scanned_at from scans s join tickets t on t.id = s.ticket_id
     where s.event_id in (select id from ev) and s.accepted = 1 and s.direction = 'in'
  )`;

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
  if (actor.role !== 'admin' && actor.role !== 'ops')
    return fail('FORBIDDEN', 'your role may not read analytics');
  if (range.from && range.to && range.from >= range.to)
    return fail('VALIDATION_FAILED', 'from: must be before to');
  const [venue] = await ctx.db
    .select()
    .from(venues)
    .where(
      and(eq(venues.id, venueId), actor.role === 'ops' ? undefined : eq(venues.tenantId, actor.tenantId)),
    );
  if (!venue) return fail('NOT_FOUND', 'venue not found');
  const now = new Date(ctx.clock()).toISOString();
  const from = range.from?.toISOString() ?? null;
  const to = range.to?.toISOString() ?? null;
  const ev = sql`
    ev as (
      select e.id, e.name, e.status, e.starts_at, coalesce(e.doors_open_at, e.starts_at) <= ${now}::timestamptz as doors_opened
        from events e
       where e.venue_id = ${venue.id}::uuid and e.tenant_id = ${venue.tenantId} and e.status <> 'draft'
         and (${from}::timestamptz is null or e.starts_at >= ${from}::timestamptz)
         and (${to}::timestamptz is null or e.starts_at < ${to}::timestamptz)
    )`;

  const eventRows = rowsOf<{
    id: string;
    name: string;
    status: 'published' | 'cancelled';
    starts_at: Date | string;
    doors_opened: boolean;
    sold: number;
    valid: number;
    revoked: number;
    admitted: number;
  }>(
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
  const revenueRows = rowsOf<RevenueRow>(
    await ctx.db.execute(sql`
      with ${ev}
      select o.event_id, o.currency, count(*)::int as orders, sum(o.total_cents)::bigint as gross,
             coalesce(sum(o.total_cents) filter (where o.status = 'refunded'), 0)::bigint as refunded
        from orders o where o.event_id in (select id from ev)
       group by o.event_id, o.currency order by o.event_id, o.currency`),
  );
  const [peak] = rowsOf<{ minute: Date | string; entries: number; event_id: string | null }>(
    await ctx.db.execute(sql`
      with ${ev}, ${ENTRIES}
      select date_trunc('minute', at) as minute, count(*)::int as entries,
             case when count(distinct event_id) = 1 then min(event_id::text) end as event_id
        from entries group by 1 order by 2 desc, 1 limit 1`),
  );

  const revenueByEvent = new Map<string, Revenue[]>();
  for (const row of revenueRows) {
    const list = revenueByEvent.get(row.event_id ?? '') ?? [];
    list.push(revenueOf(row));
    revenueByEvent.set(row.event_id ?? '', list);
  }
  const byEvent: VenueEventAnalytics[] = eventRows.map((e) => ({
    eventId: e.id,
    name: e.name,
    status: e.status,
    startsAt: new Date(e.starts_at).toISOString(),
    ticketsSold: e.sold,
    ticketsValid: e.valid,
    admitted: e.admitted,
    attendanceRate: e.doors_opened ? rate(e.admitted, e.valid) : null,
    revenue: revenueByEvent.get(e.id) ?? [],
  }));
  const opened = eventRows.filter((e) => e.doors_opened);
  const validOpened = opened.reduce((total, e) => total + e.valid, 0);
  const admittedOpened = opened.reduce((total, e) => total + e.admitted, 0);
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
      ticketsSold: eventRows.reduce((total, e) => total + e.sold, 0),
      ticketsValid: eventRows.reduce((total, e) => total + e.valid, 0),
      ticketsRevoked: eventRows.reduce((total, e) => total + e.revoked, 0),
      revenue: sumRevenue(revenueRows.map(revenueOf)),
      attendance: {
        validTickets: validOpened,
        admitted: admittedOpened,
        rate: rate(admittedOpened, validOpened),
      },
      peakEntryMinute: peak
        ? { minute: new Date(peak.minute).toISOString(), entries: peak.entries, eventId: peak.event_id }
        : null,
      byEvent,
    },
  };
}

/**
 * Analytics of one customer (a user id) in the actor's tenant (ops: across tenants): orders and spend,
 * the tickets they hold, and which events they came to. A customer with no order and no ticket here is
 * NOT_FOUND — the same answer as for another tenant's customer.
 */
export async function customerAnalytics(
  ctx: ServiceContext,
  actor: Actor,
  customerId: string,
): Promise<Result<{ analytics: CustomerAnalytics }>> {
  if (actor.role !== 'admin' && actor.role !== 'ops')
    return fail('FORBIDDEN', 'your role may not read analytics');
  if (!CUSTOMER_ID.test(customerId)) return fail('VALIDATION_FAILED', 'id: not a user id');
  const tenant = actor.role === 'ops' ? sql`true` : sql`tenant_id = ${actor.tenantId}`;
  const now = new Date(ctx.clock()).toISOString();

  const spendRows = rowsOf<RevenueRow & { first_at: Date | string | null; last_at: Date | string | null }>(
    await ctx.db.execute(sql`
      select currency, count(*)::int as orders, sum(total_cents)::bigint as gross,
             coalesce(sum(total_cents) filter (where status = 'refunded'), 0)::bigint as refunded,
             min(created_at) as first_at, max(created_at) as last_at
        from orders where user_id = ${customerId} and ${tenant}
       group by currency order by currency`),
  );
  const [away] = rowsOf<{ count: number }>(
    await ctx.db.execute(sql`
      select count(*)::int as count from tickets t join orders o on o.id = t.order_id
       where o.user_id = ${customerId} and t.owner_user_id <> ${customerId}
         and ${actor.role === 'ops' ? sql`true` : sql`o.tenant_id = ${actor.tenantId}`}`),
  );
  const eventRows = rowsOf<{
    event_id: string;
    name: string;
    starts_at: Date | string;
    doors_opened: boolean;
    tickets: number;
    valid: number;
    admitted: number;
  }>(
    await ctx.db.execute(sql`
      with held as (
        select id, event_id, serial, status from tickets where owner_user_id = ${customerId} and ${tenant}
      ), ev as (select distinct event_id as id from held), ${ENTRIES},
      admitted as (select distinct event_id, serial from entries)
      select e.id as event_id, e.name, e.starts_at,
             coalesce(e.doors_open_at, e.starts_at) <= ${now}::timestamptz as doors_opened,
             count(*)::int as tickets, count(*) filter (where h.status = 'valid')::int as valid,
             count(*) filter (where h.status = 'valid' and a.serial is not null)::int as admitted
        from held h join events e on e.id = h.event_id
        left join admitted a on a.event_id = h.event_id and a.serial = h.serial
       group by e.id, e.name, e.starts_at, e.doors_open_at
       order by e.starts_at, e.id`),
  );
  if (spendRows.length === 0 && eventRows.length === 0 && (away?.count ?? 0) === 0) {
    return fail('NOT_FOUND', 'customer not found');
  }
  const opened = eventRows.filter((e) => e.doors_opened);
  const validOpened = opened.reduce((total, e) => total + e.valid, 0);
  const admittedOpened = opened.reduce((total, e) => total + e.admitted, 0);
  const firsts = spendRows
    .map((r) => isoOf(r.first_at))
    .filter((v): v is string => v !== null)
    .sort();
  const lasts = spendRows
    .map((r) => isoOf(r.last_at))
    .filter((v): v is string => v !== null)
    .sort();
  const held = eventRows.reduce((total, e) => total + e.tickets, 0);
  const valid = eventRows.reduce((total, e) => total + e.valid, 0);
  return {
    ok: true,
    analytics: {
      customerId,
      orders: spendRows.reduce((total, r) => total + r.orders, 0),
      firstOrderAt: firsts[0] ?? null,
      lastOrderAt: lasts.at(-1) ?? null,
      spend: spendRows.map(revenueOf),
      tickets: { held, valid, revoked: held - valid, transferredAway: away?.count ?? 0 },
      attendance: {
        eventsAttended: eventRows.filter((e) => e.admitted > 0).length,
        validTickets: validOpened,
        admitted: admittedOpened,
        rate: rate(admittedOpened, validOpened),
      },
      events: eventRows.map((e) => ({
        eventId: e.event_id,
        name: e.name,
        startsAt: new Date(e.starts_at).toISOString(),
        tickets: e.tickets,
        validTickets: e.valid,
        admitted: e.admitted,
      })),
    },
  };
}
