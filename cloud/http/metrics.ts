/**
 * Prometheus metrics (prom-client): HTTP request counts and latency by route and status, errors by code,
 * the business counters (holds, purchases, refunds, scans ingested, jobs, minting, reconciliation), and
 * gauges read at scrape time from sources the app attaches: job queue depth, database pool, dependency
 * health, and every gate's latest health report. One registry per app instance, so tests that build
 * several apps do not collide on metric names.
 *
 * Scrape-time sources are bounded: each gets `SOURCE_TIMEOUT_MS`; one that fails or is slow leaves its
 * gauge empty for that scrape and counts `metrics_source_errors_total{source}`, so /metrics always
 * answers. With several cloud replicas every replica exports the same per-gate gauges (they come from the
 * shared database): aggregate them with max by (…), not sum.
 */

import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { BUSINESS_OUTCOMES, type BusinessEvents } from '../services/context';
import type { GateHealthSample } from '../services/gate-health';
import { JOB_NAMES } from '../services/job-queue';
import type { AppEnv } from './context';

/** How long one scrape waits for one source (a dependency check, the queue, the devices query). */
export const SOURCE_TIMEOUT_MS = 2_000;

/** Jobs by state, as the job runner counts them. */
export type JobDepthSource = () => Promise<{ job: string; state: string; count: number }[]>;

/** What the app attaches once it has built its database, checks and services. */
export interface MetricsSources {
  /** Connections of the database pool. */
  poolStats?: () => { total: number; idle: number; waiting: number };
  /** The readiness checks (/health/ready): each throws when its dependency is not usable. */
  dependencies?: Record<string, () => Promise<void>>;
  /** Every gate's latest health report (one bounded query). */
  gateReports?: () => Promise<GateHealthSample[]>;
}

export interface Metrics {
  registry: Registry;
  business: BusinessEvents;
  errorsByCode: Counter<'code'>;
  middleware: MiddlewareHandler<AppEnv>;
  /** Registers the job runner's queue counts for `job_queue_depth` (the last one registered wins). */
  setJobDepthSource(source: JobDepthSource | undefined): void;
  /** Attaches the scrape-time sources (createApp calls this; later calls replace what they name). */
  attach(sources: MetricsSources): void;
}

