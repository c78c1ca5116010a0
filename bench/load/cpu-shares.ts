/**
 * Where the machine's CPU went during the load: the cloud (its process and cluster workers), PostgreSQL
 * (every `postgres` process: the backends serving the cloud and the server's own), Redis, and the load
 * generator (this process), in cores used on average, beside the machine's own busy share (/proc/stat).
 * On a machine where all of them share the cores, a latency figure means little without this line: a
 * request waits for the core as much as for the code.
 *
 * Read from /proc every second (a process that exits between two readings loses at most its last
 * second); on a system without /proc every figure is undefined and the report says "not measured".
 */
import { readdirSync, readFileSync } from 'node:fs';
import { processTree } from './memory';

export type CpuGroup = 'cloud' | 'postgres' | 'redis' | 'load generator';

export interface CpuShares {
  seconds: number;
  /** Cores each group used on average over the window (1 = one core fully busy). */
  cores: Record<CpuGroup, number>;
  /** The machine's busy share over the window, 0..1 of all its cores (user + system + steal …). */
  machineBusy: number;
}

/** Clock ticks per second of /proc's utime and stime (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** utime + stime of a process in ticks, or undefined once it is gone. */
function ticksOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command's closing parenthesis: state is field 3, utime 14 and stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** Busy and total jiffies over all CPUs, from the first line of /proc/stat. */
function machineTicks(): { busy: number; total: number } | undefined {
  try {
    const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
    const values = (cpu ?? '').trim().split(/\s+/).slice(1).map(Number);
    const total = values.reduce((sum, v) => sum + v, 0);
    // idle and iowait are the two fields a CPU spends doing nothing.
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    return total > 0 ? { busy: total - idle, total } : undefined;
  } catch {
    return undefined;
  }
}

/** The group of a process outside the cloud, from its command line, or null for the rest of the machine. */
function otherGroupOf(pid: number): CpuGroup | null {
  if (pid === process.pid) return 'load generator';
  const command = commandOf(pid);
  if (command.startsWith('postgres')) return 'postgres';
  if (command.includes('redis-server')) return 'redis';
  return null;
}

/** Starts sampling; `stop()` ends the window and answers the shares, or undefined without /proc. */
export function sampleCpuShares(cloudPid: number, everyMs = 1000): { stop(): CpuShares | undefined } {
  const last = new Map<number, number>();
  // A process's command line is read once: every second would be hundreds of reads for the same answer.
  const others = new Map<number, CpuGroup | null>();
  const used: Record<CpuGroup, number> = { cloud: 0, postgres: 0, redis: 0, 'load generator': 0 };
  const startMachine = machineTicks();
  const started = performance.now();
  const sample = () => {
    const cloud = new Set(processTree(cloudPid));
    let entries: string[];
    try {
      entries = readdirSync('/proc');
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      const ticks = ticksOf(pid);
      if (ticks === undefined) continue;
      const previous = last.get(pid);
      last.set(pid, ticks);
      if (previous === undefined) continue;
      let group: CpuGroup | null | undefined = cloud.has(pid) ? 'cloud' : others.get(pid);
      if (group === undefined) {
        group = otherGroupOf(pid);
        others.set(pid, group);
      }
      if (group) used[group] += ticks - previous;
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      const endMachine = machineTicks();
      if (!startMachine || !endMachine) return undefined;
      const seconds = (performance.now() - started) / 1000;
      const cores = Object.fromEntries(
        Object.entries(used).map(([group, ticks]) => [group, ticks / TICKS_PER_SECOND / seconds]),
      ) as Record<CpuGroup, number>;
      const total = endMachine.total - startMachine.total;
      return {
        seconds,
        cores,
        machineBusy: total > 0 ? (endMachine.busy - startMachine.busy) / total : Number.NaN,
      };
    },
  };
}
