/**
 * The benchmark report: every figure beside its target and, where one applies, the floor measured in
 * the same run and the ratio to it. Printed as a table (with each figure's note below it) and written to
 * bench/results.json as an array of exactly {name, value, unit, target, floor?, ratio?, pass}; notes and
 * the run's circumstances go to a details file beside it, so results.json stays that one shape.
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
  /** How the figure was made; printed and kept in the details file, not in results.json. */
  note?: string;
}

/** The figures issues 8, 14, 18 and 19 name; `npm run bench` checks that a full set of them was produced. */
export const REQUIRED_FIGURES = [
  'gate decision p99',
  'gate decision p99 / bare insert p99',
  'gate decision median / floor',
  'gate decisions per second',
  'scan to painted verdict p95',
  'snapshot install 100k',
  'delta apply 1k',
  'purchase throughput',
  'purchase p95',
  'purchase database floor',
  'purchase database floor 8 events / 1 event',
  'purchase throughput 8 events / 1 event',
  'purchase p95 8 events / 1 event',
  'scan ingest rate',
  'reconciliation 1M scans',
  'admission propagation via the cloud p99',
  'double admissions via the cloud',
  'admission propagation via the LAN p99',
  'double admissions via the LAN',
  'gate decision p99 with 3 peers',
  'gate occupancy read p99',
  'gate decision p99 with zones / without',
  'gate decision p99 rotating code',
] as const;

const round = (n: number) => (Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 100) / 100);

/** Formats rows under a header as aligned columns (two spaces apart), with a rule under the header. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function printTable(results: readonly BenchResult[]): void {
  const rows = results.map((r) => [
    r.name,
    Number.isFinite(r.value) ? `${round(r.value)} ${r.unit}`.trim() : 'none',
    r.target ?? '—',
    r.floor === undefined ? '' : `${round(r.floor)} ${r.unit}`.trim(),
    r.ratio === undefined ? '' : `${round(r.ratio)}×`,
    r.pass === null ? 'info' : r.pass ? 'PASS' : 'FAIL',
  ]);
  console.log(formatTable(['figure', 'value', 'target', 'floor', 'ratio', 'result'], rows));
  for (const r of results) if (r.note) console.log(`  ${r.name}: ${r.note}`);
}

/** The result as results.json holds it: exactly the keys, no notes. */
export function resultRecord(r: BenchResult) {
  return {
    name: r.name,
    value: r.value,
    unit: r.unit,
    target: r.target,
    ...(r.floor === undefined ? {} : { floor: r.floor }),
    ...(r.ratio === undefined ? {} : { ratio: r.ratio }),
    pass: r.pass,
  };
}

/** Writes results.json: an array of {name, value, unit, target, floor?, ratio?, pass}. */
export function writeResults(path: string, results: readonly BenchResult[]): void {
  writeFileSync(path, `${JSON.stringify(results.map(resultRecord), null, 2)}\n`);
}

/** Problems with a results array's shape and names; empty when it is complete and well formed. */
export function checkResults(results: readonly unknown[], required: readonly string[]): string[] {
  const problems: string[] = [];
  const allowed = new Set(['name', 'value', 'unit', 'target', 'floor', 'ratio', 'pass']);
  const names = new Set<string>();
  for (const [i, entry] of results.entries()) {
    if (typeof entry !== 'object' || entry === null) {
      problems.push(`entry ${i} is not an object`);
      continue;
    }
    const r = entry as Record<string, unknown>;
    const extra = Object.keys(r).filter((k) => !allowed.has(k));
    if (extra.length > 0) problems.push(`entry ${i} has keys ${extra.join(', ')}`);
    if (typeof r.name !== 'string' || r.name === '') problems.push(`entry ${i} has no name`);
    else if (names.has(r.name)) problems.push(`"${r.name}" appears twice`);
    else names.add(r.name);
    if (typeof r.value !== 'number' || !Number.isFinite(r.value)) problems.push(`"${r.name}" has no number`);
    if (typeof r.unit !== 'string') problems.push(`"${r.name}" has no unit`);
    if (r.target !== null && typeof r.target !== 'string') problems.push(`"${r.name}" has a bad target`);
    for (const key of ['floor', 'ratio'] as const)
      if (key in r && (typeof r[key] !== 'number' || !Number.isFinite(r[key])))
        problems.push(`"${r.name}" has a bad ${key}`);
    if (r.pass !== null && typeof r.pass !== 'boolean') problems.push(`"${r.name}" has a bad pass`);
  }
  for (const name of required) if (!names.has(name)) problems.push(`"${name}" is missing`);
  return problems;
}
