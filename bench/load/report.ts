/**
 * Judges a load run against the seeds' thresholds (seeds 003, "Performance Thresholds", the Threshold
 * column) and prints and writes the report: per request kind p50 / p95 / p99, error rate and throughput;
 * the cloud's memory before, at its peak and after; one line per threshold. Sanity checks make a run
 * that did not really load the cloud fail too (a scenario with no successful request, no health check).
 */
import { writeFileSync } from 'node:fs';
import { percentile } from '../lib/measure';
import { formatTable } from '../lib/report';
import type { Series } from './generator';
import type { LoadRun } from './load-test';

export interface Threshold {
  name: string;
  value: number;
  unit: string;
  /** e.g. "< 1000 ms". */
  limit: string;
  pass: boolean;
  /** false: a target shown for information; it does not fail the run. */
  binding: boolean;
}

export interface SeriesRow {
  scenario: string;
  request: string;
  requests: number;
  ok: number;
  failed: number;
  errorRate: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  statuses: Record<string, number>;
}

export interface LoadReport {
  startedAt: string;
  quick: boolean;
  seconds: number;
  machine: LoadRun['machine'];
  cloud: LoadRun['cloud'];
  /** The run's settings, without the Redis URL (it may carry a password). */
  options: Omit<LoadRun['options'], 'redisUrl'>;
  series: SeriesRow[];
  counters: Record<string, Record<string, number>>;
  memory: LoadRun['memory'] & { growthMiB: number; heapGrowthMiB: number };
  cpu: LoadRun['cpu'];
  database: LoadRun['database'];
  thresholds: Threshold[];
  /** Why the run is not a real load test; empty when it is. */
  problems: string[];
  pass: boolean;
}

function find(run: LoadRun, scenario: string, request: string): Series {
  const series = run.scenarios.find((s) => s.name === scenario)?.series.find((s) => s.name === request);
  if (!series) throw new Error(`load report: no series "${request}" in scenario "${scenario}"`);
  return series;
}

function rowOf(scenario: string, series: Series, seconds: number): SeriesRow {
  const latency = series.latency();
  return {
    scenario,
    request: series.name,
    requests: series.count,
    ok: series.ok,
    failed: series.failed,
    errorRate: series.count > 0 ? series.failed / series.count : Number.NaN,
    perSecond: seconds > 0 ? series.count / seconds : Number.NaN,
    ...latency,
    statuses: Object.fromEntries(series.statuses),
  };
}

