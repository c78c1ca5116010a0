/**
 * A V8 CPU profile (the .cpuprofile `node --cpu-prof` writes) turned into what a reader needs: the
 * samples folded into call stacks, a flame graph as a self-contained SVG (root at the bottom, width =
 * time on the CPU, a tooltip per frame), and the top frames by self and by inclusive time. No tool to
 * download: the profile format is plain JSON and the SVG is written here.
 */

/** The parts of a .cpuprofile used here. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** One call stack (root first) and the µs spent with it on top. */
export interface FoldedStack {
  frames: string[];
  us: number;
}

/** A frame's name: function and where it is, paths cut to the repository or to the package. */
export function frameLabel(frame: { functionName: string; url: string; lineNumber: number }): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  let where = frame.url.replace(/^file:\/\//, '');
  const modules = where.lastIndexOf('/node_modules/');
  if (modules >= 0) where = where.slice(modules + '/node_modules/'.length);
  else where = where.replace(/^.*?\/(cloud|shared|bench|gate-agent)\//, '$1/');
  return `${name} ${where}:${frame.lineNumber + 1}`;
}

/** What a frame belongs to: a package, Node's own code, the product's code, or V8's pseudo-frames. */
export function frameGroup(label: string): string {
  const located = /^.* (\S+):\d+$/.exec(label);
  if (!located) return label.startsWith('(') ? label : 'native';
  const where = located[1]!;
  if (where.startsWith('node:')) {
    const parts = where.slice(5).split('/');
    return `node:${parts.slice(0, parts[1] === 'deps' || parts[0] === 'internal' ? (parts[1] === 'deps' ? 3 : 2) : 1).join('/')}`;
  }
  if (/^(cloud|shared|bench|gate-agent)\//.test(where)) return where.split('/')[0]!;
  const parts = where.split('/');
  return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/**
 * Folds the samples into stacks. `window` (µs since the profile's start) keeps only the samples taken in
 * it; '(idle)' samples (the event loop waiting) are counted apart, not drawn.
 */
export function foldProfile(
  profile: CpuProfile,
  window?: { fromUs: number; toUs: number },
): { stacks: FoldedStack[]; idleUs: number; totalUs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const pathOf = new Map<number, string[]>();
  const path = (id: number): string[] => {
    const known = pathOf.get(id);
    if (known) return known;
    const node = byId.get(id)!;
    const up = parent.get(id);
    const frames = up === undefined ? [] : [...path(up), frameLabel(node.callFrame)];
    pathOf.set(id, frames);
    return frames;
  };
  const folded = new Map<string, FoldedStack>();
  let idleUs = 0;
  let totalUs = 0;
  let at = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    // A sample lasts until the next one is taken.
    const us = Math.max(0, profile.timeDeltas[i + 1] ?? 0);
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    const frames = path(profile.samples[i]!);
    totalUs += us;
    if (frames.length === 1 && frames[0]!.startsWith('(idle)')) {
      idleUs += us;
      continue;
    }
    const key = frames.join(';');
    const entry = folded.get(key);
    if (entry) entry.us += us;
    else folded.set(key, { frames, us });
  }
  return { stacks: [...folded.values()], idleUs, totalUs };
}

/** The top `count` frames by self time and by inclusive time (a frame counted once per stack). */
export function topFrames(stacks: readonly FoldedStack[], count: number) {
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const groups = new Map<string, number>();
  for (const { frames, us } of stacks) {
    const top = frames[frames.length - 1]!;
    self.set(top, (self.get(top) ?? 0) + us);
    const group = frameGroup(top);
    groups.set(group, (groups.get(group) ?? 0) + us);
    for (const frame of new Set(frames)) inclusive.set(frame, (inclusive.get(frame) ?? 0) + us);
  }
  const best = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([frame, us]) => ({ frame, us }));
  return { self: best(self), inclusive: best(inclusive), selfByGroup: best(groups) };
}

interface Tree {
  name: string;
  us: number;
  children: Map<string, Tree>;
}

const xml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A stable warm colour per group, so one package's frames look alike. */
function colourOf(label: string): string {
  const group = frameGroup(label);
  if (/^(cloud|shared|bench|gate-agent)$/.test(group)) return 'rgb(230,120,60)';
  if (group.startsWith('node:')) return 'rgb(110,180,110)';
  if (group.startsWith('(')) return 'rgb(170,170,170)';
  let hash = 0;
  for (const c of group) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return `rgb(${215 + (hash % 40)},${150 + ((hash >> 8) % 80)},${40 + ((hash >> 16) % 50)})`;
}

/** Renders the stacks as a flame graph SVG: `title` on top, frames narrower than 0.05 % left out. */
export function flameGraphSvg(stacks: readonly FoldedStack[], title: string, subtitle: string): string {
  const root: Tree = { name: 'all', us: 0, children: new Map() };
  let depth = 0;
  for (const { frames, us } of stacks) {
    root.us += us;
    let node = root;
    depth = Math.max(depth, frames.length);
    for (const frame of frames) {
      let child = node.children.get(frame);
      if (!child) {
        child = { name: frame, us: 0, children: new Map() };
        node.children.set(frame, child);
      }
      child.us += us;
      node = child;
    }
  }
  const width = 1600;
  const row = 16;
  const top = 50;
  const height = top + (depth + 1) * row + 10;
  const scale = (width - 20) / Math.max(1, root.us);
  const parts: string[] = [];
  const draw = (node: Tree, x: number, level: number) => {
    const w = node.us * scale;
    if (w < (width - 20) * 0.0005) return;
    const y = height - 10 - (level + 1) * row;
    const share = ((node.us / root.us) * 100).toFixed(2);
    const label = w > 30 ? xml(node.name.slice(0, Math.floor(w / 6.5))) : '';
    parts.push(
      `<g><title>${xml(node.name)} — ${(node.us / 1000).toFixed(0)} ms, ${share} %</title>` +
        `<rect x="${x.toFixed(1)}" y="${y}" width="${Math.max(0.5, w - 0.5).toFixed(1)}" height="${row - 1}" fill="${colourOf(node.name)}" rx="2"/>` +
        (label ? `<text x="${(x + 3).toFixed(1)}" y="${y + 11.5}">${label}</text>` : '') +
        '</g>',
    );
    let childX = x;
    for (const child of [...node.children.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      draw(child, childX, level + 1);
      childX += child.us * scale;
    }
  };
  draw(root, 10, 0);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Verdana, sans-serif" font-size="11">`,
    `<title>${xml(title)}: ${xml(subtitle)}</title>`,
    `<rect width="100%" height="100%" fill="#fdfdf6"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="16">${xml(title)}</text>`,
    `<text x="${width / 2}" y="38" text-anchor="middle" font-size="11" fill="#555">${xml(subtitle)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
