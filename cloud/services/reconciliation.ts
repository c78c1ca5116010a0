/**
 * Reconciliation (SPEC section 8): what really happened at an event's doors, worked out after the fact
 * from everything the cloud knows — the tickets and their change log, every scan the gates uploaded, the
 * online validations, and each device's upload progress. A run is a row of `reconciliation_reports`
 * (pending → running → done | failed); its report is computed in SQL over the whole event (aggregates
 * and window functions, inside one repeatable-read snapshot) and never by loading scans into memory.
 *
 * Runs are requested on demand (POST /events/:id/reconciliation) or planned nightly per venue; either
 * way a `reconcile-event` job computes them, and running a job twice changes nothing.
 */
import { and, desc, eq, gt, inArray, type SQL, sql } from 'drizzle-orm';
import { type Executor, rowsOf } from '../db/client';
import { events, reconciliationReports, venues } from '../db/schema';
import { fail, type Result } from '../errors';
import type { Actor } from './actor';
import type { ServiceContext } from './context';
import {
  type AdmissionScan,
  CLOCK_SKEW_THRESHOLD_MS,
  type DeviceReconciliation,
  type DoubleAdmission,
  type GateCount,
  MAX_FINDINGS_PER_KIND,
  RECONCILIATION_REPORT_VERSION,
  type ReasonCount,
  type ReconciliationReport,
  type RevokedAdmission,
  type SequenceGap,
} from './reconciliation-report';

/** How far back the nightly run looks: events that ended less than this long ago are reconciled again. */
export const NIGHTLY_LOOKBACK_MS = 7 * 24 * 3_600_000;

/**
 * Unreadable codes carry no event (the gate could not tell which event they were for). They count for
 * an event when scanned at a device of its venue from an hour before doors open until an hour after it
 * ends.
 */
const STRAY_SCAN_MARGIN = sql`interval '1 hour'`;

/** How long a pending or running manual run is answered instead of starting a new one. */
const IN_FLIGHT_LIMIT_MS = 3_600_000;

/** Rejection reasons that mean "this code is not a ticket of this event" (not a rule about a ticket). */
const INVALID_TOKEN_REASONS = ['INVALID', 'WRONG_EVENT'];

export type ReconciliationStatus = 'pending' | 'running' | 'done' | 'failed';

/** A run as the API shows it (without its report). */
export interface ReconciliationRunView {
  id: string;
  eventId: string;
  trigger: 'nightly' | 'manual';
  runKey: string;
  status: ReconciliationStatus;
  requestedBy: string | null;
  requestedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
}

type ReportRow = typeof reconciliationReports.$inferSelect;

function runView(row: ReportRow): ReconciliationRunView {
  return {
    id: row.id,
    eventId: row.eventId,
    trigger: row.trigger,
    runKey: row.runKey,
    status: row.status,
    requestedBy: row.requestedBy,
    requestedAt: row.requestedAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    error: row.error,
  };
}

/** Admins read and run their tenant's reports; ops those of every tenant (SPEC section 3). */
function mayReconcile(actor: Actor): boolean {
  return actor.role === 'admin' || actor.role === 'ops';
}

/** The event as the actor may see it; another tenant's event is exactly as missing as a missing one. */
async function visibleEvent(ctx: ServiceContext, actor: Actor, eventId: string) {
  const [event] = await ctx.db
    .select({ id: events.id, tenantId: events.tenantId })
    .from(events)
    .where(
      and(eq(events.id, eventId), actor.role === 'ops' ? undefined : eq(events.tenantId, actor.tenantId)),
    );
  return event;
}

/**
 * Asks for a reconciliation of an event now: stores a pending run (run key `manual-<id>`) and queues a
 * `reconcile-event` job for it. A run of this event that is still pending or running is answered instead
 * of a second one (and queued again, which the job id makes harmless): pressing the button twice does
 * not compute the report twice.
 */
