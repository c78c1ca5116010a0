/**
 * The invariants of the same-ticket scenario (issue 14), pure functions over a finished run's snapshot
 * and the link timeline as the driver applied it, with named margins:
 *
 *  - one-entry-when-connected: when a ticket was admitted at gate A and later presented at gate B, the
 *    presentations more than the propagation budget apart, and A and B could talk the whole while
 *    (both cloud links up — the cloud path — or the LAN link between them up), with the links stable a
 *    margin before the first and after the second, the second is ALREADY_USED. Same gate: always.
 *  - double-admission-reported: every ticket admitted at n > 1 gates has exactly n − 1 double
 *    admissions in the reconciliation report, naming each of its admitting scans; no other ticket has one.
 *  - unconfirmed-when-alone: an admission decided while the deciding gate could reach neither the cloud
 *    (its cloud link down for a while) nor all its peers (a LAN link to one of them down for a while) is
 *    marked unconfirmed in the gate's log, and in the report's finding when it is in one.
 *  - admissions-converge: after healing, every gate's admission log holds exactly the cloud's records.
 */
import type { Violation } from './invariants';
import { cloudLink, type LinkName, peerLink } from './same-ticket-plan';
import type { SimState } from './sim-state';

/**
 * The margins, ms. Budgets: how long after an admission another door must know of it. Through the cloud
 * an accept is uploaded ~50 ms after its commit, the cloud appends the record and tells the other gates
 * on their push stream, and they pull: the product promises 1 s (a few hundred ms on this machine). On
 * the LAN the record is pushed to every peer right after the commit (a few ms on loopback): the product
 * promises that presentations 200 ms apart are one entry. The budgets are those promises, not slack. Stability before: a cloud link back up needs the gate's
 * stream to reconnect (at most 2 s) before it is online again: 4 s; a LAN link carries the very next
 * push: 1 s. After: 0.5 s of slack between the driver's clock and the gate's decision. Being alone:
 * a gate notices its cloud link down when its stream drops and cannot reconnect (3 s), and a peer
 * stops counting as reachable 3 heartbeats (3 s) after it was last heard, plus a heartbeat and the
 * 500 ms peer timeout (4.5 s).
 */
export const SAME_TICKET_MARGINS = {
  cloudBudgetMs: 1_000,
  lanBudgetMs: 200,
  cloudStableBeforeMs: 4_000,
  lanStableBeforeMs: 1_000,
  stableAfterMs: 500,
  offlineNoticeMs: 3_000,
  peerSilenceMs: 4_500,
} as const;
export type SameTicketMargins = { readonly [K in keyof typeof SAME_TICKET_MARGINS]: number };

/** One presentation of a shared ticket and its answer (driver clock, ms). */
export interface SharedAnswer {
  gate: number;
  serial: number;
  sentAt: number;
  answeredAt: number;
  decision: 'accept' | 'reject';
  reason: string;
  seq: number | undefined;
}

/** A link change as the driver applied it (driver clock); before the first change every link is up. */
export interface AppliedLinkChange {
  at: number;
  link: LinkName;
  mode: string;
}

/** One side of a reported double admission. */
export interface ReportedScan {
  deviceId: string | null;
  seq: number | null;
  unconfirmed: boolean;
}

export interface ReportedDouble {
  serial: number;
  unconfirmed: boolean;
  first: ReportedScan;
  second: ReportedScan;
}

/** A gate's accepted scan of the event as its log has it. */
export interface GateAdmissionScan {
  seq: number;
  serial: number;
  direction: 'in' | 'out';
  unconfirmed: boolean;
}

export interface SameTicketState extends SimState {
  gateCount: number;
  shared: SharedAnswer[];
  linkChanges: AppliedLinkChange[];
  /** Per gate (by index): its device id, accepted scans, and admission log keys `origin/originSeq/serial/direction`. */
  admissionLogs: Array<{ deviceId: string; accepted: GateAdmissionScan[]; records: string[] }>;
  /** The cloud's admission records of the event, same keys. */
  cloudRecords: string[];
  /** The reconciliation report's double admissions; null when no report could be had. */
  doubles: ReportedDouble[] | null;
}

