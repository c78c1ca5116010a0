/**
 * Customer analytics (SPEC section 4, the seeds' analytics): what one customer (a user id) bought and
 * spent, the tickets they hold, and which events they came to — counted as venue analytics count
 * (./venue.ts). Computed in SQL, never by loading orders or scans into memory.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { parseRows, sqlCount, sqlInstant } from '../../db/rows';
import { fail, type Result } from '../../errors';
import { type Actor, tenantScopeSql } from '../actor';
import type { ServiceContext } from '../context';
import { ENTRIES, mayReadAnalytics, rate, revenueColumns, revenueOf, total } from './figures';
import { CUSTOMER_ID, type CustomerAnalytics } from './schema';

const SpendRow = z.object({
  ...revenueColumns,
  first_at: sqlInstant.nullable(),
  last_at: sqlInstant.nullable(),
});
const CountRow = z.object({ count: sqlCount });
const EventRow = z.object({
  event_id: z.string(),
  name: z.string(),
  starts_at: sqlInstant,
  doors_opened: z.boolean(),
  tickets: sqlCount,
  valid: sqlCount,
  admitted: sqlCount,
});

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
  if (!mayReadAnalytics(actor)) return fail('FORBIDDEN', 'your role may not read analytics');
  if (!CUSTOMER_ID.test(customerId)) return fail('VALIDATION_FAILED', 'id: not a user id');
  const tenant = tenantScopeSql(actor, sql`tenant_id`);
  const now = new Date(ctx.clock()).toISOString();

  const spendRows = parseRows(
    SpendRow,
    await ctx.db.execute(sql`
      select currency, count(*)::int as orders, sum(total_cents)::bigint as gross,
             coalesce(sum(total_cents) filter (where status = 'refunded'), 0)::bigint as refunded,
             min(created_at) as first_at, max(created_at) as last_at
        from orders where user_id = ${customerId} and ${tenant}
       group by currency order by currency`),
  );
  const [away] = parseRows(
    CountRow,
    await ctx.db.execute(sql`
      select count(*)::int as count from tickets t join orders o on o.id = t.order_id
       where o.user_id = ${customerId} and t.owner_user_id <> ${customerId}
         and ${tenantScopeSql(actor, sql`o.tenant_id`)}`),
  );
  const eventRows = parseRows(
    EventRow,
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
  const transferredAway = away?.count ?? 0;
  if (spendRows.length === 0 && eventRows.length === 0 && transferredAway === 0) {
    return fail('NOT_FOUND', 'customer not found');
  }
  const opened = eventRows.filter((e) => e.doors_opened);
  const validOpened = total(opened, (e) => e.valid);
  const admittedOpened = total(opened, (e) => e.admitted);
  const firsts = spendRows.flatMap((r) => (r.first_at === null ? [] : [r.first_at])).sort();
  const lasts = spendRows.flatMap((r) => (r.last_at === null ? [] : [r.last_at])).sort();
  const held = total(eventRows, (e) => e.tickets);
  const valid = total(eventRows, (e) => e.valid);
  return {
    ok: true,
    analytics: {
      customerId,
      orders: total(spendRows, (r) => r.orders),
      firstOrderAt: firsts[0] ?? null,
      lastOrderAt: lasts.at(-1) ?? null,
      spend: spendRows.map(revenueOf),
      tickets: { held, valid, revoked: held - valid, transferredAway },
      attendance: {
        eventsAttended: eventRows.filter((e) => e.admitted > 0).length,
        validTickets: validOpened,
        admitted: admittedOpened,
        rate: rate(admittedOpened, validOpened),
      },
      events: eventRows.map((e) => ({
        eventId: e.event_id,
        name: e.name,
        startsAt: e.starts_at,
        tickets: e.tickets,
        validTickets: e.valid,
        admitted: e.admitted,
      })),
    },
  };
}
