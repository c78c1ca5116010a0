/**
 * The same-ticket scenario (issue 14, "one entry per ticket at every door"): three gates of one event,
 * each serving the peer protocol behind its own LAN proxy (peer-link.ts; each gate advertises its
 * proxy's address, so the cloud's peer list routes every gate-to-gate request through it), while a
 * seeded timeline cuts and degrades every cloud link and every LAN link (same-ticket-plan.ts), and a
 * crowd presents one ticket (a shared screenshot) at two or three doors from ~100 ms to seconds apart.
 * Checked: the common invariants of invariants.ts, and those of same-ticket-checks.ts.
 */
import { checkInvariants } from '../checker';
import { VENUE_INVARIANTS } from '../invariants';
import type { LinkMode } from '../link-relay';
import { freePort, PeerLan } from '../peer-link';
import type { PlannedScan } from '../plan';
import { countAnswer } from '../run-stats';
import {
  type AppliedLinkChange,
  admissionsConverge,
  doubleAdmissionReported,
  oneEntryWhenConnected,
  type SameTicketState,
  type SharedAnswer,
  unconfirmedWhenAlone,
} from '../same-ticket-checks';
import { readAdmissionLog, readCloudRecords, readReportedDoubles } from '../same-ticket-collect';
import {
  allLinks,
  type LinkName,
  makeSameTicketPlan,
  type PeerLinkMode,
  type SameTicketPlan,
} from '../same-ticket-plan';
import type { Scenario, Stage } from '../scenario';
import type { SimGate } from '../sim-gate';
import { sleep } from '../sleep';
import type { SimTicket } from '../world';

const PEERS_READY_TIMEOUT_MS = 30_000;

/** The LAN of each run, by its first gate (prepareGates sees the gates, play the stage). */
const lans = new WeakMap<SimGate, PeerLan>();
/** What each run's play recorded, by its stage. */
const records = new WeakMap<Stage, { shared: SharedAnswer[]; linkChanges: AppliedLinkChange[] }>();

/** Waits (bounded) until every gate is online and hears every other gate; maps devices to gates. */
async function waitForPeers(stage: Stage, lan: PeerLan): Promise<void> {
  const { gates } = stage;
  const deadline = Date.now() + PEERS_READY_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline) {
    const statuses = await Promise.all(gates.map((g) => g.status()));
    statuses.forEach((s, i) => {
      if (typeof s?.deviceId === 'string') lan.gateOfDevice.set(s.deviceId.toLowerCase(), i);
    });
    const peers = statuses.map((s) => s?.peers as { listed: number; reachable: number } | null | undefined);
    last = statuses
      .map((s, i) => `gate ${i}: online ${s?.online}, peers ${JSON.stringify(peers[i])}`)
      .join('; ');
    if (statuses.every((s, i) => s?.online === true && peers[i]?.reachable === gates.length - 1)) {
      stage.log(`every gate online and hearing its ${gates.length - 1} peers`);
      return;
    }
    // The peer list travels in the manifest: a pull brings the addresses the others reported.
    await Promise.all(gates.map((g) => g.syncNow()));
    await sleep(300);
  }
  throw new Error(`the gates did not find each other within ${PEERS_READY_TIMEOUT_MS} ms: ${last}`);
}

function applyLink(stage: Stage, lan: PeerLan, link: LinkName, mode: string): AppliedLinkChange {
  const [kind, which] = link.split(':') as [string, string];
  if (kind === 'cloud') stage.gates[Number(which)]!.setLink(mode as LinkMode);
  else {
    const [a, b] = which.split('-').map(Number) as [number, number];
    lan.setMode(a, b, mode as PeerLinkMode);
  }
  return { at: Date.now(), link, mode };
}

/** Plays the link timeline from `t0`; every link up at the end. */
async function playLinks(
  stage: Stage,
  plan: SameTicketPlan,
  lan: PeerLan,
  t0: number,
  applied: AppliedLinkChange[],
) {
  let slice = 0;
  for (const change of plan.links) {
    await sleep(t0 + change.at - Date.now());
    while (slice < plan.slices.length && plan.slices[slice]!.at <= change.at) {
      stage.log(`slice: ${plan.slices[slice]!.kind}`);
      slice++;
    }
    applied.push(applyLink(stage, lan, change.link, change.mode));
  }
  for (const link of allLinks(plan.gates)) applied.push(applyLink(stage, lan, link, 'up'));
}

