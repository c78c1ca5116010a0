/**
 * The figures of bench/admission-propagation.ts: shared admissions via the cloud and via the LAN (p99
 * of when another gate knew, double admissions) and the gate decision with 3 peers, each with its target,
 * the floor measured in the same run and a note saying how it was made.
 */
import { percentile } from './measure';
import type { BenchResult } from './report';

interface Spread {
  medianMs: number;
  p99Ms: number;
}

/** What one set of crossings (ticket at gate A, then at gate B) gave. */
export interface PropagationRun {
  crossing: {
    /** Per ticket and other gate: the gate's stored-record time minus A's decision time (ms). */
    knownMs: number[];
    /** The same, as the bench's read-only poll first saw it (an upper bound: poll every 5 ms). */
    polledMs: number[];
    doubles: number;
    /** Per double admission: the ticket, when B was asked and when it knew (after A's decision). */
    doubleSerials: string[];
    unheard: number;
    presented: number;
    /** Gates other than A, each a sample per ticket. */
    others: number;
    /** B was asked this long + 0–300 ms after A answered. */
    askAfterMs: number;
    /** Scans per second over all gates. */
    perSecond: number;
  };
  /** One bare HTTP round trip (the floor). */
  floor: Spread;
}

const spread = (values: readonly number[]): Spread => {
  const sorted = [...values].sort((a, b) => a - b);
  return { medianMs: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
};

const ms = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

function propagationFigures(
  path: 'cloud' | 'LAN',
  run: PropagationRun,
  targetMs: number,
  how: string,
  doublesCheck: string,
): BenchResult[] {
  const known = spread(run.crossing.knownMs);
  const polled = spread(run.crossing.polledMs);
  const over = run.crossing.knownMs.filter((v) => v > targetMs).length;
  const max = Math.max(...run.crossing.knownMs);
  const { doubles, presented, unheard, doubleSerials } = run.crossing;
  return [
    {
      name: `admission propagation via the ${path} p99`,
      value: known.p99Ms,
      unit: 'ms',
      target: `<= ${targetMs} ms`,
      floor: run.floor.medianMs,
      ratio: known.p99Ms / run.floor.medianMs,
      pass: known.p99Ms <= targetMs && unheard === 0,
      note:
        `${run.crossing.knownMs.length} samples (${presented} tickets × ${run.crossing.others} other gates, ${run.crossing.perSecond} scans/s in all): median ${ms(known.medianMs)} ms, max ${ms(max)} ms, ${over} over ${targetMs} ms; ` +
        `${how}; "knows" = the other gate's own stamp on the record it stored (device clock; read from its ` +
        `admission log through a read-only SQLite connection; nothing presented) minus gate A's decision ` +
        `stamp, ms resolution, one clock; the bench's 5 ms poll first saw it at median ${ms(polled.medianMs)}, ` +
        `p99 ${ms(polled.p99Ms)} ms; never heard within the bound: ${unheard}; floor = median bare HTTP ` +
        `round trip (p99 ${ms(run.floor.p99Ms)} ms)`,
    },
    {
      name: `double admissions via the ${path}`,
      value: doubles,
      unit: '',
      target: '= 0',
      pass: doubles === 0,
      note:
        `${presented} tickets each admitted at gate A, then presented at gate B ${run.crossing.askAfterMs}–${run.crossing.askAfterMs + 300} ms after A answered: ` +
        `${doubles} admitted again${doubles > 0 ? ` (${doubleSerials.slice(0, 10).join('; ')})` : ''}; ${doublesCheck}`,
    },
  ];
}

export function admissionResults(m: {
  cloud: PropagationRun & { cloudDoubles: number };
  lan: PropagationRun & {
    reachable: number[];
    solo: Spread & { count: number; roundTrip: Spread };
    withPeers: Spread & { count: number; roundTrip: Spread };
    soloTraffic: { scans: number; refused: number };
    peerTraffic: { scans: number; refused: number };
    heard: number;
  };
  load: number[];
}): BenchResult[] {
  const { cloud, lan } = m;
  const load = `load average ${m.load.map((l) => l.toFixed(2)).join(' ')} at the end`;
  return [
    ...propagationFigures(
      'cloud',
      cloud,
      1000,
      '4 gate agents (child processes) without the peer protocol, link up: the prompt upload, the push ' +
        'stream and the delta pull carry it',
      `the cloud holds ${m.cloud.cloudDoubles} tickets with two 'in' admissions; ${load}`,
    ),
    ...propagationFigures(
      'LAN',
      lan,
      100,
      `3 gate agents peering on 127.0.0.1 (heartbeat 1 s), the cloud's link cut; peers reachable at the end: ${lan.reachable.join('/')}`,
      `peer exchange only, the cloud unreachable; ${load}`,
    ),
    {
      name: 'gate decision p99 with 3 peers',
      value: lan.withPeers.p99Ms,
      unit: 'ms',
      target: '<= 2 ms',
      floor: lan.solo.p99Ms,
      ratio: lan.withPeers.p99Ms / lan.solo.p99Ms,
      pass: lan.withPeers.p99Ms <= 2,
      note:
        `the agent's own latencyMs (code received → durable FULL record, in its process, one scan at a ` +
        `time over its local HTTP API; the gate decision p99 figure times the pipeline alone) over ` +
        `${lan.withPeers.count} accepts (median ${lan.withPeers.medianMs.toFixed(3)} ms) while its 3 peers ` +
        `made ${lan.peerTraffic.scans} background scans, ${lan.peerTraffic.refused} refused (${lan.heard} records heard from them; its own ` +
        `admissions broadcast to all 3); floor = p99 of the same gate before it joined the peers ` +
        `(${lan.solo.count} accepts, median ${lan.solo.medianMs.toFixed(3)} ms, ${lan.soloTraffic.scans} ` +
        `background scans at the others, ${lan.soloTraffic.refused} refused); cloud link up in both; ${load}`,
    },
    {
      name: 'gate scan round trip p99 with 3 peers (info)',
      value: lan.withPeers.roundTrip.p99Ms,
      unit: 'ms',
      target: null,
      floor: lan.solo.roundTrip.p99Ms,
      ratio: lan.withPeers.roundTrip.p99Ms / lan.solo.roundTrip.p99Ms,
      pass: null,
      note:
        `the same scans timed by the bench around POST /api/scan on the agent's local API (median ` +
        `${lan.withPeers.roundTrip.medianMs.toFixed(2)} ms): unlike latencyMs it includes the request's ` +
        `wait for the agent's event loop, which peer traffic shares; floor = the same before peering ` +
        `(median ${lan.solo.roundTrip.medianMs.toFixed(2)} ms)`,
    },
  ];
}