export async function requestReconciliation(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
): Promise<Result<{ run: ReconciliationRunView; created: boolean }>> {
  if (!mayReconcile(actor)) return fail('FORBIDDEN', 'your role may not run reconciliations');
  const event = await visibleEvent(ctx, actor, eventId);
  if (!event) return fail('NOT_FOUND', 'event not found');

  const [inFlight] = await ctx.db
    .select()
    .from(reconciliationReports)
    .where(
      and(
        eq(reconciliationReports.eventId, event.id),
        eq(reconciliationReports.tenantId, event.tenantId),
        inArray(reconciliationReports.status, ['pending', 'running']),
        // A run stuck for longer than this (its job lost with a crashed process) is not waited for.
        gt(reconciliationReports.requestedAt, new Date(ctx.clock() - IN_FLIGHT_LIMIT_MS)),
      ),
    )
    .orderBy(desc(reconciliationReports.requestedAt), desc(reconciliationReports.id))
    .limit(1);
  let row = inFlight;
  const created = !row;
  if (!row) {
    const id = ctx.newId();
    [row] = await ctx.db
      .insert(reconciliationReports)
      .values({
        id,
        tenantId: event.tenantId,
        eventId: event.id,
        trigger: 'manual',
        runKey: `manual-${id}`,
        status: 'pending',
        requestedBy: actor.userId,
        requestedAt: new Date(ctx.clock()),
      })
      .returning();
  }
  if (!row) throw new Error('requestReconciliation: insert returned no row');
  try {
    await ctx.jobs.enqueue(
      'reconcile-event',
      { tenantId: row.tenantId, reportId: row.id },
      { jobId: row.id },
    );
  } catch {
    // Without its job the run would stay pending for ever: record why and tell the caller to retry.
    const [failed] = await ctx.db
      .update(reconciliationReports)
      .set({ status: 'failed', error: 'the job could not be queued', finishedAt: new Date(ctx.clock()) })
      .where(and(eq(reconciliationReports.id, row.id), eq(reconciliationReports.status, 'pending')))
      .returning();
    if (failed) ctx.business.reconciliation('failed');
    return fail('SERVICE_UNAVAILABLE', 'the reconciliation could not be queued; try again');
  }
  return { ok: true, run: runView(row), created };
}

/** The latest done report of an event, and the newest run if one is newer than it (pending, running, failed). */
export async function latestReport(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
): Promise<
  Result<{
    report: ReconciliationReport | null;
    run: ReconciliationRunView | null;
    newerRun: ReconciliationRunView | null;
  }>
> {
  if (!mayReconcile(actor)) return fail('FORBIDDEN', 'your role may not read reconciliations');
  const event = await visibleEvent(ctx, actor, eventId);
  if (!event) return fail('NOT_FOUND', 'event not found');
  const scope = and(
    eq(reconciliationReports.eventId, event.id),
    eq(reconciliationReports.tenantId, event.tenantId),
  );
  const [done] = await ctx.db
    .select()
    .from(reconciliationReports)
    .where(and(scope, eq(reconciliationReports.status, 'done')))
    .orderBy(desc(reconciliationReports.finishedAt), desc(reconciliationReports.id))
    .limit(1);
  const [newest] = await ctx.db
    .select()
    .from(reconciliationReports)
    .where(scope)
    .orderBy(desc(reconciliationReports.requestedAt), desc(reconciliationReports.id))
    .limit(1);
  // The newest run by request time; when it is not the done one, it was asked for after it.
  const newerRun = newest && newest.id !== done?.id ? runView(newest) : null;
  return {
    ok: true,
    report: (done?.report as ReconciliationReport | undefined) ?? null,
    run: done ? runView(done) : null,
    newerRun,
  };
}

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

/**
 * Computes and stores the report of a run. Idempotent: a done run is left exactly as it is; a pending,
 * running (a worker died mid-run) or failed run is computed again. The same data gives the same report
 * (every list has a total order); only `generatedAt` and the run metadata differ between runs.
 * Returns NOT_FOUND for a run that does not exist (the job gives up at once on it).
 */
export async function runReconciliation(
  ctx: ServiceContext,
  reportId: string,
): Promise<Result<{ run: ReconciliationRunView; report: ReconciliationReport }>> {
  const [row] = await ctx.db
    .select()
    .from(reconciliationReports)
    .where(eq(reconciliationReports.id, reportId));
  if (!row) return fail('NOT_FOUND', 'reconciliation run not found');
  if (row.status === 'done') {
    return { ok: true, run: runView(row), report: row.report as ReconciliationReport };
  }
  const startedAt = new Date(ctx.clock());
  const [started] = await ctx.db
    .update(reconciliationReports)
    .set({ status: 'running', startedAt, error: null })
    .where(
      and(
        eq(reconciliationReports.id, row.id),
        inArray(reconciliationReports.status, ['pending', 'running', 'failed']),
      ),
    )
    .returning();
  if (!started) return runReconciliation(ctx, reportId); // done meanwhile by another worker

  let report: ReconciliationReport;
  try {
    report = await ctx.db.transaction(
      (tx) =>
        computeReport(tx, {
          run: started,
          generatedAt: new Date(ctx.clock()).toISOString(),
        }),
      { isolationLevel: 'repeatable read' },
    );
  } catch (error) {
    await ctx.db
      .update(reconciliationReports)
      .set({ status: 'failed', error: 'the report could not be computed', finishedAt: new Date(ctx.clock()) })
      .where(and(eq(reconciliationReports.id, row.id), eq(reconciliationReports.status, 'running')));
    ctx.business.reconciliation('failed');
    throw error;
  }
  const [stored] = await ctx.db
    .update(reconciliationReports)
    .set({ status: 'done', report, finishedAt: new Date(ctx.clock()), error: null })
    .where(and(eq(reconciliationReports.id, row.id), eq(reconciliationReports.status, 'running')))
    .returning();
  if (!stored) return runReconciliation(ctx, reportId); // another worker finished first: keep its report
  ctx.business.reconciliation('done', {
    doubleAdmissions: report.summary.doubleAdmissions,
    revokedAdmissions: report.summary.revokedAdmissions,
    sequenceGaps: report.summary.sequenceGaps,
  });
  return { ok: true, run: runView(stored), report };
}