/** Builds the report of a run: rows, thresholds, sanity problems and the verdict. */
export function judgeLoadRun(run: LoadRun): LoadReport {
  const series = run.scenarios.flatMap((s) => s.series.map((one) => rowOf(s.name, one, s.seconds)));
  const requests = run.scenarios.flatMap((s) => s.series.filter((one) => one.isRequest));
  const all = requests.flatMap((s) => s.ms).sort((a, b) => a - b);
  const at = (p: number) => percentile(all, p);
  const failed = requests.reduce((n, s) => n + s.failed, 0);
  const purchases = run.scenarios.find((s) => s.name === 'purchases')?.counters ?? {};
  const hold = find(run, 'purchases', 'hold');
  const flow = find(run, 'purchases', 'purchase flow');
  const validate = find(run, 'qr validation', 'validate');
  const listing = find(run, 'ticket listing', 'list my tickets');
  const finishedFlows = (purchases.purchasesOk ?? 0) + (purchases.flowsFailed ?? 0);
  const growthMiB = run.memory.afterMiB - run.memory.beforeMiB;
  const heapGrowthMiB = run.memory.heapAfterMiB - run.memory.heapBeforeMiB;
  const line = (
    name: string,
    value: number,
    unit: string,
    limit: string,
    pass: boolean,
    binding = true,
  ): Threshold => ({ name, value, unit, limit, pass: Number.isFinite(value) && pass, binding });
  /** Passes under `limit` (in `unit`); `binding` false: shown, not judged. */
  const below = (name: string, value: number, unit: string, limit: number, binding = true) =>
    line(name, value, unit, `< ${limit} ${unit}`, value < limit, binding);
  // Each process that serves requests keeps its own compiled code, pools and caches: the allowance is
  // per serving process (a cluster's primary only routes), the readings the sum over all of them.
  const serving = run.options.cloudWorkers + run.options.scanWorkers;
  const growth = (name: string, valueMiB: number, perProcessMiB: number) => {
    const limitMiB = perProcessMiB * serving;
    const per = serving > 1 ? ` (${perProcessMiB} × ${serving} processes)` : '';
    return line(name, valueMiB, 'MiB', `<= ${limitMiB} MiB${per}`, valueMiB <= limitMiB);
  };
  const reserved = pct(purchases.holdsOk ?? 0, hold.count);
  const thresholds: Threshold[] = [
    below('http request p95', at(95), 'ms', 1000),
    below('http request p99', at(99), 'ms', 2000),
    below('http failure rate', pct(failed, all.length), '%', 5),
    below('purchase error rate', pct(purchases.flowsFailed ?? 0, finishedFlows), '%', 10),
    below('purchase latency p95 (hold + buy)', flow.latency().p95, 'ms', 2000),
    below('qr validation p95', validate.latency().p95, 'ms', 100),
    below('qr validation p95 (issue 8 target)', validate.latency().p95, 'ms', 50, false),
    line('reservation success rate', reserved, '%', '> 90 %', reserved > 90),
    below('ticket listing p95', listing.latency().p95, 'ms', 500),
    growth('cloud heap growth (after settling)', heapGrowthMiB, run.options.maxHeapGrowthMiB),
    growth('cloud RSS growth (after settling)', growthMiB, run.options.maxRssGrowthMiB),
  ];

  const problems: string[] = [];
  for (const s of run.scenarios)
    for (const one of s.series)
      if (one.ok === 0) problems.push(`${s.name}: no successful "${one.name}" in ${one.count} requests`);
  if ((purchases.peakVus ?? 0) < run.options.peakBuyers)
    problems.push(
      `purchases reached ${purchases.peakVus ?? 0} buyers, not the peak of ${run.options.peakBuyers}`,
    );
  const accepted = run.scenarios.find((s) => s.name === 'qr validation')?.counters.OK ?? 0;
  if (accepted === 0) problems.push('qr validation: no scan was accepted (the accept path was never taken)');
  const checks = run.scenarios.find((s) => s.name === 'health')?.counters.checks ?? 0;
  if (checks < Math.floor(run.options.seconds / run.options.healthEveryS))
    problems.push(
      `health: ${checks} checks in ${run.options.seconds} s at one every ${run.options.healthEveryS} s`,
    );

  return {
    startedAt: run.startedAt,
    quick: run.options.quick,
    seconds: run.seconds,
    machine: run.machine,
    cloud: run.cloud,
    options: withoutRedisUrl(run.options),
    series,
    counters: Object.fromEntries(run.scenarios.map((s) => [s.name, s.counters])),
    memory: { ...run.memory, growthMiB, heapGrowthMiB },
    cpu: run.cpu,
    database: run.database,
    thresholds,
    problems,
    pass: problems.length === 0 && thresholds.every((t) => t.pass || !t.binding),
  };
}

function withoutRedisUrl(options: LoadRun['options']): Omit<LoadRun['options'], 'redisUrl'> {
  const { redisUrl: _secretMaybe, ...rest } = options;
  return rest;
}

function pct(part: number, whole: number): number {
  return whole > 0 ? (100 * part) / whole : Number.NaN;
}

const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '—');

/** "1 process", "1 process + 1 scan-lane process", … */
function deploymentOf({ cloudWorkers, scanWorkers }: LoadReport['options']): string {
  const general = `${cloudWorkers} process${cloudWorkers === 1 ? '' : 'es'}`;
  if (scanWorkers === 0) return general;
  return `${general} + ${scanWorkers} scan-lane process${scanWorkers === 1 ? '' : 'es'}`;
}

