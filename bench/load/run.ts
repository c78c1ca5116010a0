/**
 * `npm run load`: the load test of issue 8 (the seeds' four k6 scenarios at once against the real cloud
 * on PostgreSQL; see load-test.ts), printed as tables and written to bench/load-results.json
 * (LOAD_RESULTS_PATH elsewhere). Exits 1 when a threshold fails or the run did not really load the
 * cloud, 2 when it could not run. LOAD_QUICK=1 for a ≈ 20 s run; other settings in loadOptionsFromEnv.
 */
import { fileURLToPath } from 'node:url';
import { loadOptionsFromEnv, runLoadTest } from './load-test';
import { judgeLoadRun, printLoadReport, writeLoadReport } from './report';

try {
  const options = loadOptionsFromEnv();
  const report = judgeLoadRun(await runLoadTest(options));
  printLoadReport(report);
  const path =
    process.env.LOAD_RESULTS_PATH || fileURLToPath(new URL('../load-results.json', import.meta.url));
  writeLoadReport(path, report);
  console.log(`written to ${path}`);
  process.exitCode = report.pass ? 0 : 1;
} catch (error) {
  console.error(`load test could not run: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
