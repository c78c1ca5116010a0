/**
 * The reconciliation runs of the cloud (SPEC section 8), kept apart from ./schema.ts like the admissions
 * (./admissions-schema.ts): the table the reconciliation jobs and reports read and write.
 */
import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { events } from './schema';

export type ReconciliationTrigger = 'nightly' | 'manual';
export type ReconciliationStatus = 'pending' | 'running' | 'done' | 'failed';

/**
 * One reconciliation run of an event and, once done, its report (JSON). Runs are kept: the latest done
 * one is what GET /events/:id/reconciliation answers. `runKey` makes a scheduled run idempotent (the
 * nightly job of one venue-local date inserts one row per event however often it is delivered).
 */
export const reconciliationReports = pgTable(
  'reconciliation_reports',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    eventId: uuid('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    trigger: text('trigger').$type<ReconciliationTrigger>().notNull(),
    runKey: text('run_key').notNull(),
    status: text('status').$type<ReconciliationStatus>().notNull(),
    requestedBy: text('requested_by'),
    requestedAt: timestamp('requested_at', { withTimezone: true, mode: 'date' }).notNull(),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
    report: jsonb('report'),
    error: text('error'),
  },
  (t) => [
    uniqueIndex('reconciliation_reports_run_idx').on(t.eventId, t.runKey),
    index('reconciliation_reports_event_idx').on(t.tenantId, t.eventId, t.requestedAt),
  ],
);