/** Prints the report as two tables (requests, thresholds) with memory and counters between them. */
export function printLoadReport(report: LoadReport): void {
  const o = report.options;
  console.log(
    `\nload test (${report.quick ? 'quick run' : 'full run'}: ${o.seconds} s, peak ${o.peakBuyers} buyers, ` +
      `${o.stewards} stewards scanning ${o.scanEvent === 'separate' ? 'another event' : 'the event on sale'}, ` +
      `${o.listingPerSecond} listings/s, health every ${o.healthEveryS} s, think ${o.thinkMs} ms; ` +
      `${report.machine.cpus} CPUs, node ${report.machine.node}; cloud: ${deploymentOf(report.options)} on PostgreSQL, ` +
      `Redis ${report.cloud.redis ? 'yes' : 'no (in-process jobs and limits)'}; ` +
      `rate limits raised to ${report.cloud.rateLimitPerMinute.toLocaleString('en')}/min: capacity, not the limiter)\n`,
  );
  console.log(
    formatTable(
      ['scenario', 'request', 'requests', 'errors', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'],
      report.series.map((r) => [
        r.scenario,
        r.request,
        String(r.requests),
        `${fixed(100 * r.errorRate, 2)} %`,
        fixed(r.perSecond),
        fixed(r.p50),
        fixed(r.p95),
        fixed(r.p99),
        fixed(r.max, 0),
      ]),
    ),
  );
  for (const [scenario, counters] of Object.entries(report.counters))
    console.log(
      `  ${scenario}: ${Object.entries(counters)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  const m = report.memory;
  console.log(
    `\ncloud RSS: ${fixed(m.beforeMiB)} MiB before, ${fixed(m.peakMiB)} MiB peak, ${fixed(m.afterMiB)} MiB ` +
      `${m.settleS} s after the load (growth ${fixed(m.growthMiB)} MiB); V8 heap in use: ` +
      `${fixed(m.heapBeforeMiB)} MiB before, ${fixed(m.heapAfterMiB)} MiB after (growth ${fixed(m.heapGrowthMiB)} MiB)`,
  );
  printWhereTimeWent(report);
  console.log(
    formatTable(
      ['threshold', 'value', 'limit', 'result'],
      report.thresholds.map((t) => [
        t.name,
        `${fixed(t.value)} ${t.unit}`,
        t.limit,
        t.binding ? (t.pass ? 'PASS' : 'FAIL') : t.pass ? 'met (info)' : 'missed (info)',
      ]),
    ),
  );
  for (const problem of report.problems) console.log(`PROBLEM: ${problem}`);
  console.log(`\nload test ${report.pass ? 'PASSED' : 'FAILED'}`);
}

/** The cores each party used, and what the database's connections waited for (the busiest lines). */
function printWhereTimeWent(report: LoadReport): void {
  const { cpu, database } = report;
  console.log(
    cpu
      ? `CPU during the load, cores used of ${report.machine.cpus}: cloud ${fixed(cpu.cores.cloud, 2)}, ` +
          `PostgreSQL ${fixed(cpu.cores.postgres, 2)}, Redis ${fixed(cpu.cores.redis, 2)}, load generator ` +
          `${fixed(cpu.cores['load generator'], 2)}; the machine busy ${fixed(100 * cpu.machineBusy, 0)} %`
      : 'CPU during the load: not measured (no /proc)',
  );
  if (!database) {
    console.log('database during the load: not measured (no pg_stat_activity sample)\n');
    return;
  }
  const busiest = database.lines
    .slice(0, 8)
    .map((l) => `    ${fixed(l.backends, 2).padStart(5)}  ${l.statement}  ${l.wait}`);
  console.log(
    `database backends active on average ${fixed(database.active, 2)} (${database.samples} samples), ` +
      `the busiest:\n${busiest.join('\n')}\n`,
  );
}

/** Writes the report as JSON (NaN becomes null). */
export function writeLoadReport(path: string, report: LoadReport): void {
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
