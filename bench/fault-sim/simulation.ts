/**
 * One simulated run of a venue: the real cloud (child process, own PostgreSQL database), several real
 * gate agents (child processes, own SQLite data directories) each behind its own faulty link, and a
 * crowd of scans — while the seeded fault plan kills gates, stops, backs up and restores the cloud,
 * and breaks links. Then everything heals (links up, cloud up, bounded wait for sync), the gates stop,
 * and the SPEC section 10 invariants are checked over what is on disk and what the crowd was told.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ChildAgent, startChildAgent } from '../../gate-agent/test-support/child-agent';
import { checkInvariants } from './checker';
import { liveTicketStates, readCloudState, readGateState } from './collect';
import type { Violation } from './invariants';
import { type LinkProxy, startLinkProxy } from './link-proxy';
import type { LinkMode } from './link-relay';
import {
  type CodeKind,
  describeFault,
  type FaultPlan,
  makeFaultPlan,
  type PlannedFault,
  type PlannedScan,
  type PlanOptions,
} from './plan';
import { seededRandom } from './prng';
import { type SimCloud, startSimCloud } from './sim-cloud';
import type { CrowdAnswer, SimState } from './sim-state';
import { forgetRevocationsAfter, forgetSalesAfter, revoke, type SimWorld, seedWorld, sell } from './world';

export interface SimulationOptions extends PlanOptions {
  /** PostgreSQL server URL (the run creates and drops its own database on it). */
  databaseServer: string;
  /** Receives the run's log lines (faults with their times, progress, summary). */
  log?: (line: string) => void;
  /** How long the healing phase may wait for every gate to settle (default 60 s). */
  healTimeoutMs?: number;
  /** Keep the gates' data directories (printed) instead of deleting them. */
  keepData?: boolean;
  /** Called after the check and before teardown, with everything still in place (tests plant faults here). */
  afterCheck?: (run: FinishedRun) => Promise<void>;
}

export interface FinishedRun {
  plan: FaultPlan;
  world: SimWorld;
  cloud: SimCloud;
  /** Each gate's SQLite file. */
  storePaths: string[];
  state: SimState;
  violations: Violation[];
  /** Collects the state again and checks it (after planting something). */
  recheck(): Promise<{ state: SimState; violations: Violation[] }>;
}

export interface RunStats {
  scansPlanned: number;
  scansAnswered: number;
  scansUnanswered: number;
  accepted: number;
  byReason: Record<string, number>;
  /** Per kind of code: answers by reason (e.g. revoked → {REVOKED: 9, OK: 2}). */
  byKind: Record<string, Record<string, number>>;
  faultsApplied: number;
  faultErrors: number;
  revocations: number;
  revocationsLost: number;
  ticketsSold: number;
  salesLost: number;
  /**
   * Accepts of QRs whose sale a restore made the cloud forget, after the restore (not counted as
   * violations: the holder paid and the QR is genuinely signed; reported so an operator sees them).
   */
  lostSaleAccepts: number;
  /** (revocation, gate) pairs where the driver saw the gate's live manifest show the revocation. */
  revocationsKnown: number;
  settled: boolean;
  settleMs: number;
}

export interface RunResult {
  seed: number;
  violations: Violation[];
  stats: RunStats;
  durationMs: number;
}

const BASE45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const SYNC_INTERVAL_MS = 2_000;
const POLL_KNOWN_MS = 400;
const MAX_IN_FLIGHT = 16;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** One gate agent process (restarted on the same data directory after each kill) and its link. */
class SimGate {
  child: ChildAgent | undefined;
  restarting: Promise<void> | undefined;
  /** Bumped by every link change, so an older fault's timer does not end a newer one. */
  linkVersion = 0;

  constructor(
    readonly index: number,
    readonly dataDir: string,
    readonly proxy: LinkProxy,
    readonly clockOffsetMs: number,
  ) {}

  get url(): string | undefined {
    return this.child?.url;
  }

  get storePath(): string {
    return join(this.dataDir, 'gate.sqlite');
  }

