/**
 * A small load generator in the manner of k6, for the load tests: virtual users (VUs) that loop an
 * iteration with think time, ramped through stages (k6 "ramping-vus"); a constant arrival rate with a
 * cap on requests in flight (k6 "constant-arrival-rate", counting dropped iterations); and a recorder
 * that keeps every request's latency and status per scenario, so percentiles are exact.
 *
 * Requests go through node:http with keep-alive agents (one connection per VU at most), the way a k6 VU
 * holds its connection. The generator runs in another process than the cloud but on the same 2 cores,
 * so its own CPU time is part of what the figures include.
 */
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { percentile } from '../lib/measure';

/** One answer: status 0 means no answer (connection error or timeout; `body` is then the error code). */
export interface Answer {
  status: number;
  body: string;
  ms: number;
}

/** How long one request may take before it counts as failed (k6's default is 60 s). */
const REQUEST_TIMEOUT_MS = 30_000;
/** Bodies are read to the end (a client must) but kept only up to this size. */
const MAX_KEPT_BODY = 256 * 1024;

/** Sends one HTTP request and measures it from send to the last byte of the answer. */
export function send(
  agent: Agent,
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (status: number, text: string) => {
      if (settled) return;
      settled = true;
      resolve({ status, body: text, ms: performance.now() - started });
    };
    const url = new URL(path, base);
    const outgoing = request(
      {
        agent,
        method,
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        incoming.on('data', (chunk: Buffer) => {
          if (kept < MAX_KEPT_BODY) {
            chunks.push(chunk);
            kept += chunk.length;
          }
        });
        incoming.on('end', () => done(incoming.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
        incoming.on('error', (error: NodeJS.ErrnoException) => done(0, error.code ?? 'RESPONSE_ERROR'));
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('timeout')));
    // No answer: the error code stands in for the body, so reports can say what went wrong.
    outgoing.on('error', (error: NodeJS.ErrnoException) => done(0, error.code ?? error.message));
    outgoing.end(body);
  });
}

/** A keep-alive agent holding at most `sockets` connections. */
export function keepAliveAgent(sockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
}

/** Latency and outcome of every request of one kind (e.g. "purchase"), in arrival order. */
export class Series {
  readonly ms: number[] = [];
  /** Answers by HTTP status, or by error code when there was no answer. */
  readonly statuses = new Map<string, number>();
  ok = 0;
  failed = 0;

  /** `isRequest` false: a measure made of several requests (not counted in the all-requests figures). */
  constructor(
    readonly name: string,
    readonly isRequest = true,
  ) {}

  /** Records an answer; `ok` says whether the scenario counts it as a success. */
  add(answer: Answer, ok: boolean): void {
    this.ms.push(answer.ms);
    const key = answer.status === 0 ? answer.body || 'NO_ANSWER' : String(answer.status);
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
    if (ok) this.ok++;
    else this.failed++;
  }

  get count(): number {
    return this.ms.length;
  }

  /** p50 / p95 / p99 / max in ms (NaN when there were no requests). */
  latency(): { p50: number; p95: number; p99: number; max: number } {
    const sorted = [...this.ms].sort((a, b) => a - b);
    return {
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
    };
  }
}

/** One stage of a ramp: go linearly from the previous target to `target` VUs over `seconds`. */
export interface Stage {
  seconds: number;
  target: number;
}

/** The number of VUs the stages ask for `elapsedS` seconds after the start (linear within a stage). */
export function vusAt(stages: readonly Stage[], elapsedS: number, start = 0): number {
  let from = start;
  let at = 0;
  for (const stage of stages) {
    if (elapsedS < at + stage.seconds) {
      const share = stage.seconds > 0 ? (elapsedS - at) / stage.seconds : 1;
      return Math.round(from + (stage.target - from) * share);
    }
    at += stage.seconds;
    from = stage.target;
  }
  return 0;
}

