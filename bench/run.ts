/**
 * `npm run bench`: runs every benchmark of SPEC section 9, prints one table (figure, target, floor,
 * ratio, result) and writes bench/results.json — an array of exactly {name, value, unit, target, floor?,
 * ratio?, pass} — and, beside it, bench/results-details.json (each figure's note, what was used, what
 * was not measured and why).
 *
 * Figures on the cloud need PostgreSQL (DATABASE_URL or TEST_DATABASE_URL; each benchmark makes its own
 * fresh database) and use Redis when REDIS_URL is set (BENCH_REDIS=0: without); scan-to-paint needs
 * Chromium. A figure that cannot be measured here is listed as such, never silently left out.
 *
 * BENCH_QUICK=1 is the CI smoke run: smaller sizes (10k-ticket manifests, 50 buyers for 3 s), a few
 * minutes at most. It checks that the harness works: it exits 1 when a benchmark throws, gives no number,
 * or a figure that should be there is missing — not when a figure misses its target (the numbers of a
 * quick run on a shared machine mean nothing). A full run exits 1 when a benchmark breaks, too, and
 * prints the figures that missed their targets without failing on them: the table is the verdict.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_PATH } from '../scanner-ui/test-support/browser';
import { benchAdmissionPropagation } from './admission-propagation';
import { benchTokenCrypto } from './crypto-verify';
import { benchGate } from './gate-decision';
import { benchGateOccupancy } from './gate-occupancy';
import { benchHolderCode } from './holder-code';
import { benchDatabaseServer, benchRedisUrl } from './lib/cloud-process';
import {
  type BenchResult,
  checkResults,
  printTable,
  REQUIRED_FIGURES,
  resultRecord,
  writeResults,
} from './lib/report';
import { benchPurchaseThroughput } from './purchase-throughput';
import { benchReconciliation } from './reconciliation';
import { benchScanIngest } from './scan-ingest';
import { benchScanToPaint } from './scan-to-paint';
import { benchSnapshotDownload } from './snapshot-download';

type Bench = (options: { quick: boolean }) => Promise<BenchResult[]>;

const quick = process.env.BENCH_QUICK === '1';
const postgres = benchDatabaseServer();
const redis = benchRedisUrl();
const chromium = existsSync(CHROMIUM_PATH);

interface Plan {
  label: string;
  run: Bench;
  /** Why it cannot run here, or undefined when it can. */
  missing?: string;
  /** The required figures it gives. */
  figures: readonly string[];
}

/** What a benchmark of the cloud lacks without PostgreSQL. */
const needsPostgres: Pick<Plan, 'missing'> = postgres
  ? {}
  : { missing: 'needs PostgreSQL: set DATABASE_URL or TEST_DATABASE_URL' };

const plans: Plan[] = [
  {
    label: 'gate decision, snapshot (local pages), delta',
    run: benchGate,
    figures: [
      'gate decision p99',
      'gate decision p99 / bare insert p99',
      'gate decision median / floor',
      'gate decisions per second',
      'delta apply 1k',
    ],
  },
  {
    label: 'gate zones: occupancy read, decision with zone rules',
    run: benchGateOccupancy,
    figures: ['gate occupancy read p99', 'gate decision p99 with zones / without'],
  },
  {
    label: 'rotating codes: verify, gate decision',
    run: benchHolderCode,
    figures: ['gate decision p99 rotating code'],
  },
  { label: 'token crypto', run: benchTokenCrypto, figures: [] },
  {
    label: 'scan to painted verdict',
    run: benchScanToPaint,
    ...(chromium ? {} : { missing: `no Chromium at ${CHROMIUM_PATH}` }),
    figures: ['scan to painted verdict p95'],
  },
  {
    label: 'snapshot download + install from the cloud',
    run: benchSnapshotDownload,
    ...needsPostgres,
    figures: ['snapshot install 100k'],
  },
  {
    label: 'purchases',
    run: benchPurchaseThroughput,
    ...needsPostgres,
    figures: [
      'purchase throughput',
      'purchase p95',
      'purchase database floor',
      'purchase database floor 8 events / 1 event',
      'purchase throughput 8 events / 1 event',
      'purchase p95 8 events / 1 event',
    ],
  },
  {
    label: 'scan ingest',
    run: benchScanIngest,
    ...needsPostgres,
    figures: ['scan ingest rate'],
  },
  {
    label: 'reconciliation of 1,000,000 scans',
    run: benchReconciliation,
    ...needsPostgres,
    figures: ['reconciliation 1M scans'],
  },
  {
    label: 'admissions shared between gates (cloud, LAN)',
    run: benchAdmissionPropagation,
    ...needsPostgres,
    figures: [
      'admission propagation via the cloud p99',
      'double admissions via the cloud',
      'admission propagation via the LAN p99',
      'double admissions via the LAN',
      'gate decision p99 with 3 peers',
    ],
  },
];

const results: BenchResult[] = [];
const notMeasured: string[] = [];
const broken: string[] = [];
const seconds: Record<string, number> = {};
for (const plan of plans) {
  if (plan.missing) {
    notMeasured.push(`${plan.label}: ${plan.missing}`);
    continue;
  }
  const started = performance.now();
  try {
    results.push(...(await plan.run({ quick })));
  } catch (error) {
    // One broken benchmark must not hide the others' figures; the run still fails at the end.
    broken.push(`${plan.label}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  seconds[plan.label] = Math.round((performance.now() - started) / 100) / 10;
}

const expected = plans.filter((p) => !p.missing).flatMap((p) => p.figures);
const problems = checkResults(results.map(resultRecord), expected);
const unmeasuredFigures = REQUIRED_FIGURES.filter((name) => !expected.includes(name));

console.log(
  `\nbenchmarks (${quick ? 'QUICK run: harness check at reduced sizes, the numbers are not the figures' : 'full run'}; ` +
    `node ${process.version}, ${cpus().length} CPUs; ` +
    `PostgreSQL ${postgres ? `yes (${new URL(postgres).host})` : 'no'}; ` +
    `Redis ${redis ? `yes (${new URL(redis).host}) for the cloud's jobs and rate limits` : 'no (the cloud runs jobs and rate limits in-process)'}; ` +
    `Chromium ${chromium ? 'yes' : 'no'})\n`,
);
printTable(results);
if (notMeasured.length > 0)
  console.log(
    `\nnot measured in this run (${unmeasuredFigures.join(', ')}):\n  - ${notMeasured.join('\n  - ')}`,
  );
const misses = results.filter((r) => r.pass === false).map((r) => r.name);
if (misses.length > 0) console.log(`\nmissed their targets: ${misses.join(', ')}`);
console.log(
  `\ntime per benchmark (s): ${Object.entries(seconds)
    .map(([label, s]) => `${label} ${s}`)
    .join(', ')}`,
);

writeResults(fileURLToPath(new URL('./results.json', import.meta.url)), results);
writeFileSync(
  fileURLToPath(new URL('./results-details.json', import.meta.url)),
  `${JSON.stringify(
    {
      finishedAt: new Date().toISOString(),
      quick,
      node: process.version,
      cpus: cpus().length,
      postgres: Boolean(postgres),
      redis: Boolean(redis),
      chromium,
      notMeasured,
      broken,
      secondsPerBenchmark: seconds,
      notes: Object.fromEntries(results.filter((r) => r.note).map((r) => [r.name, r.note])),
    },
    null,
    2,
  )}\n`,
);

if (broken.length > 0 || problems.length > 0) {
  for (const b of broken) console.error(`\nBROKEN ${b}`);
  for (const p of problems) console.error(`results.json: ${p}`);
  process.exitCode = 1;
}
