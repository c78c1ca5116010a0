/**
 * The business counters: holds, purchases, refunds, scans ingested, background jobs, minting and
 * reconciliation, as services report them through `BusinessEvents` (services/context.ts).
 *
 * Every known series starts at 0: Prometheus cannot see the first increment of a series that appears
 * already at 1, so without this a process's first double admission or failed job would never alert.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import { BUSINESS_OUTCOMES, type BusinessEvents } from '../../services/context';
import { JOB_NAMES } from '../../services/job-queue';

const FINDING_KINDS = ['double_admission', 'revoked_admission', 'sequence_gap'] as const;

/** A counter by `outcome` whose every outcome starts at zero. */
function outcomeCounter(registry: Registry, name: string, help: string, outcomes: readonly string[]) {
  const counter = new Counter({ name, help, labelNames: ['outcome'] as const, registers: [registry] });
  for (const outcome of outcomes) counter.inc({ outcome }, 0);
  return counter;
}

/** Registers the business counters and answers the events services report into them. */
export function createBusinessMetrics(registry: Registry): BusinessEvents {
  const holds = outcomeCounter(registry, 'ticket_holds_total', 'Holds by outcome', BUSINESS_OUTCOMES.hold);
  const purchases = outcomeCounter(
    registry,
    'ticket_purchases_total',
    'Purchases by outcome',
    BUSINESS_OUTCOMES.purchase,
  );
  const refunds = outcomeCounter(
    registry,
    'ticket_refunds_total',
    'Refunds by outcome',
    BUSINESS_OUTCOMES.refund,
  );
  const scansIngested = outcomeCounter(
    registry,
    'scans_ingested_total',
    'Scan records received from gate devices, by outcome (stored, duplicate, quarantined)',
    BUSINESS_OUTCOMES.scansIngested,
  );
  const jobs = new Counter({
    name: 'jobs_total',
    help: 'Background job attempts by job and outcome (completed, retrying, failed = gave up)',
    labelNames: ['job', 'outcome'] as const,
    registers: [registry],
  });
  const jobDuration = new Histogram({
    name: 'job_duration_seconds',
    help: 'Background job attempt duration by job',
    labelNames: ['job'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [registry],
  });
  const mints = outcomeCounter(
    registry,
    'minting_requests_total',
    'Calls to the external minting service by outcome',
    BUSINESS_OUTCOMES.mint,
  );
  const reconciliations = outcomeCounter(
    registry,
    'reconciliation_runs_total',
    'Reconciliation runs by outcome',
    BUSINESS_OUTCOMES.reconciliation,
  );
  const findings = new Counter({
    name: 'reconciliation_findings_total',
    help: 'Findings in stored reconciliation reports by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  for (const job of JOB_NAMES) {
    for (const outcome of BUSINESS_OUTCOMES.job) jobs.inc({ job, outcome }, 0);
  }
  for (const kind of FINDING_KINDS) findings.inc({ kind }, 0);

  return {
    hold: (outcome, count = 1) => holds.inc({ outcome }, count),
    purchase: (outcome) => purchases.inc({ outcome }),
    refund: (outcome) => refunds.inc({ outcome }),
    scansIngested: (outcome, count) => scansIngested.inc({ outcome }, count),
    job: (job, outcome, seconds) => {
      jobs.inc({ job, outcome });
      jobDuration.observe({ job }, seconds);
    },
    mint: (outcome) => mints.inc({ outcome }),
    reconciliation: (outcome, found) => {
      reconciliations.inc({ outcome });
      if (!found) return;
      findings.inc({ kind: 'double_admission' }, found.doubleAdmissions);
      findings.inc({ kind: 'revoked_admission' }, found.revokedAdmissions);
      findings.inc({ kind: 'sequence_gap' }, found.sequenceGaps);
    },
  };
}