  async start(enrollmentToken?: string): Promise<void> {
    const args = [
      '--data-dir',
      this.dataDir,
      '--port',
      '0',
      '--sync-interval-ms',
      String(SYNC_INTERVAL_MS),
      // `=`: parseArgs would read a separate negative value as another option.
      ...(this.clockOffsetMs ? [`--clock-offset-ms=${this.clockOffsetMs}`] : []),
      ...(enrollmentToken ? ['--cloud', this.proxy.url, '--enroll', enrollmentToken] : []),
    ];
    this.child = await startChildAgent(args, 60_000);
  }

  async stop(signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await child?.kill(signal);
  }

  setLink(mode: LinkMode, durationMs?: number): void {
    const version = ++this.linkVersion;
    this.proxy.mode = mode;
    if (durationMs !== undefined)
      setTimeout(() => {
        if (this.linkVersion === version) this.setLink('up');
      }, durationMs).unref();
  }
}

async function postJson(
  url: string,
  body?: unknown,
  timeoutMs = 10_000,
): Promise<Record<string, unknown> | undefined> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) return undefined;
    return (await response.json()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

interface AgentStatusLike {
  pendingUploads: number;
  events: Array<{ id: string; manifestSeq: number; tickets: number }>;
}

/** A code that is not a ticket at all, chosen by `pick`. */
function garbageCode(pick: number, tickets: SimWorld['tickets']): string {
  const random = seededRandom(pick);
  switch (pick % 7) {
    case 0:
      return Array.from({ length: random.int(10, 180) }, () => random.pick([...BASE45])).join('');
    case 1:
      return '';
    case 2:
      return 'NOT A TICKET';
    case 3:
      return '{"serial":1,"eventId":"x"}';
    case 4: {
      const qr = tickets[pick % tickets.length]!.qr;
      return qr.slice(0, Math.floor(qr.length / 2));
    }
    case 5:
      return '🎟️ ✓ ünïcødé';
    default:
      return 'A'.repeat(5000);
  }
}

/** A valid QR with one character changed (never the same character). */
function forgedCode(pick: number, tickets: SimWorld['tickets']): string {
  const qr = tickets[pick % tickets.length]!.qr;
  const position = 4 + (pick % Math.max(1, qr.length - 8));
  const index = BASE45.indexOf(qr[position]!);
  const replacement = BASE45[(Math.max(0, index) + 1 + (pick % (BASE45.length - 1))) % BASE45.length]!;
  return qr.slice(0, position) + replacement + qr.slice(position + 1);
}

/** Runs one seeded simulation and returns its violations and statistics. */
export async function runSimulation(options: SimulationOptions): Promise<RunResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const plan = makeFaultPlan(options);
  const healTimeoutMs = options.healTimeoutMs ?? 60_000;
  const stats: RunStats = {
    scansPlanned: plan.crowd.length,
    scansAnswered: 0,
    scansUnanswered: 0,
    accepted: 0,
    byReason: {},
    byKind: {},
    faultsApplied: 0,
    faultErrors: 0,
    revocations: 0,
    revocationsLost: 0,
    revocationsKnown: 0,
    ticketsSold: 0,
    salesLost: 0,
    lostSaleAccepts: 0,
    settled: false,
    settleMs: 0,
  };
  log(
    `seed ${plan.seed}: ${plan.gates} gates, ${plan.crowd.length} scans over ${plan.durationMs / 1000} s, ` +
      `${plan.faults.length} faults; gate ${plan.clockSkew.gate}'s clock ${plan.clockSkew.offsetMs > 0 ? '+' : ''}${plan.clockSkew.offsetMs / 60_000} min`,
  );

  const workDir = mkdtempSync(join(tmpdir(), `fault-sim-${plan.seed}-`));
  const cloud = await startSimCloud(options.databaseServer, 'faultsim');
  const gates: SimGate[] = [];
  let poller: NodeJS.Timeout | undefined;
  try {
    const world = await seedWorld(cloud, { gates: plan.gates, ticketCount: plan.tickets });
    log(`seeded: ${world.tickets.length} tickets in ${world.orders.length} orders, event ${world.eventId}`);
    for (let i = 0; i < plan.gates; i++) {
      const proxy = await startLinkProxy(cloud.port);
      const dataDir = join(workDir, `gate-${i}`);
      gates.push(new SimGate(i, dataDir, proxy, i === plan.clockSkew.gate ? plan.clockSkew.offsetMs : 0));
    }
    await Promise.all(gates.map(async (gate) => gate.start(await world.enrollmentToken(gate.index))));
    if (!(await waitForSync(cloud, world, gates, 60_000, log)))
      throw new Error('the gates did not enroll and sync within 60 s: the run cannot start');
    log('every gate enrolled and synced; the crowd arrives');

    // While the run goes: which revocations each gate's live manifest already shows.
    poller = setInterval(() => {
      for (const gate of gates) {
        const pending = world.revocations.filter(
          (r) => r.lostAt === undefined && r.knownAt[gate.index] === undefined,
        );
        if (pending.length === 0) continue;
        const states = liveTicketStates(gate.storePath, world.eventId, [
          ...new Set(pending.map((r) => r.serial)),
        ]);
        if (!states) continue;
        const now = Date.now();
        for (const r of pending) {
          const row = states.get(r.serial);
          if (row && (row.status === 'revoked' || row.generation > r.generation)) r.knownAt[gate.index] = now;
        }
      }
    }, POLL_KNOWN_MS);

    const t0 = Date.now();
    const answers: CrowdAnswer[] = [];
    const at = () => `+${((Date.now() - t0) / 1000).toFixed(1)}s`;
    await Promise.all([
      runCrowd(plan.crowd, t0, world, gates, answers, stats, (line) => log(`[${at()}] ${line}`)),
      runFaults(plan.faults, t0, cloud, world, gates, stats, (line) => log(`[${at()}] ${line}`)),
    ]);
    log(
      `[${at()}] crowd done: ${stats.scansAnswered} answered (${stats.accepted} accepted), ` +
        `${stats.scansUnanswered} unanswered (gate down or killed)`,
    );

    // Heal: links up, cloud up, every gate up; then wait (bounded) until every gate has settled.
    const healStarted = Date.now();
    for (const gate of gates) gate.setLink('up');
    if (!cloud.running) await cloud.start();
    for (const gate of gates) {
      await gate.restarting?.catch(() => undefined);
      if (!gate.child) await gate.start();
    }
    stats.settled = await waitForSync(cloud, world, gates, healTimeoutMs, log);
    stats.settleMs = Date.now() - healStarted;
    log(`[${at()}] ${stats.settled ? 'settled' : 'did NOT settle'} after ${stats.settleMs} ms of healing`);
    clearInterval(poller);
    poller = undefined;
    stats.revocationsKnown = world.revocations.reduce(
      (n, r) => n + r.knownAt.filter((t) => t !== undefined).length,
      0,
    );
    for (const gate of gates) await gate.stop('SIGTERM');

    const collect = async (): Promise<SimState> => ({
      gates: gates.map((gate) => readGateState(gate.storePath, gate.index, world.eventId)),
      cloud: await readCloudState(cloud, world.eventId),
      answers,
      revocations: world.revocations,
    });
    const state = await collect();
    const violations = checkInvariants(state);
    // Fair admissions of revoked tickets (the gate had not heard yet): what reconciliation reports.
    const rel = (t: number | undefined) => (t === undefined ? 'never' : `+${((t - t0) / 1000).toFixed(1)}s`);
    for (const answer of answers) {
      if (answer.decision !== 'accept' || !answer.qr) continue;
      const { serial, generation } = answer.qr;
      const revoked = world.revocations.find(
        (r) => r.serial === serial && r.generation === generation && r.committedAt < answer.sentAt,
      );
      if (revoked)
        log(
          `admitted revoked serial ${serial}/g${generation} at gate ${answer.gate} ${rel(answer.sentAt)} (${answer.reason}): ` +
            `${revoked.how} at ${rel(revoked.committedAt)}, in that gate's manifest ${rel(revoked.knownAt[answer.gate])}` +
            `${revoked.lostAt === undefined ? '' : `, forgotten by the restore at ${rel(revoked.lostAt)}`}`,
        );
    }
    for (const [name, gate] of gates.entries())
      log(
        `gate ${name}: ${state.gates[name]!.scans.length} scans logged; link ${JSON.stringify(Object.fromEntries(gate.proxy.counts))}`,
      );
    if (violations.length > 0 && cloud.stderr().trim())
      log(`cloud stderr (tail):\n${cloud.stderr().slice(-3000)}`);
    if (options.afterCheck) {
      await options.afterCheck({
        plan,
        world,
        cloud,
        storePaths: gates.map((g) => g.storePath),
        state,
        violations,
        recheck: async () => {
          const again = await collect();
          return { state: again, violations: checkInvariants(again) };
        },
      });
    }
    return { seed: plan.seed, violations, stats, durationMs: Date.now() - started };
  } finally {
    if (poller) clearInterval(poller);
    for (const gate of gates) {
      await gate.restarting?.catch(() => undefined);
      await gate.stop('SIGKILL');
      await gate.proxy.close();
    }
    await cloud.dispose();
    if (options.keepData) log(`gate data kept in ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  }
}

/**
 * Asks every gate to sync until each has nothing pending, its manifest is at the cloud's head with the
 * cloud's row count, and the cloud acknowledged its last scan. Bounded by `timeoutMs`; false if not.
 */
async function waitForSync(
  cloud: SimCloud,
  world: SimWorld,
  gates: SimGate[],
  timeoutMs: number,
  log: (line: string) => void,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const [event] = await cloud.query<{ change_seq: string }>('select change_seq from events where id = $1', [
      world.eventId,
    ]);
    const [count] = await cloud.query<{ n: number }>(
      'select count(*)::int as n from tickets where event_id = $1',
      [world.eventId],
    );
    const acked = new Map(
      (await cloud.query<{ id: string; acked_seq: string }>('select id, acked_seq from devices')).map((d) => [
        d.id,
        Number(d.acked_seq),
      ]),
    );
    const head = Number(event?.change_seq ?? -1);
    const lagging: string[] = [];
    await Promise.all(
      gates.map(async (gate) => {
        const status = gate.url
          ? ((await postJson(`${gate.url}/api/sync`, undefined, 20_000)) as unknown as
              | (AgentStatusLike & { deviceId: string })
              | undefined)
          : undefined;
        const manifest = status?.events.find((e) => e.id === world.eventId);
        let lastSeq = -1;
        try {
          lastSeq = readGateState(gate.storePath, gate.index, world.eventId).scans.at(-1)?.seq ?? 0;
        } catch {
          // the store is busy: not settled this round
        }
        const settled =
          status !== undefined &&
          status.pendingUploads === 0 &&
          manifest?.manifestSeq === head &&
          manifest.tickets === count?.n &&
          acked.get(status.deviceId) === lastSeq;
        if (!settled) {
          lagging.push(
            `gate ${gate.index}: ${status ? `pending ${status.pendingUploads}, manifest ${manifest?.manifestSeq}/${head} (${manifest?.tickets}/${count?.n} tickets), cloud acked ${acked.get(status.deviceId)}/${lastSeq}` : 'no status'}`,
          );
        }
      }),
    );
    if (lagging.length === 0) return true;
    last = lagging.join('; ');
    await sleep(500);
  }
  log(`still lagging at the deadline: ${last}`);
  return false;
}

async function runCrowd(
  crowd: readonly PlannedScan[],
  t0: number,
  world: SimWorld,
  gates: SimGate[],
  answers: CrowdAnswer[],
  stats: RunStats,
  log: (line: string) => void,
): Promise<void> {
  const issued: string[] = [];
  const inFlight = new Set<Promise<void>>();
  const resolve = (scan: PlannedScan): { code: string; kind: CodeKind } => {
    const tickets = world.tickets;
    switch (scan.kind) {
      case 'repeat':
        if (issued.length > 0) return { code: issued[scan.pick % issued.length]!, kind: 'repeat' };
        break;
      case 'revoked': {
        const revoked = world.revocations;
        if (revoked.length > 0) return { code: revoked[scan.pick % revoked.length]!.qr, kind: 'revoked' };
        break;
      }
      case 'late': {
        const late = tickets.filter((t) => t.soldAt > 0);
        if (late.length > 0) return { code: late[scan.pick % late.length]!.qr, kind: 'late' };
        break;
      }
      case 'other-event':
        return { code: world.otherTickets[scan.pick % world.otherTickets.length]!.qr, kind: 'other-event' };
      case 'forged':
        return { code: forgedCode(scan.pick, tickets), kind: 'forged' };
      case 'garbage':
        return { code: garbageCode(scan.pick, tickets), kind: 'garbage' };
      case 'valid':
        break;
    }
    return { code: tickets[scan.pick % tickets.length]!.qr, kind: 'valid' };
  };
  const send = async (scan: PlannedScan, code: string, kind: CodeKind) => {
    const gate = gates[scan.gate]!;
    const url = gate.url;
    const sentAt = Date.now();
    const answer = url ? await postJson(`${url}/api/scan`, { code, direction: scan.direction }) : undefined;
    if (!answer || (answer.decision !== 'accept' && answer.decision !== 'reject')) {
      stats.scansUnanswered++;
      return;
    }
    stats.scansAnswered++;
    if (answer.decision === 'accept') stats.accepted++;
    const lostAt = world.tickets.find((t) => t.qr === code && t.lostAt !== undefined)?.lostAt;
    if (answer.decision === 'accept' && lostAt !== undefined && lostAt <= sentAt) {
      stats.lostSaleAccepts++;
      const serial = world.qrs.get(code)?.serial;
      const reissued = world.tickets.some(
        (t) => t.serial === serial && t.qr !== code && t.lostAt === undefined,
      );
      log(
        `QR of a sale the restore lost accepted: serial ${serial} at gate ${scan.gate} (${String(answer.reason)})` +
          `${reissued ? '; the cloud has since sold this serial to someone else' : ''}`,
      );
    }
    const reason = String(answer.reason);
    stats.byReason[reason] = (stats.byReason[reason] ?? 0) + 1;
    const ofKind = stats.byKind[kind] ?? {};
    ofKind[reason] = (ofKind[reason] ?? 0) + 1;
    stats.byKind[kind] = ofKind;
    answers.push({
      gate: scan.gate,
      kind,
      qr: world.qrs.get(code) ?? null,
      direction: scan.direction,
      sentAt,
      decision: answer.decision,
      reason,
      seq: typeof answer.seq === 'number' ? answer.seq : undefined,
      ticketSerial: (answer.ticket as { serial?: number } | undefined)?.serial,
    });
  };
  for (const scan of crowd) {
    await sleep(t0 + scan.at - Date.now());
    const { code, kind } = resolve(scan);
    if (kind === 'valid' || kind === 'revoked' || kind === 'late') issued.push(code);
    const pending: Promise<void> = send(scan, code, kind).finally(() => inFlight.delete(pending));
    inFlight.add(pending);
    if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

async function runFaults(
  faults: readonly PlannedFault[],
  t0: number,
  cloud: SimCloud,
  world: SimWorld,
  gates: SimGate[],
  stats: RunStats,
  log: (line: string) => void,
): Promise<void> {
  let backupAt: number | undefined;
  const apply = async (fault: PlannedFault) => {
    switch (fault.kind) {
      case 'kill-gate': {
        const gate = gates[fault.gate]!;
        await gate.restarting?.catch(() => undefined);
        await gate.stop('SIGKILL');
        gate.restarting = (async () => {
          await sleep(fault.downMs);
          await gate.start();
          log(`gate ${gate.index} restarted on its data directory`);
        })();
        gate.restarting.catch((error) => {
          stats.faultErrors++;
          log(`gate ${gate.index} did not restart: ${String(error).slice(0, 500)}`);
        });
        return;
      }
      case 'cloud-restart':
        await cloud.stop(fault.signal);
        await sleep(fault.downMs);
        await cloud.start();
        log('cloud up again');
        return;
      case 'cloud-backup':
        backupAt = Date.now();
        await cloud.backup();
        log('backup taken, cloud up again');
        return;
      case 'cloud-restore': {
        if (backupAt === undefined) throw new Error('no backup to restore');
        const restoredAt = Date.now();
        await cloud.restore();
        const lost = forgetRevocationsAfter(world, backupAt, restoredAt);
        const lostSales = forgetSalesAfter(world, backupAt, restoredAt);
        stats.revocationsLost += lost.length;
        stats.salesLost += lostSales.length;
        if (lostSales.length > 0)
          log(
            `restored; the cloud forgot ${lostSales.length} tickets sold after the backup (serials ${lostSales.map((t) => t.serial).join(', ')})`,
          );
        log(
          `restored; the cloud forgot ${lost.length} revocations made after the backup (serials ${lost.map((r) => r.serial).join(', ') || '-'})`,
        );
        return;
      }
      case 'link':
        gates[fault.gate]!.setLink(fault.mode, fault.durationMs);
        return;
      case 'venue-offline':
        for (const gate of gates) gate.setLink('down', fault.durationMs);
        return;
      case 'sell': {
        const sold = await sell(cloud, world, fault.quantity);
        stats.ticketsSold += sold.length;
        log(`  sold serials ${sold.map((t) => t.serial).join(', ')}`);
        const reissued = sold.filter((t) =>
          world.tickets.some((o) => o.lostAt !== undefined && o.serial === t.serial),
        );
        if (reissued.length > 0)
          log(
            `  serials ${reissued.map((t) => t.serial).join(', ')} reissued: a sale the restore lost held them`,
          );
        return;
      }
      case 'revoke': {
        const made = await revoke(cloud, world, fault.how, fault.pick, gates.length);
        stats.revocations += made.length;
        log(
          `  revoked serials ${made.map((r) => `${r.serial}/g${r.generation}`).join(', ') || '(none eligible)'}`,
        );
        return;
      }
    }
  };
  // Faults on the cloud (restarts, backup, restore), and refunds, transfers and sales, which need the
  // cloud, run one after another in their own lane; gate kills happen on time, whatever the cloud does.
  let cloudLane: Promise<void> = Promise.resolve();
  const run = async (fault: PlannedFault) => {
    log(describeFault(fault));
    try {
      await apply(fault);
      stats.faultsApplied++;
    } catch (error) {
      stats.faultErrors++;
      log(`  fault failed: ${String(error).slice(0, 500)}`);
      // A fault that failed half way must not leave the cloud down for the rest of the run.
      if (!cloud.running) await cloud.start().catch(() => undefined);
    }
  };
  // A broken link only matters while there is a cloud at its other end: a link fault due while the
  // cloud is down waits (bounded) until it is up again.
  const deferred: Promise<void>[] = [];
  const lastFault = faults.reduce((max, f) => Math.max(max, f.at), 0);
  const whenCloudUp = async () => {
    const deadline = t0 + lastFault + 30_000;
    while (!cloud.running && Date.now() < deadline) await sleep(100);
  };
  for (const fault of faults) {
    await sleep(t0 + fault.at - Date.now());
    switch (fault.kind) {
      case 'cloud-restart':
      case 'cloud-backup':
      case 'cloud-restore':
      case 'revoke':
      case 'sell':
        cloudLane = cloudLane.then(() => run(fault));
        break;
      case 'link':
        deferred.push(whenCloudUp().then(() => run(fault)));
        break;
      default:
        await run(fault);
    }
  }
  await cloudLane;
  await Promise.all(deferred);
  await Promise.all(gates.map((gate) => gate.restarting?.catch(() => undefined)));
}
