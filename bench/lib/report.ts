/**
 * The benchmark report: every figure beside its target and, where one applies, the floor measured in
 * the same run and the ratio to it. Printed as a table and written to bench/results.json as an array of
 * {name, value, unit, target, floor?, ratio?, pass}.
 */
import { writeFileSync } from 'node:fs';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** Human-readable target, e.g. "<= 1 ms"; null for a figure reported for information only. */
  target: string | null;
  floor?: number;
  ratio?: number;
  /** null when the figure has no target. */
  pass: boolean | null;
  note?: string;
}

const round = (n: number) => (Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 100) / 100);

export function printTable(results: readonly BenchResult[]): void {
  const rows = results.map((r) => [
    r.name,
    `${round(r.value)} ${r.unit}`,
    r.target ?? '—',
    r.floor === undefined ? '' : `${round(r.floor)} ${r.unit}`,
    r.ratio === undefined ? '' : `${round(r.ratio)}×`,
    r.pass === null ? 'info' : r.pass ? 'PASS' : 'FAIL',
  ]);
  const header = ['figure', 'value', 'target', 'floor', 'ratio', 'result'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
  for (const r of results) if (r.note) console.log(`  ${r.name}: ${r.note}`);
}

export function writeResults(path: string, results: readonly BenchResult[]): void {
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
}