// ---------------------------------------------------------------------------------------------------
// The report, in SQL
// ---------------------------------------------------------------------------------------------------

/** A timestamp column as ISO 8601 UTC with milliseconds, formatted by the database (same on every driver). */
function iso(column: SQL): SQL {
  return sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

const num = (value: unknown): number => Number(value ?? 0);
const numOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);
const seconds = (ms: unknown): number | null =>
  ms === null || ms === undefined ? null : Math.round(Number(ms)) / 1000;

interface ScanColumns {
  source: 'device' | 'online';
  scan_id: string;
  device_id: string | null;
  device_name: string | null;
  seq: string | number | null;
  gate_id: string;
  gate_name: string | null;
  direction: 'in' | 'out';
  at: string;
  device_clock_at: string | null;
  uploaded_at: string | null;
  lag_ms: string | number | null;
}

function admissionScan(row: ScanColumns): AdmissionScan {
  return {
    source: row.source,
    scanId: row.scan_id,
    deviceId: row.device_id,
    deviceName: row.device_name,
    seq: numOrNull(row.seq),
    gateId: row.gate_id,
    gateName: row.gate_name,
    direction: row.direction,
    at: row.at,
    deviceClockAt: row.device_clock_at,
    uploadedAt: row.uploaded_at,
    uploadLagSeconds: seconds(row.lag_ms),
  };
}

/** Columns of one side (`p` = previous scan, `c` = current) read back as ScanColumns. */
function prefixed<T extends Record<string, unknown>>(row: T, prefix: string): ScanColumns {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(row)) if (key.startsWith(prefix)) out[key.slice(prefix.length)] = row[key];
  return out as unknown as ScanColumns;
}