export interface VuRun {
  /** Iterations started, and those that finished before the end. */
  iterations: number;
  completed: number;
  /** Highest number of VUs running at once. */
  peakVus: number;
}

/**
 * Runs `iteration` in a loop on as many VUs as `stages` ask for at each moment, each VU pausing
 * `thinkMs` between iterations. A VU above the current target stops after its iteration (k6's graceful
 * ramp-down). Resolves when the stages are over and every VU has stopped, or `graceMs` after the end
 * (an iteration still running then is abandoned: its requests were already recorded or never answered).
 */
export async function rampingVus(options: {
  stages: readonly Stage[];
  thinkMs: number;
  iteration: (vu: number, iterationNo: number) => Promise<void>;
  graceMs?: number;
  tickMs?: number;
}): Promise<VuRun> {
  const totalS = options.stages.reduce((sum, s) => sum + s.seconds, 0);
  const started = performance.now();
  const elapsedS = () => (performance.now() - started) / 1000;
  const running = new Set<number>();
  const loops: Promise<void>[] = [];
  const run: VuRun = { iterations: 0, completed: 0, peakVus: 0 };
  // VU numbers stay stable: a VU that stops frees its number for the next one started.
  const free: number[] = [];
  let nextVu = 0;
  let target = 0;

  const loop = async (vu: number) => {
    try {
      while (running.size <= target && elapsedS() < totalS) {
        run.iterations++;
        await options.iteration(vu, run.iterations);
        run.completed++;
        if (running.size > target || elapsedS() >= totalS) break;
        await sleep(options.thinkMs);
      }
    } finally {
      running.delete(vu);
      free.push(vu);
    }
  };

  const tickMs = options.tickMs ?? 250;
  while (elapsedS() < totalS) {
    target = vusAt(options.stages, elapsedS());
    while (running.size < target) {
      const vu = free.pop() ?? nextVu++;
      running.add(vu);
      loops.push(loop(vu));
    }
    run.peakVus = Math.max(run.peakVus, running.size);
    await sleep(tickMs);
  }
  target = 0;
  await Promise.race([Promise.all(loops), sleep(options.graceMs ?? 15_000)]);
  return run;
}

export interface ArrivalRun {
  /** Iterations started on time, and those skipped because `maxInFlight` were still running. */
  started: number;
  dropped: number;
}

/**
 * Starts `iteration` `perSecond` times a second for `seconds`, whatever the answers take (an open
 * model, k6's constant-arrival-rate): a slow server gets the same arrivals, not fewer. At most
 * `maxInFlight` run at once; an arrival beyond that is dropped and counted.
 */
export async function constantArrivals(options: {
  perSecond: number;
  seconds: number;
  maxInFlight: number;
  iteration: (n: number) => Promise<void>;
  graceMs?: number;
}): Promise<ArrivalRun> {
  const run: ArrivalRun = { started: 0, dropped: 0 };
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  const total = Math.floor(options.perSecond * options.seconds);
  for (let n = 0; n < total; n++) {
    // Schedule against the start, not the previous arrival, so timer lateness does not lower the rate.
    const due = started + (n * 1000) / options.perSecond;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    if (inFlight.size >= options.maxInFlight) {
      run.dropped++;
      continue;
    }
    run.started++;
    const pending: Promise<void> = options.iteration(n).finally(() => inFlight.delete(pending));
    inFlight.add(pending);
  }
  await Promise.race([Promise.all(inFlight), sleep(options.graceMs ?? 15_000)]);
  return run;
}

/** Calls `tick` every `everyMs` (first call at once) for `seconds`; each call is awaited. */
export async function every(everyMs: number, seconds: number, tick: () => Promise<void>): Promise<number> {
  const started = performance.now();
  let calls = 0;
  while (performance.now() - started < seconds * 1000) {
    const due = started + calls * everyMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    if (performance.now() - started >= seconds * 1000) break;
    calls++;
    await tick();
  }
  return calls;
}
