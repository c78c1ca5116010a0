/**
 * Timing helpers for benchmarks: run a function many times (bounded in count and time), collect
 * per-call durations with process.hrtime, and summarise them as percentiles. Benchmarks report medians
 * and ratios, not single runs: this machine is shared and noisy.
 */

export interface Sample {
  count: number;
  medianUs: number;
  p95Us: number;
  p99Us: number;
  meanUs: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function summarise(durationsUs: number[]): Sample {
  const sorted = [...durationsUs].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    medianUs: percentile(sorted, 50),
    p95Us: percentile(sorted, 95),
    p99Us: percentile(sorted, 99),
    meanUs: sum / Math.max(1, sorted.length),
  };
}

/**
 * Times `fn` once per call, after `warmup` untimed calls, until `iterations` calls or `maxMs` elapse.
 * `fn` receives the iteration number so each call can use different input.
 */
export function timeEach(
  fn: (i: number) => unknown,
  options: { iterations: number; warmup?: number; maxMs?: number },
): Sample {
  const warmup = options.warmup ?? Math.min(1000, Math.ceil(options.iterations / 10));
  for (let i = 0; i < warmup; i++) fn(i);
  const durations: number[] = [];
  const deadline = performance.now() + (options.maxMs ?? 10_000);
  for (let i = 0; i < options.iterations; i++) {
    const start = process.hrtime.bigint();
    fn(i);
    durations.push(Number(process.hrtime.bigint() - start) / 1000);
    if ((i & 63) === 0 && performance.now() > deadline) break;
  }
  return summarise(durations);
}
