/**
 * A reconciliation run is a row of `reconciliation_reports` (pending → running → done | failed) that
 * holds, once done, its report as JSON. This module reads those rows: the run as the API shows it, the
 * stored report parsed back through its schema, and who may see an event's runs.
 */
import { and, eq } from 'drizzle-orm';
import type { reconciliationReports } from '../../db/reconciliation-schema';
import { events } from '../../db/schema';
import { type Actor, tenantScope } from '../actor';
import type { ServiceContext } from '../context';
import { type ReconciliationReport, ReconciliationReportSchema, type ReconciliationRunView } from './report';

export type ReportRow = typeof reconciliationReports.$inferSelect;

/** A run as the API shows it (without its report). */
export function runView(row: ReportRow): ReconciliationRunView {
  const { id, eventId, trigger, runKey, status, requestedBy, error } = row;
  const at = (time: Date | null) => time?.toISOString() ?? null;
  const [requestedAt, startedAt, finishedAt] = [
    row.requestedAt.toISOString(),
    at(row.startedAt),
    at(row.finishedAt),
  ];
  return { id, eventId, trigger, runKey, status, requestedBy, requestedAt, startedAt, finishedAt, error };
}

/**
 * The report a done run stored (jsonb, written only by the run itself). Parsed, not cast: a stored
 * report that no longer fits the schema is an error to see, not a shape to pass on.
 */
export function storedReport(row: ReportRow): ReconciliationReport {
  return ReconciliationReportSchema.parse(row.report);
}

/** Admins read and run their tenant's reports; ops those of every tenant (SPEC section 3). */
export function mayReconcile(actor: Actor): boolean {
  return actor.role === 'admin' || actor.role === 'ops';
}

/** The event as the actor may see it; another tenant's event is exactly as missing as a missing one. */
export async function visibleEvent(ctx: ServiceContext, actor: Actor, eventId: string) {
  const [event] = await ctx.db
    .select({ id: events.id, tenantId: events.tenantId })
    .from(events)
    .where(and(eq(events.id, eventId), tenantScope(actor, events.tenantId)));
  return event;
}
