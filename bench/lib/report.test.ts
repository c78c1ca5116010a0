// The benchmark report's contract: results.json entries carry exactly issue 8's keys, and the check that
// `npm run bench` ends with finds a missing figure, a figure without a number and a stray key.
import { describe, expect, it } from 'vitest';
import { type BenchResult, checkResults, REQUIRED_FIGURES, resultRecord } from './report';

const figure = (name: string, extra: Partial<BenchResult> = {}): BenchResult => ({
  name,
  value: 1.5,
  unit: 'ms',
  target: '<= 2 ms',
  pass: true,
  ...extra,
});

describe('bench report', () => {
  it('writes exactly name, value, unit, target, floor?, ratio?, pass — no note', () => {
    expect(Object.keys(resultRecord(figure('a', { note: 'how', floor: 1, ratio: 1.5 })))).toEqual([
      'name',
      'value',
      'unit',
      'target',
      'floor',
      'ratio',
      'pass',
    ]);
    expect(Object.keys(resultRecord(figure('b', { target: null, pass: null })))).toEqual([
      'name',
      'value',
      'unit',
      'target',
      'pass',
    ]);
  });

  it('accepts a complete set of well-formed figures', () => {
    const results = REQUIRED_FIGURES.map((name) => resultRecord(figure(name)));
    expect(checkResults(results, REQUIRED_FIGURES)).toEqual([]);
  });

  it('names a missing figure, a figure without a number, a duplicate and a stray key', () => {
    const results: unknown[] = [
      resultRecord(figure('gate decision p99', { value: Number.NaN })),
      { ...resultRecord(figure('purchase p95')), note: 'stray' },
      resultRecord(figure('purchase p95')),
      JSON.parse(JSON.stringify(resultRecord(figure('delta apply 1k', { ratio: Number.NaN })))),
    ];
    const problems = checkResults(results, ['gate decision p99', 'scan ingest rate']).join('\n');
    expect(problems).toMatch(/"gate decision p99" has no number/);
    expect(problems).toMatch(/entry 1 has keys note/);
    expect(problems).toMatch(/"purchase p95" appears twice/);
    expect(problems).toMatch(/"delta apply 1k" has a bad ratio/);
    expect(problems).toMatch(/"scan ingest rate" is missing/);
  });
});
