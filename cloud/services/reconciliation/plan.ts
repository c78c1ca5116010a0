/**
 * The nightly reconciliation of a venue: which of its events to reconcile tonight, each as one pending
 * run keyed by the venue-local date, so that a second delivery of the nightly job plans nothing twice.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { reconciliationReports } from '../../db/reconciliation-schema';
import { events, venues } from '../../db/schema';
import { fail, type Result } from '../../errors';
import type { ServiceContext } from '../context';

/** How far back the nightly run looks: events that ended less than this long ago are reconciled again. */
export const NIGHTLY_LOOKBACK_MS = 7 * 24 * 3_600_000;

/**
 * Picks the events of a venue to reconcile tonight — published or cancelled (never drafts), doors open
 * before `now`, ended less than NIGHTLY_LOOKBACK_MS ago — and stores one pending run per event under the
 * run key `nightly-<venue-local date>`, ON CONFLICT DO NOTHING. Returns the ids of that night's runs
 * that are still pending — the new ones, and any a crashed earlier delivery stored but never queued —
 * for the caller to queue (their job ids are the report ids, so queuing twice is harmless).
 */
export async function planNightlyReconciliation(
  ctx: ServiceContext,
  venue: { tenantId: string; venueId: string },
  now: number,
): Promise<Result<{ reportIds: string[]; runKey: string }>> {
  const [row] = await ctx.db
    .select({ id: venues.id, timezone: venues.timezone })
    .from(venues)
    .where(and(eq(venues.id, venue.venueId), eq(venues.tenantId, venue.tenantId)));
  if (!row) return fail('NOT_FOUND', 'venue not found');
  const runKey = `nightly-${localDate(now, row.timezone)}`;
  const at = new Date(now).toISOString();
  const since = new Date(now - NIGHTLY_LOOKBACK_MS).toISOString();
  const chosen = await ctx.db
    .select({ id: events.id })
    .from(events)
    .where(
      and(
        eq(events.venueId, row.id),
        eq(events.tenantId, venue.tenantId),
        inArray(events.status, ['published', 'cancelled']),
        sql`coalesce(${events.doorsOpenAt}, ${events.startsAt}) <= ${at}::timestamptz`,
        sql`${events.endsAt} > ${since}::timestamptz`,
      ),
    )
    .orderBy(events.startsAt, events.id);
  if (chosen.length === 0) return { ok: true, reportIds: [], runKey };
  await ctx.db
    .insert(reconciliationReports)
    .values(
      chosen.map((event) => ({
        id: ctx.newId(),
        tenantId: venue.tenantId,
        eventId: event.id,
        trigger: 'nightly' as const,
        runKey,
        status: 'pending' as const,
        requestedBy: null,
        requestedAt: new Date(now),
      })),
    )
    .onConflictDoNothing({ target: [reconciliationReports.eventId, reconciliationReports.runKey] });
  const pending = await ctx.db
    .select({ id: reconciliationReports.id })
    .from(reconciliationReports)
    .where(
      and(
        eq(reconciliationReports.tenantId, venue.tenantId),
        eq(reconciliationReports.runKey, runKey),
        eq(reconciliationReports.status, 'pending'),
        inArray(
          reconciliationReports.eventId,
          chosen.map((e) => e.id),
        ),
      ),
    )
    .orderBy(reconciliationReports.id);
  return { ok: true, reportIds: pending.map((r) => r.id), runKey };
}

/** YYYY-MM-DD of `now` in a time zone (the venue's calendar day names its nightly run). */
export function localDate(now: number, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(new Date(now));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}
