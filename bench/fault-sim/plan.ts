/**
 * The fault plan of one simulated run, made from a seed alone: which faults hit which gate or the cloud
 * and when, which gate's clock is wrong, and the crowd's scans (gate, kind of code, direction, time).
 * Pure and deterministic: the same seed and options give the same plan, so a failing run is replayed by
 * its seed. Codes are named by kind and a number (`pick`) resolved against the run's tickets at run
 * time, so the plan does not depend on ids the cloud makes.
 */
import { type Random, seededRandom } from './prng';

/** What the link between one gate and the cloud does while a link fault lasts (see link-proxy.ts). */
export type LinkFaultMode =
  /** connections are cut and refused: the gate is offline */
  | 'down'
  /** manifest pulls answer 503; uploads pass */
  | 'fail-manifest'
  /** uploads reach the cloud and are stored, the answer is lost: the gate re-sends */
  | 'lose-upload-answers'
  /** every upload is sent to the cloud again after its answer, plus an older batch replayed */
  | 'replay-uploads'
  /** responses are cut half way through their body */
  | 'cut-responses'
  /** requests are cut half way through their body (the cloud sees a truncated upload) */
  | 'cut-requests';

export const LINK_FAULT_MODES: readonly LinkFaultMode[] = [
  'down',
  'fail-manifest',
  'lose-upload-answers',
  'replay-uploads',
  'cut-responses',
  'cut-requests',
];

export type PlannedFault =
  | { at: number; kind: 'kill-gate'; gate: number; downMs: number }
  | { at: number; kind: 'cloud-restart'; signal: 'SIGTERM' | 'SIGKILL'; downMs: number }
  /** a backup of the cloud's database is taken (the cloud is stopped for it, as for a cold backup) */
  | { at: number; kind: 'cloud-backup' }
  /** the cloud is restored from that backup: everything after it is lost */
  | { at: number; kind: 'cloud-restore' }
  | { at: number; kind: 'link'; gate: number; mode: LinkFaultMode; durationMs: number }
  /** every gate's link is down at once (the venue's internet is out) */
  | { at: number; kind: 'venue-offline'; durationMs: number }
  /** a refund (the whole order) or a transfer (the old QR) revokes tickets */
  | { at: number; kind: 'revoke'; how: 'refund' | 'transfer'; pick: number }
  /** tickets sold during the run (offline gates admit them on their signature: OK_UNSYNCED) */
  | { at: number; kind: 'sell'; quantity: number };

export type CodeKind =
  /** a sold ticket's current QR */
  | 'valid'
  /** the QR of a ticket sold during the run (perhaps before the gate heard of it, perhaps lost by a restore) */
  | 'late'
  /** a code scanned before (at any gate): re-entry attempts and the same ticket at two gates */
  | 'repeat'
  /** the QR of a ticket revoked earlier in the run (refunded, or the old QR of a transfer) */
  | 'revoked'
  /** a ticket of another event at the same venue */
  | 'other-event'
  /** a valid QR with one character changed */
  | 'forged'
  /** anything at all */
  | 'garbage';

export interface PlannedScan {
  at: number;
  gate: number;
  kind: CodeKind;
  pick: number;
  direction: 'in' | 'out';
}

export interface FaultPlan {
  seed: number;
  gates: number;
  durationMs: number;
  /** Valid tickets of the event to sell before the run (the crowd picks among them). */
  tickets: number;
  /** The gate whose clock is off, and by how much (ms). */
  clockSkew: { gate: number; offsetMs: number };
  faults: PlannedFault[];
  crowd: PlannedScan[];
}

export interface PlanOptions {
  seed: number;
  gates: number;
  scans: number;
  durationS: number;
}

/** Checks the options; a bad value throws naming it. */
export function checkPlanOptions(options: PlanOptions): void {
  const bounds: Array<[keyof PlanOptions, number, number]> = [
    ['seed', 0, 0xffff_ffff],
    ['gates', 2, 8],
    ['scans', 10, 20_000],
    ['durationS', 10, 900],
  ];
  for (const [name, min, max] of bounds) {
    const value = options[name];
    if (!Number.isInteger(value) || value < min || value > max)
      throw new RangeError(`${name} must be an integer ${min}..${max}, got ${value}`);
  }
}

const CODE_WEIGHTS: Record<CodeKind, number> = {
  valid: 52,
  late: 4,
  repeat: 12,
  revoked: 8,
  'other-event': 8,
  forged: 8,
  garbage: 8,
};

/** A time in [from, to) fractions of the run. */
export function timeIn(random: Random, durationMs: number, from: number, to: number): number {
  return Math.round(durationMs * (from + random.next() * (to - from)));
}

/** kill -9 of gates at random moments (at least one, about one per gate), each restarted on its data dir. */
function planGateKills(random: Random, gates: number, durationMs: number): PlannedFault[] {
  const kills = Math.max(1, random.int(gates - 1, gates + 1));
  return Array.from({ length: kills }, () => ({
    at: timeIn(random, durationMs, 0.05, 0.85),
    kind: 'kill-gate' as const,
    gate: random.int(0, gates - 1),
    downMs: random.int(200, 2500),
  }));
}

/** A backup early and a restore from it later (what happens in between is lost), and a cloud restart. */
function planCloudFaults(random: Random, durationMs: number): PlannedFault[] {
  return [
    { at: timeIn(random, durationMs, 0.15, 0.3), kind: 'cloud-backup' },
    { at: timeIn(random, durationMs, 0.55, 0.7), kind: 'cloud-restore' },
    // The cloud stopped (cleanly or killed) and started again.
    {
      at: timeIn(random, durationMs, 0.35, 0.5),
      kind: 'cloud-restart',
      signal: random.chance(0.5) ? 'SIGKILL' : 'SIGTERM',
      downMs: random.int(500, 3000),
    },
  ];
}

