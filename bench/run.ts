/**
 * `npm run bench`: runs every benchmark of SPEC section 9, prints one table (figure, target, floor,
 * ratio, result) and writes bench/results.json. BENCH_QUICK=1 makes a short run that checks the harness,
 * not the numbers. Figures that need PostgreSQL (DATABASE_URL or TEST_DATABASE_URL) or Chromium are
 * listed as not measured when those are missing.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_PATH } from '../scanner-ui/test-support/browser';
import { benchTokenCrypto } from './crypto-verify';
import { benchGate } from './gate-decision';
import { benchDatabaseServer } from './lib/cloud-process';
import { type BenchResult, printTable, writeResults } from './lib/report';
import { benchPurchaseThroughput } from './purchase-throughput';
import { benchScanIngest } from './scan-ingest';
import { benchScanToPaint } from './scan-to-paint';

const quick = process.env.BENCH_QUICK === '1';
const results: BenchResult[] = [];
const notMeasured: string[] = [];
const postgres = benchDatabaseServer();

results.push(...(await benchGate({ quick })));
results.push(...(await benchTokenCrypto({ quick })));
if (existsSync(CHROMIUM_PATH)) results.push(...(await benchScanToPaint({ quick })));
else notMeasured.push(`scan to painted verdict (no Chromium at ${CHROMIUM_PATH})`);
if (postgres) {
  results.push(...(await benchPurchaseThroughput({ quick })));
  results.push(...(await benchScanIngest({ quick })));
} else {
  notMeasured.push('purchase throughput and scan ingest rate (set DATABASE_URL or TEST_DATABASE_URL)');
}
notMeasured.push('reconciliation of 1,000,000 scans (reconciliation is not built yet: issue 7)');

console.log(
  `\nbenchmarks (${quick ? 'quick run: harness check only' : 'full run'}, node ${process.version}, ` +
    `PostgreSQL ${postgres ? 'yes' : 'no'}, Redis not used by these figures)\n`,
);
printTable(results);
if (notMeasured.length > 0) console.log(`\nnot measured in this run:\n  - ${notMeasured.join('\n  - ')}`);
writeResults(fileURLToPath(new URL('./results.json', import.meta.url)), results);
if (quick) {
  // The smoke run checks that every benchmark ran and produced a number, not the numbers themselves.
  const broken = results.filter((r) => !Number.isFinite(r.value));
  if (broken.length > 0) {
    console.error(`benchmarks without a number: ${broken.map((r) => r.name).join(', ')}`);
    process.exit(1);
  }
}