/** The link timeline as intervals: what mode a link had over a time span. */
export class LinkTimeline {
  readonly #changes: Map<LinkName, AppliedLinkChange[]>;

  constructor(changes: readonly AppliedLinkChange[]) {
    this.#changes = new Map();
    for (const change of [...changes].sort((a, b) => a.at - b.at)) {
      const list = this.#changes.get(change.link) ?? [];
      list.push(change);
      this.#changes.set(change.link, list);
    }
  }

  /** Every mode `link` had at some moment of [from, to]. */
  modesDuring(link: LinkName, from: number, to: number): Set<string> {
    const modes = new Set<string>();
    let current = 'up';
    for (const change of this.#changes.get(link) ?? []) {
      if (change.at > to) break;
      if (change.at > from) modes.add(current);
      current = change.mode;
    }
    modes.add(current);
    return modes;
  }

  /** True when `link` was in `mode` during all of [from, to]. */
  throughout(link: LinkName, mode: string, from: number, to: number): boolean {
    const modes = this.modesDuring(link, from, to);
    return modes.size === 1 && modes.has(mode);
  }
}

function violation(invariant: string, message: string, gate?: number): Violation {
  return { invariant, message, ...(gate === undefined ? {} : { gate }) };
}

/** How gates `a` and `b` could have shared an admission made at `first` before `second` arrived. */
export function channelBetween(
  timeline: LinkTimeline,
  first: SharedAnswer,
  second: SharedAnswer,
  margins: SameTicketMargins = SAME_TICKET_MARGINS,
): 'same-gate' | 'cloud' | 'lan' | undefined {
  const a = first.gate;
  const b = second.gate;
  const gap = second.sentAt - first.answeredAt;
  if (a === b) return gap > 0 ? 'same-gate' : undefined;
  const to = second.sentAt + margins.stableAfterMs;
  const cloudFrom = first.sentAt - margins.cloudStableBeforeMs;
  if (
    gap > margins.cloudBudgetMs &&
    timeline.throughout(cloudLink(a), 'up', cloudFrom, to) &&
    timeline.throughout(cloudLink(b), 'up', cloudFrom, to)
  )
    return 'cloud';
  if (
    gap > margins.lanBudgetMs &&
    timeline.throughout(peerLink(a, b), 'up', first.sentAt - margins.lanStableBeforeMs, to)
  )
    return 'lan';
  return undefined;
}

/** Invariant (1); also counts the pairs judged, by channel (so a run that judged none is visible). */
export function oneEntryWhenConnected(
  state: Pick<SameTicketState, 'shared' | 'linkChanges'>,
  margins: SameTicketMargins = SAME_TICKET_MARGINS,
): { violations: Violation[]; judged: Record<string, number> } {
  const timeline = new LinkTimeline(state.linkChanges);
  const violations: Violation[] = [];
  const judged: Record<string, number> = {};
  for (const second of state.shared) {
    const earlier = state.shared.filter(
      (first) => first !== second && first.serial === second.serial && first.decision === 'accept',
    );
    const channels = earlier
      .map((first) => ({ first, channel: channelBetween(timeline, first, second, margins) }))
      .filter((c) => c.channel !== undefined);
    if (channels.length === 0) continue;
    const { first, channel } = channels[0]!;
    judged[channel!] = (judged[channel!] ?? 0) + 1;
    if (second.decision === 'reject' && second.reason === 'ALREADY_USED') continue;
    violations.push(
      violation(
        'one-entry-when-connected',
        `serial ${second.serial}: admitted at gate ${first.gate}, then ${second.decision} ${second.reason} at ` +
          `gate ${second.gate} ${second.sentAt - first.answeredAt} ms later, with the ${channel} path up throughout`,
        second.gate,
      ),
    );
  }
  return { violations, judged };
}