/**
 * The venue offline for a while, with refunds, transfers and sales made while no gate can hear of them;
 * more sales and revocations while it is online, and a late sale.
 */
function planVenueOfflineAndTicketChanges(random: Random, durationMs: number): PlannedFault[] {
  const faults: PlannedFault[] = [];
  const offlineAt = timeIn(random, durationMs, 0.05, 0.2);
  const offlineMs = Math.round(durationMs * (0.1 + random.next() * 0.1));
  faults.push({ at: offlineAt, kind: 'venue-offline', durationMs: offlineMs });
  const offlineRevocations = random.int(3, 6);
  for (let i = 0; i < offlineRevocations; i++) {
    faults.push({
      at: offlineAt + Math.round((offlineMs * (i + 1)) / (offlineRevocations + 2)),
      kind: 'revoke',
      how: random.chance(0.6) ? 'refund' : 'transfer',
      pick: random.int(0, 1_000_000),
    });
  }
  // Sales while the venue is offline (the crowd brings those tickets before any gate has heard of them)
  // and while it is online.
  faults.push({ at: offlineAt + Math.round(offlineMs / 4), kind: 'sell', quantity: random.int(2, 4) });
  faults.push({ at: timeIn(random, durationMs, 0.3, 0.8), kind: 'sell', quantity: random.int(2, 4) });
  // A late sale, usually after the restore: the cloud may hand out again serials a lost sale held.
  faults.push({ at: timeIn(random, durationMs, 0.8, 0.9), kind: 'sell', quantity: random.int(2, 4) });
  // More revocations while gates are online (these reach them within seconds, through the stream).
  const onlineRevocations = random.int(2, 5);
  for (let i = 0; i < onlineRevocations; i++) {
    faults.push({
      at: timeIn(random, durationMs, 0.3, 0.85),
      kind: 'revoke',
      how: random.chance(0.5) ? 'refund' : 'transfer',
      pick: random.int(0, 1_000_000),
    });
  }
  return faults;
}

/** Link faults: every mode at least once, each at a random gate for a random while. */
function planLinkFaults(random: Random, gates: number, durationMs: number): PlannedFault[] {
  const modes = [...LINK_FAULT_MODES];
  const extra = random.int(1, gates);
  for (let i = 0; i < extra; i++) modes.push(random.pick(LINK_FAULT_MODES));
  return modes.map((mode) => ({
    at: timeIn(random, durationMs, 0.05, 0.8),
    kind: 'link' as const,
    gate: random.int(0, gates - 1),
    mode,
    durationMs: random.int(1500, Math.max(2000, Math.round(durationMs * 0.15))),
  }));
}

/** The crowd: `scans` scans of random kinds at random gates, spread over the first 90 % of the run. */
export function planCrowd(random: Random, scans: number, gates: number, durationMs: number): PlannedScan[] {
  const crowd: PlannedScan[] = [];
  for (let i = 0; i < scans; i++) {
    const kind = random.weighted(CODE_WEIGHTS);
    crowd.push({
      at: timeIn(random, durationMs, 0, 0.9),
      gate: random.int(0, gates - 1),
      kind,
      pick: random.int(0, 1_000_000),
      // Leaving (and coming back) happens with tickets that went in before.
      direction: kind === 'repeat' && random.chance(0.35) ? 'out' : 'in',
    });
  }
  return crowd.sort((a, b) => a.at - b.at);
}

/** Makes the plan of one run from its seed. Deterministic: no clock, no global randomness. */
export function makeFaultPlan(options: PlanOptions): FaultPlan {
  checkPlanOptions(options);
  const random = seededRandom(options.seed);
  const durationMs = options.durationS * 1000;
  const { gates } = options;

  // One gate's clock an hour off, ahead or behind.
  const clockSkew = { gate: random.int(0, gates - 1), offsetMs: random.chance(0.5) ? 3_600_000 : -3_600_000 };
  // The order of these calls is the order the seed's random numbers are drawn in: keep it, or every
  // recorded seed replays another run.
  const faults = [
    ...planGateKills(random, gates, durationMs),
    ...planCloudFaults(random, durationMs),
    ...planVenueOfflineAndTicketChanges(random, durationMs),
    ...planLinkFaults(random, gates, durationMs),
  ].sort((a, b) => a.at - b.at);
  const crowd = planCrowd(random, options.scans, gates, durationMs);

  return {
    seed: options.seed,
    gates,
    durationMs,
    tickets: Math.max(30, Math.round(options.scans * 0.5)),
    clockSkew,
    faults,
    crowd,
  };
}

/** One line per fault, for the run log and the README's example. */
export function describeFault(fault: PlannedFault): string {
  switch (fault.kind) {
    case 'kill-gate':
      return `kill -9 gate ${fault.gate}, restart after ${fault.downMs} ms`;
    case 'cloud-restart':
      return `cloud stopped (${fault.signal}), restarted after ${fault.downMs} ms`;
    case 'cloud-backup':
      return 'cloud database backed up';
    case 'cloud-restore':
      return 'cloud restored from the backup';
    case 'link':
      return `link of gate ${fault.gate}: ${fault.mode} for ${fault.durationMs} ms`;
    case 'venue-offline':
      return `venue offline (every link down) for ${fault.durationMs} ms`;
    case 'revoke':
      return `${fault.how} (pick ${fault.pick})`;
    case 'sell':
      return `${fault.quantity} tickets sold`;
  }
}
