/**
 * Reconciliation (SPEC section 8): what really happened at an event's doors, worked out after the fact
 * from everything the cloud knows — the tickets and their change log, every scan the gates uploaded, the
 * online validations, and each device's upload progress. A run is a row of `reconciliation_reports`
 * (pending → running → done | failed); its report is computed in SQL over the whole event (aggregates
 * and window functions, inside one repeatable-read snapshot) and never by loading scans into memory.
 *
 * Runs are requested on demand (POST /events/:id/reconciliation) or planned nightly per venue; either
 * way a `reconcile-event` job computes them, and running a job twice changes nothing.
 *
 * The folder: report.ts (the report's one schema) and csv.ts (its CSV); runs.ts (the stored run),
 * request.ts, plan.ts, run.ts (asking for, planning and running one); compute.ts assembles a report
 * from one query module per section — scope.ts (the event, and which scans count), tickets.ts,
 * admissions.ts, double-admissions.ts and revoked-admissions.ts (findings, with admission-scan.ts),
 * rejections.ts, devices.ts.
 */
export { csvField, reportToCsv } from './csv';
export { localDate, NIGHTLY_LOOKBACK_MS, planNightlyReconciliation } from './plan';
export {
  type AdmissionScan,
  CLOCK_SKEW_THRESHOLD_MS,
  type DeviceReconciliation,
  type DoubleAdmission,
  MAX_FINDINGS_PER_KIND,
  RECONCILIATION_REPORT_VERSION,
  type ReconciliationReport,
  ReconciliationReportSchema,
  ReconciliationRunSchema,
  type ReconciliationRunView,
  type RevokedAdmission,
  type SequenceGap,
} from './report';
export { latestReport, requestReconciliation } from './request';
export { runReconciliation } from './run';
