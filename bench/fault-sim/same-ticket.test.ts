/**
 * The same-ticket scenario's plan and checks (issue 14), without processes: the plan is a pure function
 * of its seed with every kind of slice in it; and each invariant of same-ticket-checks.ts is shown on
 * synthetic timelines to hold when it should, to fail when it should, and to respect its margins (a
 * pair closer than the budget, or a link that flapped inside the stability margin, is not judged).
 * The real run is `npm run fault-sim -- --scenario same-ticket`; fault-sim.test.ts runs the harness.
 */
import { describe, expect, it } from 'vitest';
import {
  type AppliedLinkChange,
  admissionsConverge,
  channelBetween,
  decidedAlone,
  doubleAdmissionReported,
  LinkTimeline,
  SAME_TICKET_MARGINS as M,
  oneEntryWhenConnected,
  type SameTicketState,
  type SharedAnswer,
  unconfirmedWhenAlone,
} from './same-ticket-checks';
import { allLinks, makeSameTicketPlan } from './same-ticket-plan';
import { DEFAULT_SCENARIO, scenarioNamed } from './scenarios/index';

const T = 100_000;

function answer(gate: number, at: number, decision: 'accept' | 'reject', seq?: number): SharedAnswer {
  return {
    gate,
    serial: 7,
    sentAt: at,
    answeredAt: at + 20,
    decision,
    reason: decision === 'accept' ? 'OK' : 'ALREADY_USED',
    seq,
  };
}

function state(overrides: Partial<SameTicketState>): SameTicketState {
  return {
    gates: [],
    cloud: { epoch: 'e', head: 0, totals: { rowCount: 0, checksum: '' }, ackedSeq: {}, scans: [] },
    answers: [],
    revocations: [],
    gateCount: 3,
    shared: [],
    linkChanges: [],
    admissionLogs: [],
    cloudRecords: [],
    doubles: [],
    ...overrides,
  };
}

/** Every link down over [from, to), except those named in `up`. */
function outage(from: number, to: number, up: string[] = []): AppliedLinkChange[] {
  return allLinks(3)
    .filter((link) => !up.includes(link))
    .flatMap((link) => [
      { at: from, link, mode: 'down' },
      { at: to, link, mode: 'up' },
    ]);
}

describe('same-ticket plan', () => {
  it('is a pure function of the seed, registered as a scenario, with every kind of slice', () => {
    const options = { seed: 5, gates: 3, scans: 600, durationS: 45 };
    const plan = makeSameTicketPlan(options);
    expect(makeSameTicketPlan({ ...options })).toEqual(plan);
    expect(makeSameTicketPlan({ ...options, seed: 6 })).not.toEqual(plan);
    expect(scenarioNamed('same-ticket')?.plan(options)).toEqual(plan);
    expect(DEFAULT_SCENARIO.name).toBe('venue-faults');
    const kinds = new Set(plan.slices.map((s) => s.kind));
    for (const kind of ['blackout', 'lan-only', 'cloud-only']) expect(kinds).toContain(kind);
    // Each ticket at 2–3 distinct doors, all within the run; every link up again at the end.
    const byTicket = new Map<number, typeof plan.crowd>();
    for (const scan of plan.crowd) byTicket.set(scan.pick, [...(byTicket.get(scan.pick) ?? []), scan]);
    for (const doors of byTicket.values()) {
      expect(doors.length).toBeGreaterThanOrEqual(2);
      expect(doors.length).toBeLessThanOrEqual(3);
      expect(new Set(doors.map((d) => d.gate)).size).toBe(doors.length);
    }
    expect(plan.crowd.every((s) => s.at >= 0 && s.at < plan.durationMs)).toBe(true);
    const last = new Map(plan.links.map((c) => [c.link, c.mode]));
    expect([...last.values()].every((mode) => mode === 'up')).toBe(true);
    expect(plan.tickets).toBeGreaterThanOrEqual(Math.ceil(byTicket.size * 1.25));
  });
});

describe('link timeline', () => {
  it('knows every mode a link had over a span', () => {
    const timeline = new LinkTimeline([
      { at: 10, link: 'cloud:0', mode: 'down' },
      { at: 20, link: 'cloud:0', mode: 'up' },
    ]);
    expect([...timeline.modesDuring('cloud:0', 0, 9)]).toEqual(['up']);
    expect(timeline.modesDuring('cloud:0', 0, 15)).toEqual(new Set(['up', 'down']));
    expect(timeline.throughout('cloud:0', 'down', 10, 19)).toBe(true);
    expect(timeline.throughout('cloud:0', 'up', 20, 99)).toBe(true);
    expect(timeline.throughout('peer:0-1', 'up', 0, 99)).toBe(true);
  });
});

