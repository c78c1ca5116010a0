/**
 * The automatic check-out (issue 18, pretix's `exit_all_at`): at an event's `exitAllAt` the cloud records
 * an exit for every holder still inside, so the counts start from zero for the next day (or the next
 * event in the same hall) and a holder coming back is an entry again, not ALREADY_USED.
 *
 * The exits are admission records like any other (origin `cloud`, source `exit-all`, the fixed gate
 * EXIT_ALL_GATE_ID "Automatic check-out"), appended to the event's change sequence, so every gate learns
 * them with its next manifest pull. At a venue with zones each names its move (the holder's zone →
 * OUTSIDE); at a venue without zones none, like every record there.
 *
 * Who is checked out: holders whose last standing move put them in a zone AND was made at or before
 * `exitAllAt`. A holder a gate has seen since (a late run, the cloud down at the time) is left as the
 * gates last saw them. Each exit is dated `exitAllAt` (or just after the holder's last record, never
 * before it), so a run that comes late still files the exit where it belongs in the fold's order. The same
 * rule makes a second run a no-op: everybody it would check out already has their exit. Batches of
 * EXIT_ALL_BATCH holders, one transaction each (tickets locked like /validate locks them), bounded.
 */
import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { EXIT_ALL_GATE_ID, EXIT_ALL_GATE_NAME } from '../../shared/admission/history';
import { defaultZoneOf, OUTSIDE } from '../../shared/admission/zones';
import type { Executor } from '../db/client';
import { parseRows, sqlNumber } from '../db/rows';
import { events } from '../db/schema';
import { inTransaction } from '../db/transaction';
import { appendAdmissions, type NewAdmission, standingMovementSql } from './admissions';
import type { ServiceContext } from './context';
import { venueZoneRules } from './event-peers';
import { LATEST_FIRST, recordMoveSql } from './occupancy';

/** Holders checked out per transaction (one appendAdmissions statement). */
export const EXIT_ALL_BATCH = 1_000;
/** At most this many batches per run (10 million holders); a run that stops there is resumed by the next. */
const MAX_BATCHES = 10_000;

export type ExitAllOutcome =
  | { status: 'done'; checkedOut: number }
  /** The event's exitAllAt is no longer the one the job was scheduled for (changed or cleared). */
  | { status: 'stale' }
  /** exitAllAt has not come yet by the cloud's clock (the job came early: retry later). */
  | { status: 'not-due'; dueInMs: number }
  | { status: 'no-event' };

const Holder = z.object({ serial: sqlNumber, zone: z.string(), at_ms: sqlNumber });

/** Holders inside whose last move is at or before `at`, up to `limit`, among `serials` when given. */
async function holdersInside(
  executor: Executor,
  scope: { tenantId: string; eventId: string; defaultZone: string; at: number },
  limit: number,
  serials?: readonly number[],
) {
  const move = recordMoveSql(scope.defaultZone);
  const among = serials ? sql`and a.serial = any(${sql.param([...serials])}::bigint[])` : sql``;
  const result = await executor.execute(sql`
    select serial, zone, at_ms from (
      select distinct on (a.serial) a.serial, ${move.to} as zone, a.at_ms
        from admissions a
       where a.event_id = ${scope.eventId}::uuid and a.tenant_id = ${scope.tenantId}
         and ${standingMovementSql('a')} ${among}
       order by ${LATEST_FIRST}) last_moves
     where zone <> ${OUTSIDE} and at_ms <= ${scope.at}
     order by serial
     limit ${limit}`);
  return parseRows(Holder, result);
}

/**
 * Checks out everyone still inside an event at `exitAllAt` (unix ms), if that is still the event's
 * exitAllAt and it has come. Idempotent; safe to run from several processes at once.
 */
export async function runExitAll(
  ctx: Pick<ServiceContext, 'db' | 'clock' | 'changesCommitted'>,
  job: { tenantId: string; eventId: string; exitAllAt: number },
  options: { batch?: number } = {},
): Promise<ExitAllOutcome> {
  const batch = options.batch ?? EXIT_ALL_BATCH;
  const [event] = await ctx.db
    .select({ venueId: events.venueId, exitAllAt: events.exitAllAt })
    .from(events)
    .where(and(eq(events.id, job.eventId), eq(events.tenantId, job.tenantId)));
  if (!event) return { status: 'no-event' };
  if (event.exitAllAt?.getTime() !== job.exitAllAt) return { status: 'stale' };
  const now = ctx.clock();
  if (now < job.exitAllAt) return { status: 'not-due', dueInMs: job.exitAllAt - now };
  const rules = await venueZoneRules(ctx.db, job.tenantId, event.venueId);
  const scope = { ...job, defaultZone: defaultZoneOf(rules), at: job.exitAllAt };
  const withZones = rules.length > 0;
  let checkedOut = 0;
  for (let round = 0; round < MAX_BATCHES; round++) {
    const found = await holdersInside(ctx.db, scope, batch);
    if (found.length === 0) break;
    const filed = await inTransaction(ctx.db, async (tx) => {
      // The tickets first, in serial order (as /validate and the box office lock one), then the state
      // again under the locks: a holder who left meanwhile is not checked out twice.
      await tx.execute(sql`
        select 1 from tickets where event_id = ${job.eventId}::uuid
           and serial = any(${sql.param(found.map((h) => h.serial))}::bigint[])
         order by serial for update`);
      const holders = await holdersInside(
        tx,
        scope,
        batch,
        found.map((h) => h.serial),
      );
      const records: NewAdmission[] = holders.map((holder) => ({
        serial: holder.serial,
        origin: null,
        originSeq: null,
        direction: 'out',
        ...(withZones ? { fromZone: holder.zone, toZone: OUTSIDE } : {}),
        // Never at or before the holder's last record (shared admissionTimeAfter's rule).
        atMs: Math.max(job.exitAllAt, holder.at_ms + 1),
        gateId: EXIT_ALL_GATE_ID,
        gateName: EXIT_ALL_GATE_NAME,
        unconfirmed: false,
        source: 'exit-all',
        deviceId: null,
        deviceSeq: null,
      }));
      await appendAdmissions(tx, { eventId: job.eventId, records, now: new Date(now) });
      return records.length;
    });
    checkedOut += filed;
    if (filed > 0) ctx.changesCommitted?.();
    if (found.length < batch) break;
  }
  return { status: 'done', checkedOut };
}