/** Presents `ticket` at the scan's gate and records the answer (common and shared records). */
async function presentShared(stage: Stage, scan: PlannedScan, ticket: SimTicket, shared: SharedAnswer[]) {
  const sentAt = Date.now();
  const answer = await stage.gates[scan.gate]!.present(ticket.qr, 'in');
  const answeredAt = Date.now();
  if (!answer || (answer.decision !== 'accept' && answer.decision !== 'reject')) {
    stage.stats.scansUnanswered++;
    return;
  }
  const decision = answer.decision;
  const reason = String(answer.reason);
  const seq = typeof answer.seq === 'number' ? answer.seq : undefined;
  countAnswer(stage.stats, 'valid', decision, reason);
  stage.answers.push({
    gate: scan.gate,
    kind: 'valid',
    qr: { serial: ticket.serial, generation: ticket.generation },
    direction: 'in',
    sentAt,
    decision,
    reason,
    seq,
    ticketSerial: ticket.serial,
  });
  shared.push({ gate: scan.gate, serial: ticket.serial, sentAt, answeredAt, decision, reason, seq });
  const before = shared.filter(
    (s) => s.serial === ticket.serial && s.decision === 'accept' && s.gate !== scan.gate,
  );
  if (decision === 'accept' && before.length > 0)
    stage.log(
      `serial ${ticket.serial} admitted again at gate ${scan.gate}, ${sentAt - before.at(-1)!.answeredAt} ms after gate ${before.at(-1)!.gate}`,
    );
}

/** The general tickets (every fifth order of the world is VIP: gate 0 only). */
function generalTickets(stage: Stage): SimTicket[] {
  const { world } = stage;
  const byId = new Map(world.tickets.map((t) => [t.id, t]));
  return world.orders
    .filter((_, i) => i % 5 !== 4)
    .flatMap((o) => o.ticketIds.map((id) => byId.get(id)!))
    .filter(Boolean);
}

async function playPresentations(
  stage: Stage,
  crowd: readonly PlannedScan[],
  t0: number,
  shared: SharedAnswer[],
) {
  const tickets = generalTickets(stage);
  const pending: Promise<void>[] = [];
  for (const scan of crowd) {
    await sleep(t0 + scan.at - Date.now());
    pending.push(presentShared(stage, scan, tickets[scan.pick % tickets.length]!, shared));
  }
  await Promise.all(pending);
}

function describeLinkPlan(plan: SameTicketPlan): string {
  const kinds = plan.slices.map((s) => s.kind).join(', ');
  return `${plan.crowd.length} presentations of ${new Set(plan.crowd.map((s) => s.pick)).size} tickets; slices: ${kinds}`;
}

export const sameTicket: Scenario<SameTicketPlan, SameTicketState> = {
  name: 'same-ticket',
  summary: 'one ticket at 2–3 doors while cloud links and gate-to-gate LAN links are cut and degraded',
  plan: makeSameTicketPlan,
  async prepareGates(gates, plan) {
    const lan = new PeerLan();
    for (const gate of gates) {
      const listenPort = await freePort();
      const inbound = await lan.open(gate.index, listenPort, plan.seed);
      gate.extraArgs = ['--peer-listen', `127.0.0.1:${listenPort}`, '--peer-advertise', inbound.address];
    }
    lans.set(gates[0]!, lan);
    return () => lan.close();
  },
  async play(stage, plan) {
    const lan = lans.get(stage.gates[0]!);
    if (!lan) throw new Error('the same-ticket scenario needs its LAN (prepareGates)');
    await waitForPeers(stage, lan);
    stage.log(describeLinkPlan(plan));
    const recorded = { shared: [] as SharedAnswer[], linkChanges: [] as AppliedLinkChange[] };
    records.set(stage, recorded);
    const t0 = Date.now();
    await Promise.all([
      playLinks(stage, plan, lan, t0, recorded.linkChanges),
      playPresentations(stage, plan.crowd, t0, recorded.shared),
    ]);
  },
  async collect(stage, plan, common) {
    const recorded = records.get(stage) ?? { shared: [], linkChanges: [] };
    const state: SameTicketState = {
      ...common,
      gateCount: plan.gates,
      ...recorded,
      admissionLogs: stage.gates.map((g) => readAdmissionLog(g.storePath, stage.world.eventId)),
      cloudRecords: await readCloudRecords(stage.cloud, stage.world.eventId),
      doubles: await readReportedDoubles(stage.cloud, stage.world, (line) => stage.log(line)),
    };
    const { judged } = oneEntryWhenConnected(state);
    const doubles = state.doubles ?? [];
    stage.log(
      `same ticket: pairs judged by path ${JSON.stringify(judged)}; ${doubles.length} double admissions ` +
        `reported (${doubles.filter((d) => d.unconfirmed).length} unconfirmed); ` +
        `${state.admissionLogs.reduce((n, l) => n + l.accepted.filter((s) => s.unconfirmed).length, 0)} unconfirmed admissions`,
    );
    for (const [i, inbound] of (lans.get(stage.gates[0]!)?.inbound ?? []).entries())
      stage.log(`gate ${i} LAN inbound: ${JSON.stringify(Object.fromEntries(inbound.counts))}`);
    return state;
  },
  check: (state) => [
    ...checkInvariants(state, VENUE_INVARIANTS),
    ...oneEntryWhenConnected(state).violations,
    ...doubleAdmissionReported(state),
    ...unconfirmedWhenAlone(state),
    ...admissionsConverge(state),
  ],
};
