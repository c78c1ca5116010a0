/**
 * `npm run bench`: runs every benchmark, prints one table (figure, target, floor, ratio, result) and
 * writes bench/results.json. BENCH_QUICK=1 makes a short run that checks the harness, not the numbers.
 * Figures a benchmark could not measure here (no PostgreSQL, no Redis, no browser) are listed as such.
 */
import { fileURLToPath } from 'node:url';
import { benchTokenCrypto } from './crypto-verify';
import { type BenchResult, printTable, writeResults } from './lib/report';

const quick = process.env.BENCH_QUICK === '1';
const results: BenchResult[] = [];
const notMeasured: string[] = [];

results.push(...(await benchTokenCrypto({ quick })));

console.log(
  `\nbenchmarks (${quick ? 'quick run: harness check only' : 'full run'}, node ${process.version})\n`,
);
printTable(results);
if (notMeasured.length > 0) console.log(`\nnot measured in this run: ${notMeasured.join('; ')}`);
writeResults(fileURLToPath(new URL('./results.json', import.meta.url)), results);