/** Resolves `work` or rejects after `ms`; the timer never keeps the process alive. */
async function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Creates the registry and its instruments. */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const errorsByCode = new Counter({
    name: 'http_errors_total',
    help: 'Error responses by error code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const holds = new Counter({
    name: 'ticket_holds_total',
    help: 'Holds by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const purchases = new Counter({
    name: 'ticket_purchases_total',
    help: 'Purchases by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const refunds = new Counter({
    name: 'ticket_refunds_total',
    help: 'Refunds by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });

  const scansIngested = new Counter({
    name: 'scans_ingested_total',
    help: 'Scan records received from gate devices, by outcome (stored, duplicate, quarantined)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
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
  const mints = new Counter({
    name: 'minting_requests_total',
    help: 'Calls to the external minting service by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const reconciliations = new Counter({
    name: 'reconciliation_runs_total',
    help: 'Reconciliation runs by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const findings = new Counter({
    name: 'reconciliation_findings_total',
    help: 'Findings in stored reconciliation reports by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  });

  // Every known series starts at 0: Prometheus cannot see the first increment of a series that appears
  // already at 1, so without this a process's first double admission or failed job would never alert.
  const zero = (counter: Counter<'outcome'>, outcomes: readonly string[]) => {
    for (const outcome of outcomes) counter.inc({ outcome }, 0);
  };
  zero(holds, BUSINESS_OUTCOMES.hold);
  zero(purchases, BUSINESS_OUTCOMES.purchase);
  zero(refunds, BUSINESS_OUTCOMES.refund);
  zero(scansIngested, BUSINESS_OUTCOMES.scansIngested);
  zero(mints, BUSINESS_OUTCOMES.mint);
  zero(reconciliations, BUSINESS_OUTCOMES.reconciliation);
  for (const job of JOB_NAMES) {
    for (const outcome of BUSINESS_OUTCOMES.job) jobs.inc({ job, outcome }, 0);
  }
  for (const kind of ['double_admission', 'revoked_admission', 'sequence_gap']) findings.inc({ kind }, 0);

  // ---- Scrape-time gauges -------------------------------------------------------------------------
  let jobDepthSource: JobDepthSource | undefined;
  const sources: MetricsSources = {};
  const sourceErrors = new Counter({
    name: 'metrics_source_errors_total',
    help: 'Scrape-time sources that failed or timed out (their gauges were left empty for that scrape)',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  /** Runs one source under the timeout; undefined (and counted) when it fails. */
  const read = async <T>(source: string, work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await within(work(), SOURCE_TIMEOUT_MS);
    } catch {
      sourceErrors.inc({ source });
      return undefined;
    }
  };

  new Gauge({
    name: 'job_queue_depth',
    help: 'Background jobs by job and state (waiting, delayed, active, failed)',
    labelNames: ['job', 'state'] as const,
    registers: [registry],
    async collect() {
      const source = jobDepthSource;
      const rows = source ? await read('job_queue_depth', source) : undefined;
      this.reset();
      for (const row of rows ?? []) this.set({ job: row.job, state: row.state }, row.count);
    },
  });
  new Gauge({
    name: 'db_pool_connections',
    help: 'Database pool connections by state (total, idle, waiting = requests queued for a connection)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const stats = sources.poolStats?.();
      if (!stats) return;
      this.set({ state: 'total' }, stats.total);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'waiting' }, stats.waiting);
    },
  });
  new Gauge({
    name: 'dependency_up',
    help: 'Whether a dependency answered its readiness check at this scrape (1) or not (0)',
    labelNames: ['dependency'] as const,
    registers: [registry],
    async collect() {
      const checks = Object.entries(sources.dependencies ?? {});
      const results = await Promise.all(
        checks.map(async ([name, check]) => {
          try {
            await within(check(), SOURCE_TIMEOUT_MS);
            return [name, 1] as const;
          } catch {
            return [name, 0] as const;
          }
        }),
      );
      this.reset();
      for (const [dependency, up] of results) this.set({ dependency }, up);
    },
  });

  // Per gate and device, from the reports gates send (services/gate-health.ts). One query per scrape
  // feeds every gauge below: prom-client starts every collect() of a scrape in the same tick, so the
  // first one starts the query and the others share it until it settles; the next scrape reads afresh.
  const gateLabels = ['tenant', 'venue', 'gate', 'device'] as const;
  let gateScrape: Promise<GateHealthSample[]> | undefined;
  const gateSamples = (): Promise<GateHealthSample[]> => {
    if (!gateScrape) {
      const source = sources.gateReports;
      gateScrape = (source ? read('gate_reports', source) : Promise.resolve(undefined))
        .then((rows) => rows ?? [])
        .finally(() => {
          gateScrape = undefined;
        });
    }
    return gateScrape;
  };
  const labelsOf = (s: GateHealthSample) => ({
    tenant: s.tenantId,
    venue: s.venueId,
    gate: s.gateId,
    device: s.deviceId,
  });
  const gateGauge = (name: string, help: string, value: (s: GateHealthSample) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: gateLabels,
      registers: [registry],
      async collect() {
        const samples = await gateSamples();
        this.reset();
        for (const sample of samples) {
          const v = value(sample);
          if (v !== undefined) this.set(labelsOf(sample), v);
        }
      },
    });
  new Gauge({
    name: 'gate_device_info',
    help: 'Names behind the tenant/venue/gate/device ids of the per-gate gauges (value 1; join on the ids)',
    labelNames: [...gateLabels, 'venue_name', 'gate_name', 'device_name', 'agent_version'] as const,
    registers: [registry],
    async collect() {
      const samples = await gateSamples();
      this.reset();
      for (const s of samples) {
        this.set(
          {
            ...labelsOf(s),
            venue_name: s.venueName,
            gate_name: s.gateName,
            device_name: s.deviceName,
            agent_version: s.report.agentVersion,
          },
          1,
        );
      }
    },
  });
  gateGauge(
    'gate_last_report_age_seconds',
    'Seconds since the cloud received this gate device’s latest health report',
    (s) => s.lastReportAgeSeconds,
  );
  gateGauge(
    'gate_reported_manifest_age_seconds',
    'Manifest age the gate reported, oldest of its events (seconds, as of the report)',
    (s) => {
      const ages = s.report.events.map((e) => e.manifestAgeSeconds).filter((a): a is number => a !== null);
      return ages.length > 0 ? Math.max(...ages) : undefined;
    },
  );
  gateGauge(
    'gate_reported_pending_uploads',
    'Scans the gate reported as recorded but not yet acknowledged by the cloud',
    (s) => s.report.pendingUploads,
  );
  gateGauge(
    'gate_reported_offline_seconds',
    'Seconds without cloud contact the gate reported (0 = it was online)',
    (s) => s.report.offlineSeconds,
  );
  gateGauge(
    'gate_reported_decisions_total',
    'Scan decisions (accepted + rejected) the gate reported since its agent started',
    (s) => s.report.decisions.accepted + s.report.decisions.rejected,
  );
  gateGauge(
    'gate_reported_accepts_total',
    'Accepted scans the gate reported since its agent started',
    (s) => s.report.decisions.accepted,
  );
  gateGauge(
    'gate_reported_clock_skew_seconds',
    'cloud − device clock the gate last measured (seconds; positive = the gate is behind)',
    (s) => s.report.clockOffsetMs / 1000,
  );
  new Gauge({
    name: 'gate_reported_rejects_total',
    help: 'Rejected scans the gate reported since its agent started, by reason',
    labelNames: [...gateLabels, 'reason'] as const,
    registers: [registry],
    async collect() {
      const samples = await gateSamples();
      this.reset();
      for (const s of samples) {
        for (const [reason, n] of Object.entries(s.report.rejectsByReason)) {
          if (n !== undefined) this.set({ ...labelsOf(s), reason }, n);
        }
      }
    },
  });

  const middleware: MiddlewareHandler<AppEnv> = async (c, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      // The route pattern, not the path: ids in paths would explode the label cardinality.
      const route = safeRoutePath(c);
      const labels = { method: c.req.method, route, status: String(c.res.status) };
      requests.inc(labels);
      duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };

  return {
    registry,
    errorsByCode,
    middleware,
    setJobDepthSource(source) {
      jobDepthSource = source;
    },
    attach(attached) {
      Object.assign(sources, attached);
    },
    business: {
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
    },
  };
}

function safeRoutePath(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string {
  try {
    const path = routePath(c, -1);
    return path === '/*' || path === '*' ? 'unmatched' : path;
  } catch {
    return 'unmatched';
  }
}
