import { describe, expect, it } from 'vitest';
import { type CpuProfile, flameGraphSvg, foldProfile, frameGroup, frameLabel, topFrames } from './flamegraph';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

/** root → (idle); root → main → a (leaf) / b → a (leaf). Samples: a under main, a under b, idle, b. */
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 3] },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('main', 'file:///work/x/cloud/app.ts', 9), children: [4, 5] },
    { id: 4, callFrame: frame('a', 'file:///work/x/node_modules/pg/lib/client.js', 0) },
    { id: 5, callFrame: frame('b', 'node:internal/streams/readable', 4), children: [6] },
    { id: 6, callFrame: frame('a', 'file:///work/x/node_modules/pg/lib/client.js', 0) },
  ],
  samples: [4, 6, 2, 5],
  timeDeltas: [0, 100, 200, 300, 400],
  startTime: 0,
  endTime: 1000,
};

describe('flame graph from a .cpuprofile', () => {
  it('labels frames by repository path or package, and groups them', () => {
    expect(frameLabel(profile.nodes[2]!.callFrame)).toBe('main cloud/app.ts:10');
    expect(frameLabel(profile.nodes[3]!.callFrame)).toBe('a pg/lib/client.js:1');
    expect(frameGroup('a pg/lib/client.js:1')).toBe('pg');
    expect(frameGroup('b node:internal/streams/readable:5')).toBe('node:internal/streams');
    expect(frameGroup('(garbage collector)')).toBe('(garbage collector)');
    expect(frameGroup('writev')).toBe('native');
  });

  it('folds samples into stacks weighted by the time to the next sample, idle apart', () => {
    const { stacks, idleUs, totalUs } = foldProfile(profile);
    expect(idleUs).toBe(300);
    expect(totalUs).toBe(100 + 200 + 300 + 400);
    const byStack = Object.fromEntries(stacks.map((s) => [s.frames.join(';'), s.us]));
    expect(byStack).toEqual({
      'main cloud/app.ts:10;a pg/lib/client.js:1': 100,
      'main cloud/app.ts:10;b node:internal/streams/readable:5;a pg/lib/client.js:1': 200,
      'main cloud/app.ts:10;b node:internal/streams/readable:5': 400,
    });
    // A window keeps only the samples taken in it (the second and third, at 100 and 300 µs).
    expect(foldProfile(profile, { fromUs: 50, toUs: 350 }).totalUs).toBe(500);
  });

  it('ranks self and inclusive time, counting a frame once per stack', () => {
    const top = topFrames(foldProfile(profile).stacks, 5);
    expect(top.self[0]).toEqual({ frame: 'b node:internal/streams/readable:5', us: 400 });
    expect(top.inclusive[0]).toEqual({ frame: 'main cloud/app.ts:10', us: 700 });
    expect(top.inclusive.find((f) => f.frame.startsWith('a '))?.us).toBe(300);
  });

  it('renders a self-contained SVG with a title and a tooltip per frame', () => {
    const svg = flameGraphSvg(foldProfile(profile).stacks, 'T <1>', 'sub');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('<title>T &lt;1&gt;: sub</title>');
    expect(svg).toContain('<title>main cloud/app.ts:10 — 1 ms, 100.00 %</title>');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });
});