async function computeReport(
  tx: Executor,
  input: { run: ReportRow; generatedAt: string },
): Promise<ReconciliationReport> {
  const { run } = input;
  const eventId = run.eventId;
  const tenantId = run.tenantId;
  // The window functions sort every accepted scan of the event: give this one transaction room to do it
  // in memory rather than in temporary files (a background job, one at a time per process).
  await tx.execute(sql`set local work_mem = '64MB'`);

  const [event] = rowsOf<{
    id: string;
    tenant_id: string;
    name: string;
    status: 'draft' | 'published' | 'cancelled';
    venue_id: string;
    venue_name: string;
    timezone: string;
    doors_open_at: string | null;
    starts_at: string;
    ends_at: string;
    change_seq: string | number;
  }>(
    await tx.execute(sql`
      select e.id, e.tenant_id, e.name, e.status, e.venue_id, v.name as venue_name, v.timezone,
             ${iso(sql`e.doors_open_at`)} as doors_open_at, ${iso(sql`e.starts_at`)} as starts_at,
             ${iso(sql`e.ends_at`)} as ends_at, e.change_seq
        from events e join venues v on v.id = e.venue_id
       where e.id = ${eventId}::uuid and e.tenant_id = ${tenantId}`),
  );
  if (!event) throw new Error('reconciliation: the run’s event is gone');

  // Devices that matter for this event: those that uploaded its scans, and those at its venue's gates
  // that serve it (enrolled for every event of the venue, or for this one).
  const venueDevices = sql`(
    select d.id from devices d join gates g on g.id = d.gate_id
     where d.tenant_id = ${tenantId} and g.venue_id = ${event.venue_id}::uuid
       and (d.event_ids is null or ${eventId}::uuid = any(d.event_ids)))`;
  const window = sql`(select coalesce(doors_open_at, starts_at) - ${STRAY_SCAN_MARGIN} as win_from,
                             ends_at + ${STRAY_SCAN_MARGIN} as win_to
                        from events where id = ${eventId}::uuid)`;
  // Every readable scan that belongs to the report: the event's own, plus rejected codes at its venue's
  // devices during the event that name no event of this venue (unreadable, forged, another venue's).
  const eventScans = sql`
    event_scans as (
      select ds.* from device_scans ds
       where ds.event_id = ${eventId}::uuid and ds.tenant_id = ${tenantId} and ds.quarantined = 0
      union all
      select ds.* from device_scans ds, ${window} w
       where ds.device_id in ${venueDevices} and ds.quarantined = 0 and ds.accepted = 0
         and (ds.event_id is null
              or ds.event_id not in (select id from events where venue_id = ${event.venue_id}::uuid))
         and ds.estimated_at >= w.win_from and ds.estimated_at < w.win_to
    )`;
  const onlineRejected = sql`
    online_rejected as (
      select s.gate_id, s.reason from scans s, ${window} w
       where s.tenant_id = ${tenantId} and s.accepted = 0
         and (s.event_id = ${eventId}::uuid
              or (s.event_id is null
                  and s.gate_id in (select id from gates where venue_id = ${event.venue_id}::uuid)
                  and s.scanned_at >= w.win_from and s.scanned_at < w.win_to))
    )`;

  // --- tickets -------------------------------------------------------------------------------------
  const [ticketTotals] = rowsOf<{ issued: number; valid: number; revoked: number; transfers: number }>(
    await tx.execute(sql`
      select count(*)::int as issued,
             count(*) filter (where status = 'valid')::int as valid,
             count(*) filter (where status = 'revoked')::int as revoked,
             (select count(*) from ticket_changes
               where event_id = ${eventId}::uuid and op = 'transfer')::int as transfers
        from tickets where event_id = ${eventId}::uuid and tenant_id = ${tenantId}`),
  );
  const revokedByReason = rowsOf<{ reason: string | null; count: number }>(
    await tx.execute(sql`
      select revoked_reason as reason, count(*)::int as count from tickets
       where event_id = ${eventId}::uuid and tenant_id = ${tenantId} and status = 'revoked'
       group by revoked_reason order by count(*) desc, revoked_reason nulls last`),
  );

  // --- admissions ----------------------------------------------------------------------------------
  const [admissionTotals] = rowsOf<{
    unique_admissions: number;
    no_shows: number;
    entries: number;
    exits: number;
    online_entries: number;
  }>(
    await tx.execute(sql`
      with accepted as (
        select ds.ticket_serial as serial, ds.direction, 0 as online from device_scans ds
         where ds.event_id = ${eventId}::uuid and ds.tenant_id = ${tenantId} and ds.accepted = 1
           and ds.quarantined = 0 and ds.ticket_serial is not null
        union all
        select t.serial, s.direction, 1 from scans s join tickets t on t.id = s.ticket_id
         where s.event_id = ${eventId}::uuid and s.tenant_id = ${tenantId} and s.accepted = 1
      ), admitted as (select distinct serial from accepted where direction = 'in')
      select (select count(*) from admitted)::int as unique_admissions,
             (select count(*) from tickets t
               where t.event_id = ${eventId}::uuid and t.tenant_id = ${tenantId} and t.status = 'valid'
                 and not exists (select 1 from admitted a where a.serial = t.serial))::int as no_shows,
             (select count(*) from accepted where direction = 'in')::int as entries,
             (select count(*) from accepted where direction = 'out')::int as exits,
             (select count(*) from accepted where direction = 'in' and online = 1)::int as online_entries`),
  );

  // Accepted scans of the event, narrow (keys, ticket, direction, time): the window functions sort every
  // one of them, so the details a finding shows are joined afterwards, for the findings only.
  const acceptedScans = sql`
    accepted as (
      select 'device'::text as source, ds.device_id, ds.seq, null::uuid as online_id,
             ds.ticket_serial as serial, ds.generation, ds.manifest_seq, ds.direction, ds.estimated_at as at_ts
        from device_scans ds
       where ds.event_id = ${eventId}::uuid and ds.tenant_id = ${tenantId} and ds.accepted = 1
         and ds.quarantined = 0 and ds.ticket_serial is not null
      union all
      select 'online', null, null, s.id, t.serial, s.generation, null, s.direction, s.scanned_at
        from scans s join tickets t on t.id = s.ticket_id
       where s.event_id = ${eventId}::uuid and s.tenant_id = ${tenantId} and s.accepted = 1
    )`;
  /** Joins the stored scan behind finding columns `<p>source`, `<p>device_id`, `<p>seq`, `<p>online_id`. */
  const scanJoins = (p: string) =>
    sql.raw(`
      left join device_scans ${p}ds on f.${p}source = 'device' and ${p}ds.device_id = f.${p}device_id
                                    and ${p}ds.seq = f.${p}seq
      left join devices ${p}d on ${p}d.id = ${p}ds.device_id
      left join scans ${p}s on f.${p}source = 'online' and ${p}s.id = f.${p}online_id
      left join gates ${p}g on ${p}g.id = coalesce(${p}ds.gate_id, ${p}s.gate_id)`);
  /** The AdmissionScan columns of one side, named `<p>…` (read back by `prefixed`). */
  const scanColumns = (p: string) => sql`
      f.${sql.raw(p)}source as ${sql.raw(`${p}source`)},
      coalesce(${sql.raw(`${p}ds.id`)}, ${sql.raw(`${p}s.id`)})::text as ${sql.raw(`${p}scan_id`)},
      ${sql.raw(`${p}ds.device_id`)}::text as ${sql.raw(`${p}device_id`)},
      ${sql.raw(`${p}d.name`)} as ${sql.raw(`${p}device_name`)},
      ${sql.raw(`${p}ds.seq`)} as ${sql.raw(`${p}seq`)},
      coalesce(${sql.raw(`${p}ds.gate_id`)}, ${sql.raw(`${p}s.gate_id`)})::text as ${sql.raw(`${p}gate_id`)},
      ${sql.raw(`${p}g.name`)} as ${sql.raw(`${p}gate_name`)},
      f.${sql.raw(p)}direction as ${sql.raw(`${p}direction`)},
      ${iso(sql.raw(`f.${p}at_ts`))} as ${sql.raw(`${p}at`)},
      ${iso(sql.raw(`${p}ds.scanned_at`))} as ${sql.raw(`${p}device_clock_at`)},
      ${iso(sql.raw(`${p}ds.received_at`))} as ${sql.raw(`${p}uploaded_at`)},
      (extract(epoch from (${sql.raw(`${p}ds.received_at - ${p}ds.estimated_at`)})) * 1000)::float8
        as ${sql.raw(`${p}lag_ms`)}`;

  // --- double admissions ---------------------------------------------------------------------------
  // Each accepted scan against the one before it on the same ticket, in the cloud's time order. Two
  // entries in a row (no exit between) at different devices (or a device and the online channel) are a
  // double admission: neither side could know of the other's.
  const doubleRows = rowsOf<Record<string, unknown>>(
    await tx.execute(sql`
      with ${acceptedScans},
      ordered as (
        select a.source as c_source, a.device_id as c_device_id, a.seq as c_seq, a.online_id as c_online_id,
               a.direction as c_direction, a.at_ts as c_at_ts, a.serial,
               lag(a.source) over w as p_source, lag(a.device_id) over w as p_device_id,
               lag(a.seq) over w as p_seq, lag(a.online_id) over w as p_online_id,
               lag(a.direction) over w as p_direction, lag(a.at_ts) over w as p_at_ts
          from accepted a
        window w as (partition by a.serial order by a.at_ts, a.source, a.device_id, a.seq, a.online_id)
      ), found as (
        select o.*, count(*) over () as total from ordered o
         where o.c_direction = 'in' and o.p_direction = 'in'
           and (o.c_source, o.c_device_id) is distinct from (o.p_source, o.p_device_id)
         order by o.c_at_ts, o.serial, o.c_source, o.c_device_id, o.c_seq, o.c_online_id
         limit ${MAX_FINDINGS_PER_KIND}
      )
      select f.serial, t.id as ticket_id, f.total,
             (extract(epoch from (f.c_at_ts - f.p_at_ts)) * 1000)::float8 as apart_ms,
             ${scanColumns('c_')}, ${scanColumns('p_')}
        from found f
        left join tickets t on t.event_id = ${eventId}::uuid and t.serial = f.serial
        ${scanJoins('c_')} ${scanJoins('p_')}
       order by f.c_at_ts, f.serial, f.c_source, f.c_device_id, f.c_seq, f.c_online_id`),
  );
  const doubleAdmissions: DoubleAdmission[] = doubleRows.map((row) => ({
    ticketId: (row['ticket_id'] as string | null) ?? null,
    serial: num(row['serial']),
    first: admissionScan(prefixed(row, 'p_')),
    second: admissionScan(prefixed(row, 'c_')),
    secondsApart: seconds(row['apart_ms']) ?? 0,
  }));
  const doubleTotal = num(doubleRows[0]?.['total']);

  // --- admissions of revoked tickets ---------------------------------------------------------------
  // For each accepted entry, the first change that made the admitted QR inadmissible: a revocation of
  // that generation or later, or a transfer to a newer generation. An entry after that change was made
  // in the cloud came from a gate whose manifest had not caught up yet.
  const revokedRows = rowsOf<Record<string, unknown>>(
    await tx.execute(sql`
      with ${acceptedScans},
      invalidations as (
        select serial, op, seq, generation, created_at, reason from ticket_changes
         where event_id = ${eventId}::uuid and serial is not null and op in ('revoke', 'transfer')
      ), matched as (
        select distinct on (a.source, a.device_id, a.seq, a.online_id)
               a.source as c_source, a.device_id as c_device_id, a.seq as c_seq, a.online_id as c_online_id,
               a.direction as c_direction, a.at_ts as c_at_ts, a.serial, a.generation, a.manifest_seq,
               c.op as r_op, c.seq as r_seq, c.created_at as r_at_ts, c.reason as r_reason
          from accepted a
          join invalidations c on c.serial = a.serial
               and ((c.op = 'revoke' and c.generation >= coalesce(a.generation, 0))
                    or (c.op = 'transfer' and c.generation > coalesce(a.generation, 0)))
         where a.direction = 'in'
         order by a.source, a.device_id, a.seq, a.online_id, c.seq
      ), found as (
        select m.*, count(*) over () as total from matched m where m.c_at_ts >= m.r_at_ts
         order by m.c_at_ts, m.serial, m.c_source, m.c_device_id, m.c_seq, m.c_online_id
         limit ${MAX_FINDINGS_PER_KIND}
      )
      select f.serial, f.generation, t.id as ticket_id, f.total, f.manifest_seq,
             ${scanColumns('c_')}, f.r_op, f.r_seq, ${iso(sql`f.r_at_ts`)} as r_at, f.r_reason,
             (extract(epoch from (f.c_at_ts - f.r_at_ts)) * 1000)::float8 as after_ms,
             ${iso(sql`mc.created_at`)} as manifest_as_of
        from found f
        left join tickets t on t.event_id = ${eventId}::uuid and t.serial = f.serial
        left join ticket_changes mc on mc.event_id = ${eventId}::uuid and mc.seq = f.manifest_seq
        ${scanJoins('c_')}
       order by f.c_at_ts, f.serial, f.c_source, f.c_device_id, f.c_seq, f.c_online_id`),
  );
  const revokedAdmissions: RevokedAdmission[] = revokedRows.map((row) => {
    const manifestSeq = numOrNull(row['manifest_seq']);
    const revocationSeq = num(row['r_seq']);
    return {
      ticketId: (row['ticket_id'] as string | null) ?? null,
      serial: num(row['serial']),
      generation: numOrNull(row['generation']),
      admission: admissionScan(prefixed(row, 'c_')),
      revocation: {
        op: row['r_op'] as 'revoke' | 'transfer',
        seq: revocationSeq,
        at: row['r_at'] as string,
        reason: (row['r_reason'] as string | null) ?? null,
      },
      gateManifestSeq: manifestSeq,
      changesBehind: manifestSeq === null ? null : revocationSeq - manifestSeq,
      gateManifestAsOf: (row['manifest_as_of'] as string | null) ?? null,
      secondsAfterRevocation: seconds(row['after_ms']) ?? 0,
    };
  });
  const revokedTotal = num(revokedRows[0]?.['total']);

  // --- rejections and invalid tokens ---------------------------------------------------------------
  const rejectionRows = rowsOf<{
    reason: string;
    detail: string | null;
    gate_id: string | null;
    gate_name: string | null;
    count: number;
    by: 'reason' | 'gate';
  }>(
    await tx.execute(sql`
      with ${eventScans}, ${onlineRejected},
      rejected as (
        select es.gate_id, es.reason, es.detail from event_scans es where es.accepted = 0
        union all
        select o.gate_id, o.reason, null from online_rejected o
      )
      select 'reason' as by, r.reason, r.detail, null as gate_id, null as gate_name, count(*)::int as count
        from rejected r group by r.reason, r.detail
      union all
      select 'gate', r.reason, null, r.gate_id::text, g.name, count(*)::int
        from rejected r left join gates g on g.id = r.gate_id group by r.reason, r.gate_id, g.name
      order by 1, 6 desc, 2, 3 nulls first, 5 nulls last, 4 nulls last`),
  );
  const byReason: ReasonCount[] = rejectionRows
    .filter((r) => r.by === 'reason')
    .map((r) => ({ reason: r.reason, detail: r.detail, count: r.count }));
  const byGateReason = rejectionRows
    .filter((r) => r.by === 'gate')
    .map((r) => ({ gateId: r.gate_id ?? '', gateName: r.gate_name, reason: r.reason, count: r.count }));
  const invalidByReason = byReason.filter((r) => INVALID_TOKEN_REASONS.includes(r.reason));
  const invalidByGate = new Map<string, GateCount>();
  for (const row of byGateReason) {
    if (!INVALID_TOKEN_REASONS.includes(row.reason)) continue;
    const entry = invalidByGate.get(row.gateId) ?? { gateId: row.gateId, gateName: row.gateName, count: 0 };
    entry.count += row.count;
    invalidByGate.set(row.gateId, entry);
  }
  const sumCounts = (rows: Array<{ count: number }>) => rows.reduce((total, r) => total + r.count, 0);

  // --- devices -------------------------------------------------------------------------------------
  const deviceRows = rowsOf<{
    device_id: string;
    name: string;
    gate_id: string;
    gate_name: string | null;
    status: 'active' | 'revoked';
    acked_seq: string | number;
    last_upload_at: string | null;
    last_seen_at: string | null;
    clock_offset_ms: string | number | null;
    scans: number | null;
    accepted: number | null;
    rejected: number | null;
    first_at: string | null;
    last_at: string | null;
    min_offset: string | number | null;
    max_offset: string | number | null;
    max_lag_ms: string | number | null;
    quarantined: number;
    highest_seq: string | number | null;
  }>(
    await tx.execute(sql`
      with ${eventScans},
      per_device as (
        select es.device_id, count(*)::int as scans, count(*) filter (where es.accepted = 1)::int as accepted,
               count(*) filter (where es.accepted = 0)::int as rejected,
               min(es.estimated_at) as first_at, max(es.estimated_at) as last_at,
               min(es.clock_offset_ms) as min_offset, max(es.clock_offset_ms) as max_offset,
               max(extract(epoch from (es.received_at - es.estimated_at)) * 1000)::float8 as max_lag_ms
          from event_scans es group by es.device_id
      )
      select d.id::text as device_id, d.name, d.gate_id::text as gate_id, g.name as gate_name, d.status,
             d.acked_seq, ${iso(sql`d.last_upload_at`)} as last_upload_at,
             ${iso(sql`d.last_seen_at`)} as last_seen_at, d.clock_offset_ms,
             p.scans, p.accepted, p.rejected, ${iso(sql`p.first_at`)} as first_at,
             ${iso(sql`p.last_at`)} as last_at, p.min_offset, p.max_offset, p.max_lag_ms,
             (select count(*) from device_scans q where q.device_id = d.id and q.quarantined = 1)::int as quarantined,
             (select max(m.seq) from device_scans m where m.device_id = d.id) as highest_seq
        from devices d
        left join gates g on g.id = d.gate_id
        left join per_device p on p.device_id = d.id
       where d.tenant_id = ${tenantId} and (p.device_id is not null or d.id in ${venueDevices})
       order by g.name nulls last, d.name, d.id`),
  );
  const deviceIds = deviceRows.map((d) => d.device_id);
  // Gaps can only lie above the acknowledged prefix (which is gap-free by definition), so only that
  // tail of each device's log is read. The row at acked_seq itself anchors the first comparison.
  const gapRows =
    deviceIds.length === 0
      ? []
      : rowsOf<{
          device_id: string;
          from_seq: string | number;
          to_seq: string | number;
          after: string | null;
          before: string | null;
        }>(
          await tx.execute(sql`
            select x.device_id::text as device_id, x.prev + 1 as from_seq, x.seq - 1 as to_seq,
                   ${iso(sql`x.prev_at`)} as after, ${iso(sql`x.at`)} as before
              from (
                select ds.device_id, ds.seq, ds.estimated_at as at,
                       coalesce(lag(ds.seq) over w, d.acked_seq) as prev, lag(ds.estimated_at) over w as prev_at
                  from devices d join device_scans ds on ds.device_id = d.id and ds.seq >= d.acked_seq
                 where d.id = any(${sql.param(deviceIds)}::uuid[])
                window w as (partition by ds.device_id order by ds.seq)
              ) x
             where x.seq - x.prev > 1
             order by x.device_id, x.seq`),
        );
  const gapsByDevice = new Map<string, SequenceGap[]>();
  for (const gap of gapRows) {
    const list = gapsByDevice.get(gap.device_id) ?? [];
    const fromSeq = num(gap.from_seq);
    const toSeq = num(gap.to_seq);
    list.push({ fromSeq, toSeq, missing: toSeq - fromSeq + 1, after: gap.after, before: gap.before });
    gapsByDevice.set(gap.device_id, list);
  }
  const devices: DeviceReconciliation[] = deviceRows.map((d) => {
    const gaps = gapsByDevice.get(d.device_id) ?? [];
    const offsets = [d.clock_offset_ms, d.min_offset, d.max_offset].filter((o) => o !== null).map(Number);
    return {
      deviceId: d.device_id,
      name: d.name,
      gateId: d.gate_id,
      gateName: d.gate_name,
      status: d.status,
      scans: d.scans ?? 0,
      accepted: d.accepted ?? 0,
      rejected: d.rejected ?? 0,
      quarantined: d.quarantined,
      firstScanAt: d.first_at,
      lastScanAt: d.last_at,
      ackedSeq: num(d.acked_seq),
      highestSeq: num(d.highest_seq),
      gaps,
      missingScans: gaps.reduce((total, g) => total + g.missing, 0),
      lastUploadAt: d.last_upload_at,
      lastSeenAt: d.last_seen_at,
      clockOffsetMs: numOrNull(d.clock_offset_ms),
      minClockOffsetMs: numOrNull(d.min_offset),
      maxClockOffsetMs: numOrNull(d.max_offset),
      clockSkewed: offsets.some((o) => Math.abs(o) > CLOCK_SKEW_THRESHOLD_MS),
      maxUploadLagSeconds: seconds(d.max_lag_ms),
    };
  });

  const invalidTotal = sumCounts(invalidByReason);
  return {
    version: RECONCILIATION_REPORT_VERSION,
    generatedAt: input.generatedAt,
    run: {
      id: run.id,
      trigger: run.trigger,
      runKey: run.runKey,
      requestedBy: run.requestedBy,
      requestedAt: run.requestedAt.toISOString(),
      startedAt: (run.startedAt ?? new Date(input.generatedAt)).toISOString(),
    },
    event: {
      id: event.id,
      tenantId: event.tenant_id,
      name: event.name,
      status: event.status,
      venueId: event.venue_id,
      venueName: event.venue_name,
      timezone: event.timezone,
      doorsOpenAt: event.doors_open_at,
      startsAt: event.starts_at,
      endsAt: event.ends_at,
      changeSeq: num(event.change_seq),
    },
    summary: {
      doubleAdmissions: doubleTotal,
      revokedAdmissions: revokedTotal,
      invalidTokenAttempts: invalidTotal,
      sequenceGaps: devices.reduce((total, d) => total + d.gaps.length, 0),
      missingScans: devices.reduce((total, d) => total + d.missingScans, 0),
      skewedDevices: devices.filter((d) => d.clockSkewed).length,
      quarantinedScans: devices.reduce((total, d) => total + d.quarantined, 0),
    },
    tickets: {
      issued: ticketTotals?.issued ?? 0,
      valid: ticketTotals?.valid ?? 0,
      revoked: ticketTotals?.revoked ?? 0,
      revokedByReason,
      transfers: ticketTotals?.transfers ?? 0,
    },
    admissions: {
      uniqueAdmissions: admissionTotals?.unique_admissions ?? 0,
      noShows: admissionTotals?.no_shows ?? 0,
      entries: admissionTotals?.entries ?? 0,
      exits: admissionTotals?.exits ?? 0,
      onlineEntries: admissionTotals?.online_entries ?? 0,
    },
    doubleAdmissions,
    doubleAdmissionsTruncated: doubleTotal > doubleAdmissions.length,
    revokedAdmissions,
    revokedAdmissionsTruncated: revokedTotal > revokedAdmissions.length,
    invalidTokenAttempts: {
      total: invalidTotal,
      byReason: invalidByReason,
      byGate: [...invalidByGate.values()].sort(
        (a, b) =>
          b.count - a.count ||
          (a.gateName ?? '').localeCompare(b.gateName ?? '') ||
          a.gateId.localeCompare(b.gateId),
      ),
    },
    rejections: { total: sumCounts(byReason), byReason, byGate: byGateReason },
    devices,
  };
}