describe('one-entry-when-connected', () => {
  const first = answer(0, T, 'accept', 1);

  it('judges a pair over the cloud path, the LAN path, and the same gate', () => {
    const timeline = new LinkTimeline([]);
    expect(channelBetween(timeline, first, answer(1, T + M.cloudBudgetMs + 100, 'reject'))).toBe('cloud');
    const lanOnly = new LinkTimeline(outage(T - 10_000, T + 10_000, ['peer:0-1']));
    expect(channelBetween(lanOnly, first, answer(1, T + M.lanBudgetMs + 100, 'reject'))).toBe('lan');
    expect(channelBetween(lanOnly, first, answer(2, T + 5_000, 'reject'))).toBeUndefined();
    expect(channelBetween(lanOnly, first, answer(0, T + 50, 'reject'))).toBe('same-gate');
  });

  it('does not judge pairs closer than the budget, or links that were not stable for the margin', () => {
    expect(
      channelBetween(new LinkTimeline([]), first, answer(1, T + M.lanBudgetMs - 50, 'accept')),
    ).toBeUndefined();
    // The cloud link of gate 1 came back 1 s before the first presentation: not stable long enough.
    const flapped = new LinkTimeline([
      { at: T - 1_000, link: 'cloud:1', mode: 'up' },
      { at: T - 5_000, link: 'cloud:1', mode: 'down' },
      ...outage(T - 20_000, T + 20_000, ['cloud:0', 'cloud:1']),
    ]);
    expect(channelBetween(flapped, first, answer(1, T + 4_000, 'accept'))).toBeUndefined();
  });

  it('flags an accept at a gate that could have known, and nothing else', () => {
    const shared = [first, answer(1, T + 5_000, 'accept', 1), answer(2, T + M.lanBudgetMs / 2, 'accept', 1)];
    const { violations, judged } = oneEntryWhenConnected({ shared, linkChanges: [] });
    expect(judged).toEqual({ cloud: 1 });
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({ invariant: 'one-entry-when-connected', gate: 1 });
    // Judged and right: no violation.
    shared[1] = answer(1, T + 5_000, 'reject');
    expect(oneEntryWhenConnected({ shared, linkChanges: [] }).violations).toEqual([]);
    // In a blackout the same pair is not judged.
    expect(
      oneEntryWhenConnected({
        shared: [first, answer(1, T + 5_000, 'accept', 1)],
        linkChanges: outage(0, 2 * T),
      }).violations,
    ).toEqual([]);
  });
});

describe('double-admission-reported and unconfirmed-when-alone', () => {
  const logs = [
    {
      deviceId: 'd0',
      accepted: [{ seq: 1, serial: 7, direction: 'in' as const, unconfirmed: true }],
      records: [],
    },
    {
      deviceId: 'd1',
      accepted: [{ seq: 4, serial: 7, direction: 'in' as const, unconfirmed: true }],
      records: [],
    },
    {
      deviceId: 'd2',
      accepted: [{ seq: 2, serial: 9, direction: 'in' as const, unconfirmed: false }],
      records: [],
    },
  ];
  const reported = {
    serial: 7,
    unconfirmed: true,
    first: { deviceId: 'd0', seq: 1, unconfirmed: true },
    second: { deviceId: 'd1', seq: 4, unconfirmed: true },
  };
  const alone = outage(T - 20_000, T + 20_000);
  const shared = [answer(0, T, 'accept', 1), answer(1, T + 3_000, 'accept', 4)];

  it('holds when the report names each double admission, flagged as decided alone', () => {
    const s = state({ admissionLogs: logs, doubles: [reported], shared, linkChanges: alone });
    expect(doubleAdmissionReported(s)).toEqual([]);
    expect(unconfirmedWhenAlone(s)).toEqual([]);
  });

  it('fails on a missing, a made-up or an unflagged finding', () => {
    expect(doubleAdmissionReported(state({ admissionLogs: logs, doubles: [] }))).toHaveLength(1);
    const madeUp = { ...reported, serial: 9, second: { deviceId: 'd2', seq: 2, unconfirmed: false } };
    expect(doubleAdmissionReported(state({ admissionLogs: logs, doubles: [reported, madeUp] }))).toHaveLength(
      1,
    );
    expect(doubleAdmissionReported(state({ doubles: null }))).toHaveLength(1);
    const unflagged = { ...reported, unconfirmed: false, second: { ...reported.second, unconfirmed: false } };
    const s = state({ admissionLogs: logs, doubles: [unflagged], shared, linkChanges: alone });
    // Both sides were decided alone: each names the finding that is not flagged.
    expect(unconfirmedWhenAlone(s).map((v) => v.gate)).toEqual([0, 1]);
  });

  it('expects the flag only when both the cloud and a peer were out of reach for the margins', () => {
    const timeline = new LinkTimeline(alone);
    expect(decidedAlone(timeline, answer(0, T, 'accept'), 3)).toBe(true);
    // The outage began too recently for the gate to have noticed.
    expect(decidedAlone(timeline, answer(0, T - 20_000 + M.offlineNoticeMs - 100, 'accept'), 3)).toBe(false);
    // The LAN was up: the gate may have confirmed through its peers.
    const lanUp = new LinkTimeline(outage(T - 20_000, T + 20_000, ['peer:0-1', 'peer:0-2', 'peer:1-2']));
    expect(decidedAlone(lanUp, answer(0, T, 'accept'), 3)).toBe(false);
    // An unconfirmed flag missing from the gate's log is a violation on its own.
    const unmarked = logs.map((l) => ({
      ...l,
      accepted: l.accepted.map((a) => ({ ...a, unconfirmed: false })),
    }));
    const s = state({ admissionLogs: unmarked, doubles: [reported], shared, linkChanges: alone });
    expect(unconfirmedWhenAlone(s).length).toBeGreaterThanOrEqual(2);
  });
});

describe('admissions-converge', () => {
  it('holds when every gate holds the cloud records, and names a gate that differs', () => {
    const records = ['d0/1/7/in', 'd1/1/7/in'];
    const logs = [0, 1, 2].map((i) => ({ deviceId: `d${i}`, accepted: [], records: [...records] }));
    expect(admissionsConverge(state({ admissionLogs: logs, cloudRecords: records }))).toEqual([]);
    logs[2]!.records.pop();
    expect(admissionsConverge(state({ admissionLogs: logs, cloudRecords: records }))).toEqual([
      expect.objectContaining({ invariant: 'admissions-converge', gate: 2 }),
    ]);
  });
});
