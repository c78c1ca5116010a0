/**
 * The cloud's resident memory, read from /proc/<pid>/status (VmRSS) — what the kernel has given it, heap
 * and native buffers alike — summed over the process started and its descendants (a cluster's workers:
 * CLOUD_WORKERS, CLOUD_SCAN_WORKERS), sampled through a run so a report can show the memory before the
 * load, its peak, and after the load once the processes have had time to collect their garbage.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** `pid` and every process below it (children of any of its threads), or [pid] without /proc. */
export function processTree(pid: number): number[] {
  const tree = [pid];
  for (let i = 0; i < tree.length && tree.length < 256; i++) {
    try {
      for (const task of readdirSync(`/proc/${tree[i]}/task`)) {
        const children = readFileSync(`/proc/${tree[i]}/task/${task}/children`, 'utf8').trim();
        if (children) tree.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // gone, or no /proc: what was found so far
    }
  }
  return tree;
}

/** The resident set in MiB of `pid` and its descendants, or undefined when `pid`'s cannot be read. */
export function residentMiB(pid: number): number | undefined {
  let total: number | undefined;
  for (const member of processTree(pid)) {
    try {
      const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${member}/status`, 'utf8'));
      if (match) total = (total ?? 0) + Number(match[1]) / 1024;
    } catch {
      // a worker that just exited
    }
    if (member === pid && total === undefined) return undefined;
  }
  return total;
}

/** Samples the RSS of a process and its descendants every `everyMs` until stopped; returns the highest sample. */
export function sampleResident(pid: number, everyMs = 1000): { stop(): number } {
  let peak = residentMiB(pid) ?? 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, residentMiB(pid) ?? 0);
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, residentMiB(pid) ?? 0);
    },
  };
}

/**
 * The cloud's V8 heap in use, MiB, from its Prometheus metrics (nodejs_heap_size_used_bytes; /metrics
 * needs the ops role). Live objects plus garbage not yet collected: read after a quiet pause it is
 * close to what the process retains, which is what a leak grows.
 */
export async function heapUsedMiB(base: string, opsToken: string): Promise<number | undefined> {
  try {
    const response = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${opsToken}` } });
    if (!response.ok) return undefined;
    const match = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([\d.e+]+)$/m.exec(await response.text());
    return match ? Number(match[1]) / 1024 / 1024 : undefined;
  } catch {
    return undefined;
  }
}
