/**
 * The cloud process's resident memory, read from /proc/<pid>/status (VmRSS) — what the kernel has
 * given it, heap and native buffers alike — sampled through a run so a report can show the memory
 * before the load, its peak, and after the load once the process has had time to collect its garbage.
 */
import { readFileSync } from 'node:fs';

/** The process's resident set in MiB, or undefined when it cannot be read (no /proc, process gone). */
export function residentMiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; returns the highest sample. */
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
