/**
 * What venue and customer analytics count the same way: who may read them, revenue per currency, the
 * attendance rate, and the accepted entries of a set of events.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { sqlCount, sqlNumber } from '../../db/rows';
import type { Actor } from '../actor';
import { standingMovementSql } from '../admissions';
import type { Revenue } from './schema';

/** Analytics are for the tenant's admin and for ops. */
export function mayReadAnalytics(actor: Actor): boolean {
  return actor.role === 'admin' || actor.role === 'ops';
}

/** Admitted valid tickets per valid ticket, to four decimals; null when there is nothing to divide by. */
export const rate = (admitted: number, valid: number) =>
  valid > 0 ? Math.round((admitted / valid) * 10_000) / 10_000 : null;

/** The columns of a revenue query row (orders of one currency), read as Revenue. */
export const revenueColumns = {
  currency: z.string(),
  orders: sqlCount,
  gross: sqlNumber,
  refunded: sqlNumber,
};

export function revenueOf(row: {
  currency: string;
  orders: number;
  gross: number;
  refunded: number;
}): Revenue {
  return {
    currency: row.currency,
    orders: row.orders,
    grossCents: row.gross,
    refundedCents: row.refunded,
    netCents: row.gross - row.refunded,
  };
}

/** Revenue of several rows summed per currency, by currency code. */
export function sumRevenue(rows: Revenue[]): Revenue[] {
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

/**
 * Accepted entries of a set of events (a SQL fragment over `ev(id)`): the standing entries of their
 * admission histories — from gates, online validation and the box office, less the ones undone (issue
 * 17). Only records of the event's own tenant count.
 */
export const ENTRIES = sql`
  entries as (
    select a.event_id, a.serial, to_timestamp(a.at_ms / 1000.0) as at from admissions a
      join events e on e.id = a.event_id and e.tenant_id = a.tenant_id
     where a.event_id in (select id from ev) and a.direction = 'in' and ${standingMovementSql('a')}
  )`;

/** Sums one figure over rows. */
export const total = <Row>(rows: Row[], figure: (row: Row) => number): number =>
  rows.reduce((sum, row) => sum + figure(row), 0);
