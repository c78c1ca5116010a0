/**
 * Prometheus metrics (prom-client): HTTP request counts and latency by route and status, errors by code,
 * and the business counters (holds, purchases, refunds). One registry per app instance, so tests that
 * build several apps do not collide on metric names.
 */

import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { BusinessEvents } from '../services/context';
import type { AppEnv } from './context';

export interface Metrics {
  registry: Registry;
  business: BusinessEvents;
  errorsByCode: Counter<'code'>;
  middleware: MiddlewareHandler<AppEnv>;
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
