/**
 * The plan of the same-ticket scenario (issue 14, "one entry per ticket at every door"): a crowd that
 * presents one ticket (a shared screenshot) at two or three doors, spaced from ~100 ms to several
 * seconds, while each gate's cloud link and each gate-to-gate link is cut or degraded on a seeded
 * timeline. Pure: the same options give the same plan.
 *
 * The timeline is a run of slices, each 4–10 s long, of one kind: calm (every link up), blackout
 * (every link down: gates decide alone), LAN only (every cloud link down, the LAN up), cloud only
 * (every LAN link down) or mixed (each link up or faulty on its own). The first slices are one of each
 * of the special kinds in a seeded order, so every run has each of them; every link is up from 90 % of
 * the run on.
 */
import type { FaultPlan, PlannedScan, PlanOptions } from './plan';
import { checkPlanOptions, timeIn } from './plan';
import { type Random, seededRandom } from './prng';

/** What a gate's link to the cloud does (link-proxy.ts modes). */
export type CloudLinkMode = 'up' | 'down' | 'cut-responses' | 'lose-upload-answers';
/** What a gate-to-gate link does (peer-link.ts): `slow` delays each request, `lossy` drops half. */
export type PeerLinkMode = 'up' | 'down' | 'slow' | 'lossy';

/** `cloud:G` for gate G's cloud link, `peer:A-B` (A < B) for the LAN link between gates A and B. */
export type LinkName = `cloud:${number}` | `peer:${number}-${number}`;

/** A link's mode changes at `at` (ms since the play started; applied: driver clock). */
export interface LinkChange {
  at: number;
  link: LinkName;
  mode: CloudLinkMode | PeerLinkMode;
}

export type SliceKind = 'calm' | 'blackout' | 'lan-only' | 'cloud-only' | 'mixed';

export interface SameTicketPlan extends FaultPlan {
  /** Every presentation: `pick` is the ticket's index, `kind` 'valid', direction 'in'; sorted by time. */
  crowd: PlannedScan[];
  /** The link timeline, sorted by time; every link starts up. */
  links: LinkChange[];
  /** The slices the timeline was made of (for the log). */
  slices: Array<{ at: number; kind: SliceKind }>;
}

export function cloudLink(gate: number): LinkName {
  return `cloud:${gate}`;
}

export function peerLink(a: number, b: number): LinkName {
  return `peer:${Math.min(a, b)}-${Math.max(a, b)}`;
}

/** Every link of a venue of `gates` gates: the cloud links, then each unordered pair. */
export function allLinks(gates: number): LinkName[] {
  const links: LinkName[] = [];
  for (let g = 0; g < gates; g++) links.push(cloudLink(g));
  for (let a = 0; a < gates; a++) for (let b = a + 1; b < gates; b++) links.push(peerLink(a, b));
  return links;
}

const SPECIAL: readonly SliceKind[] = ['blackout', 'lan-only', 'cloud-only'];
const SLICE_WEIGHTS: Record<SliceKind, number> = {
  calm: 4,
  blackout: 1,
  'lan-only': 2,
  'cloud-only': 2,
  mixed: 3,
};

function mixedMode(random: Random, link: LinkName): CloudLinkMode | PeerLinkMode {
  if (random.chance(0.5)) return 'up';
  return link.startsWith('cloud:')
    ? random.weighted({ down: 3, 'cut-responses': 1, 'lose-upload-answers': 1 })
    : random.weighted({ down: 3, slow: 1, lossy: 1 });
}

/** Each link's mode during a slice of `kind`. */
function slicedModes(
  random: Random,
  kind: SliceKind,
  links: readonly LinkName[],
): Array<CloudLinkMode | PeerLinkMode> {
  return links.map((link): CloudLinkMode | PeerLinkMode => {
    const isCloud = link.startsWith('cloud:');
    switch (kind) {
      case 'calm':
        return 'up';
      case 'blackout':
        return 'down';
      case 'lan-only':
        return isCloud ? 'down' : 'up';
      case 'cloud-only':
        return isCloud ? 'up' : 'down';
      default:
        return mixedMode(random, link);
    }
  });
}

/** The slices and the link changes they make, from 3 % to 90 % of the run; all up afterwards. */
function planLinks(random: Random, gates: number, durationMs: number) {
  const links = allLinks(gates);
  const order = [...SPECIAL];
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const slices: Array<{ at: number; kind: SliceKind }> = [];
  const changes: LinkChange[] = [];
  const current = links.map(() => 'up' as CloudLinkMode | PeerLinkMode);
  const end = Math.round(durationMs * 0.9);
  let at = Math.round(durationMs * 0.03);
  // Bounded: every slice is at least 4 s long.
  while (at < end) {
    const kind: SliceKind = order.shift() ?? random.weighted(SLICE_WEIGHTS);
    slices.push({ at, kind });
    slicedModes(random, kind, links).forEach((mode, i) => {
      if (mode === current[i]) return;
      current[i] = mode;
      changes.push({ at, link: links[i]!, mode });
    });
    at += random.int(4_000, 10_000);
  }
  links.forEach((link, i) => {
    if (current[i] !== 'up') changes.push({ at: end, link, mode: 'up' });
  });
  return { slices, changes };
}

/** A gap between two presentations of one ticket: log-uniform from 100 ms to 10 s. */
function gapMs(random: Random): number {
  return Math.round(100 * 100 ** random.next());
}

/** Groups of 2–3 presentations of one ticket at distinct gates, three groups per two seconds of the run. */
function planPresentations(random: Random, gates: number, durationMs: number): PlannedScan[] {
  const groups = Math.max(4, Math.round((durationMs * 1.5) / 1000));
  const crowd: PlannedScan[] = [];
  for (let group = 0; group < groups; group++) {
    const size = gates >= 3 && random.chance(0.45) ? 3 : 2;
    const doors = Array.from({ length: gates }, (_, g) => g);
    let at = timeIn(random, durationMs, 0.03, 0.85);
    for (let i = 0; i < size; i++) {
      const pickAt = random.int(i, gates - 1);
      [doors[i], doors[pickAt]] = [doors[pickAt]!, doors[i]!];
      crowd.push({ at, gate: doors[i]!, kind: 'valid', pick: group, direction: 'in' });
      // Never past the end of the run (a late door comes at 97 % of it at the latest).
      at = Math.min(at + gapMs(random), Math.round(durationMs * 0.97));
    }
  }
  return crowd.sort((a, b) => a.at - b.at || a.gate - b.gate);
}

/** The plan of one same-ticket run from its options (`scans` is not used: 1.5 groups per second). */
export function makeSameTicketPlan(options: PlanOptions): SameTicketPlan {
  checkPlanOptions(options);
  const random = seededRandom(options.seed);
  const durationMs = options.durationS * 1000;
  const { gates } = options;
  // The order of these calls is the order the seed's numbers are drawn in: keep it.
  const { slices, changes } = planLinks(random, gates, durationMs);
  const crowd = planPresentations(random, gates, durationMs);
  const groups = new Set(crowd.map((s) => s.pick)).size;
  return {
    seed: options.seed,
    gates,
    durationMs,
    // Every fifth order of the world is VIP (gate 0 only): only general tickets are presented.
    tickets: Math.max(30, Math.ceil(groups * 1.25) + 12),
    clockSkew: { gate: 0, offsetMs: 0 },
    faults: [],
    crowd,
    links: changes,
    slices,
  };
}