/** Invariant (2a): the report's double admissions are exactly the tickets admitted at several gates. */
export function doubleAdmissionReported(state: SameTicketState): Violation[] {
  if (state.doubles === null)
    return [violation('double-admission-reported', 'no reconciliation report could be had')];
  const found: Violation[] = [];
  const admitted = new Map<number, string[]>();
  for (const log of state.admissionLogs)
    for (const scan of log.accepted)
      if (scan.direction === 'in')
        admitted.set(scan.serial, [...(admitted.get(scan.serial) ?? []), `${log.deviceId}/${scan.seq}`]);
  const serials = new Set([...admitted.keys(), ...state.doubles.map((d) => d.serial)]);
  for (const serial of serials) {
    const scans = admitted.get(serial) ?? [];
    const findings = state.doubles.filter((d) => d.serial === serial);
    const named = new Set(
      findings.flatMap((d) => [d.first, d.second]).map((s) => `${s.deviceId?.toLowerCase()}/${s.seq}`),
    );
    const missing = scans.length > 1 ? scans.filter((key) => !named.has(key.toLowerCase())) : [];
    if (findings.length !== Math.max(0, scans.length - 1) || missing.length > 0)
      found.push(
        violation(
          'double-admission-reported',
          `serial ${serial}: admitted by ${scans.length} scans (${scans.join(', ')}), reported as ` +
            `${findings.length} double admissions${missing.length ? `, not naming ${missing.join(', ')}` : ''}`,
        ),
      );
  }
  return found;
}

/** True when `answer`'s gate could reach neither the cloud nor all its peers while it decided. */
export function decidedAlone(
  timeline: LinkTimeline,
  answer: SharedAnswer,
  gates: number,
  margins: SameTicketMargins = SAME_TICKET_MARGINS,
): boolean {
  const g = answer.gate;
  if (!timeline.throughout(cloudLink(g), 'down', answer.sentAt - margins.offlineNoticeMs, answer.answeredAt))
    return false;
  for (let other = 0; other < gates; other++)
    if (
      other !== g &&
      timeline.throughout(
        peerLink(g, other),
        'down',
        answer.sentAt - margins.peerSilenceMs,
        answer.answeredAt,
      )
    )
      return true;
  return false;
}

/** Invariant (2b): admissions decided alone are unconfirmed, in the gate's log and in the report. */
export function unconfirmedWhenAlone(
  state: SameTicketState,
  margins: SameTicketMargins = SAME_TICKET_MARGINS,
): Violation[] {
  const timeline = new LinkTimeline(state.linkChanges);
  const found: Violation[] = [];
  for (const answer of state.shared) {
    if (answer.decision !== 'accept' || !decidedAlone(timeline, answer, state.gateCount, margins)) continue;
    const log = state.admissionLogs[answer.gate];
    const scan = log?.accepted.find((s) => s.seq === answer.seq);
    if (!scan?.unconfirmed)
      found.push(
        violation(
          'unconfirmed-when-alone',
          `serial ${answer.serial} (seq ${answer.seq}) admitted alone but not marked unconfirmed in the gate's log`,
          answer.gate,
        ),
      );
    const key = `${log?.deviceId.toLowerCase()}/${answer.seq}`;
    for (const d of state.doubles ?? []) {
      const side = [d.first, d.second].find((s) => `${s.deviceId?.toLowerCase()}/${s.seq}` === key);
      if (side && (!side.unconfirmed || !d.unconfirmed))
        found.push(
          violation(
            'unconfirmed-when-alone',
            `serial ${answer.serial} (seq ${answer.seq}) admitted alone; its double admission is not flagged unconfirmed`,
            answer.gate,
          ),
        );
    }
  }
  return found;
}

/** Invariant (3): every gate's admission log equals the cloud's admission records. */
export function admissionsConverge(state: SameTicketState): Violation[] {
  const cloud = new Set(state.cloudRecords);
  const found: Violation[] = [];
  state.admissionLogs.forEach((log, gate) => {
    const own = new Set(log.records);
    const missing = [...cloud].filter((k) => !own.has(k));
    const extra = [...own].filter((k) => !cloud.has(k));
    if (missing.length > 0 || extra.length > 0)
      found.push(
        violation(
          'admissions-converge',
          `admission log differs from the cloud's: missing ${missing.length} (${missing.slice(0, 3).join(', ')}), ` +
            `extra ${extra.length} (${extra.slice(0, 3).join(', ')})`,
          gate,
        ),
      );
  });
  return found;
}
