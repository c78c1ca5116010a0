/**
 * Zones at the gate (issue 18), on a real SQLite file with synchronous=FULL:
 *  - the occupancy read at a gate whose hall holds 50,000 people (what GET /api/status and the metrics
 *    read: every zone of the venue with its count, from the live occupancy in memory), p99;
 *  - the decision with zone rules (a venue with a hall and a lounge, capacities set, the scanned gate a
 *    passage into the hall) against the decision without them (an event of a venue without zones), in
 *    the same file and the same run, scans of the two interleaved one by one: the ratio of their p99s.
 * Run alone: `npx tsx bench/gate-occupancy.ts` (BENCH_QUICK=1 for a harness check); exported for bench/run.ts.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { zoneOccupancyOf } from '../gate-agent/server/zone-status';
import { type GateStore, openGateStore } from '../gate-agent/store/gate-store';
import { pullEvent } from '../gate-agent/sync/pull';
import { ManifestFixture } from '../gate-agent/test-support/manifest-fixture';
import { fixtureTransport, makeTempDir } from '../gate-agent/test-support/stores';
import { giveDeviceIdentity } from '../gate-agent/test-support/test-device';
import { createScanPipeline, type ScanPipeline } from '../gate-agent/verify/pipeline';
import { type Sample, summarise, timeEach } from './lib/measure';
import type { BenchResult } from './lib/report';

const GATE = randomUUID();
const HALL = randomUUID();
const LOUNGE = randomUUID();

/** An event at a venue with a hall (capacity `hallCapacity`) and a lounge; this gate a passage into the hall. */
function zonedEvent(fixture: ManifestFixture, hallCapacity: number): void {
  fixture.event = {
    ...fixture.event,
    zones: [
      { id: HALL, name: 'Main hall', capacity: hallCapacity, restricted: false, reentry: true },
      { id: LOUNGE, name: 'VIP lounge', capacity: 200, restricted: true, reentry: true },
    ],
    gates: [{ id: GATE, name: 'Main door', fromZoneId: null, toZoneId: HALL }],
  };
}

/** Puts `count` holders in the hall, as records the cloud carried (serials above the scanned tickets). */
function fillHall(store: GateStore, eventId: string, count: number, from: number, at: number): void {
  const records = Array.from({ length: count }, (_, i) => ({
    eventId,
    serial: from + i,
    origin: 'cloud',
    originSeq: i + 1,
    direction: 'in' as const,
    at,
    gateId: GATE,
    unconfirmed: false,
    fromZone: 'outside',
    toZone: HALL,
    signature: null,
  }));
  store.inTransaction(() => store.admissions.storeRecords(records, 'cloud', at));
}

/** Alternates in/out over a fixture's real tokens, so every scan takes the accept path. */
function scanner(pipeline: ScanPipeline, fixture: ManifestFixture) {
  const tokens = [...fixture.tokens.values()];
  let next = 0;
  let rejects = 0;
  return {
    scan() {
      const i = next++;
      const direction = Math.floor(i / tokens.length) % 2 === 0 ? 'in' : 'out';
      if (pipeline.scan(tokens[i % tokens.length]!, direction).decision !== 'accept') rejects++;
    },
    get rejects() {
      return rejects;
    },
  };
}

export async function benchGateOccupancy(options: { quick: boolean }): Promise<BenchResult[]> {
  const dir = makeTempDir('gate-occupancy-bench-');
  const store = openGateStore(join(dir, 'gate.sqlite'));
  try {
    giveDeviceIdentity(store);
    store.updateSettings({ gateId: GATE, gateName: 'Main door' });
    const inside = 50_000;
    const realTokens = options.quick ? 200 : 1000;
    const zoned = new ManifestFixture();
    // One cloud: both events' pages signed by the same key.
    const plain = new ManifestFixture({ now: zoned.cloudTime, signingKey: zoned.signingKey });
    zonedEvent(zoned, 1_000_000);
    for (let serial = 1; serial <= realTokens; serial++) {
      zoned.issue(serial);
      plain.issue(serial);
    }
    const now = zoned.cloudTime;
    const fetchPage = fixtureTransport([zoned, plain]);
    for (const f of [zoned, plain]) await pullEvent(f.eventId, { store, fetchPage, clock: () => now });
    fillHall(store, zoned.eventId, inside, realTokens + 1, now - 60_000);

    // The live occupancy rebuilt from the log as at a start: the one pass over 50,000 histories.
    store.occupancy.reset();
    const buildStart = performance.now();
    store.warmOccupancy();
    const buildMs = performance.now() - buildStart;
    const read = timeEach(() => zoneOccupancyOf(store, zoned.eventId), {
      iterations: options.quick ? 2000 : 20_000,
    });
    const hall = zoneOccupancyOf(store, zoned.eventId)?.[0];
    if (hall?.inside !== inside) throw new Error(`the hall counts ${hall?.inside}, not ${inside}`);

    const pipeline = createScanPipeline({ store, clock: () => now });
    const withZones = scanner(pipeline, zoned);
    const without = scanner(pipeline, plain);
    for (let i = 0; i < realTokens; i++) {
      withZones.scan();
      without.scan();
    }
    const zonedUs: number[] = [];
    const plainUs: number[] = [];
    const decisions = options.quick ? 2000 : 20_000;
    const deadline = performance.now() + 90_000;
    for (let i = 0; i < decisions && performance.now() < deadline; i++) {
      // Which goes first alternates, so neither always follows the other's fsync.
      const order = i % 2 === 0 ? [withZones, without] : [without, withZones];
      for (const s of order) {
        const start = process.hrtime.bigint();
        s.scan();
        (s === withZones ? zonedUs : plainUs).push(Number(process.hrtime.bigint() - start) / 1000);
      }
    }
    if (withZones.rejects + without.rejects > 0)
      throw new Error(`${withZones.rejects + without.rejects} bench scans were rejected`);
    return occupancyResults({ read, buildMs, inside, zoned: summarise(zonedUs), plain: summarise(plainUs) });
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function occupancyResults(m: {
  read: Sample;
  buildMs: number;
  inside: number;
  zoned: Sample;
  plain: Sample;
}): BenchResult[] {
  const ratio = m.zoned.p99Us / m.plain.p99Us;
  return [
    {
      name: 'gate occupancy read p99',
      // In µs: the read is three orders of magnitude under its target, and "0 ms" would say nothing.
      value: m.read.p99Us,
      unit: 'µs',
      target: '<= 1 ms',
      pass: m.read.p99Us <= 1000,
      note: `every zone of the venue with its count (what /api/status and /metrics read), ${m.inside.toLocaleString('en')} people in the hall: median ${m.read.medianUs.toFixed(1)} µs over ${m.read.count} reads; building the counts from the log at start took ${m.buildMs.toFixed(0)} ms`,
    },
    {
      name: 'gate decision p99 with zones / without',
      value: m.zoned.p99Us / 1000,
      unit: 'ms',
      target: '<= 1.10× without zones',
      floor: m.plain.p99Us / 1000,
      ratio,
      pass: ratio <= 1.1,
      note: `accepted decisions at a passage into a hall with a capacity (hall + lounge) against an event without zones, same file, interleaved: medians ${m.zoned.medianUs.toFixed(0)} / ${m.plain.medianUs.toFixed(0)} µs over ${m.zoned.count} each`,
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printTable } = await import('./lib/report');
  printTable(await benchGateOccupancy({ quick: process.env.BENCH_QUICK === '1' }));
}
