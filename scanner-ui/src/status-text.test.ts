import { describe, expect, it } from 'vitest';
import type { AgentStatus } from './agent-api';
import {
  DEFAULT_MANIFEST_THRESHOLDS,
  describeManifest,
  describePeers,
  describeStatus,
  describeSyncResult,
  durationText,
} from './status-text';

const BASE: AgentStatus = {
  deviceId: 'd1',
  gate: { id: 'g1', name: 'North Gate' },
  online: true,
  lastSyncAt: 1,
  pendingUploads: 0,
  counters: { accepted: 12, rejected: 3 },
  events: [{ id: 'e1', name: 'Summer Concert', manifestSeq: 10, tickets: 10, manifestAgeSeconds: 4 }],
};

describe('describeStatus', () => {
  it('online, fresh list, nothing to upload', () => {
    expect(describeStatus(BASE)).toEqual({
      gateName: 'North Gate',
      eventNames: 'Summer Concert',
      connection: { text: 'Online', tone: 'ok' },
      manifest: { text: '4 s old', tone: 'ok', age: 'fresh' },
      pending: { text: 'all sent', tone: 'ok' },
      peers: null,
      accepted: '12',
      rejected: '3',
    });
  });

  it('counts entries as admitted, not exits', () => {
    const text = describeStatus({ ...BASE, counters: { accepted: 12, admitted: 9, exited: 3, rejected: 3 } });
    expect(text.accepted).toBe('9');
  });

  it('offline with scans waiting and a stale list is flagged', () => {
    const text = describeStatus({
      ...BASE,
      online: false,
      pendingUploads: 7,
      events: [{ ...BASE.events[0]!, manifestAgeSeconds: 3_700 }],
    });
    expect(text.connection).toEqual({ text: 'Offline', tone: 'bad' });
    expect(text.pending).toEqual({ text: '7 waiting', tone: 'warn' });
    expect(text.manifest).toEqual({
      text: '1 h old — sync failing, call a supervisor',
      tone: 'bad',
      age: 'very-stale',
    });
  });

  it('no event or a never-synced list is bad', () => {
    expect(describeStatus({ ...BASE, events: [] }).manifest.tone).toBe('bad');
    expect(
      describeStatus({ ...BASE, events: [{ ...BASE.events[0]!, manifestAgeSeconds: null }] }).manifest,
    ).toEqual({
      text: 'never synced',
      tone: 'bad',
      age: 'none',
    });
  });

  it('several events: names joined, the oldest list counts', () => {
    const text = describeStatus({
      ...BASE,
      events: [
        BASE.events[0]!,
        { id: 'e2', name: 'Matinee', manifestSeq: 1, tickets: 1, manifestAgeSeconds: 400 },
      ],
    });
    expect(text.eventNames).toBe('Summer Concert · Matinee');
    expect(text.manifest.text).toBe('6 min old');
  });
});

describe('the ticket list’s age against the operator’s thresholds', () => {
  const aged = (seconds: number, thresholds?: AgentStatus['manifestThresholds']) => ({
    ...BASE,
    ...(thresholds ? { manifestThresholds: thresholds } : {}),
    events: [{ ...BASE.events[0]!, manifestAgeSeconds: seconds }],
  });

  it('fresh below staleAfterMinutes, amber from it, red from veryStaleAfterMinutes — in words', () => {
    const thresholds = { staleAfterMinutes: 5, veryStaleAfterMinutes: 15 };
    expect(describeManifest(aged(299, thresholds))).toEqual({ text: '4 min old', tone: 'ok', age: 'fresh' });
    expect(describeManifest(aged(300, thresholds))).toEqual({
      text: '5 min old — sync failing',
      tone: 'warn',
      age: 'stale',
    });
    expect(describeManifest(aged(899, thresholds)).age).toBe('stale');
    expect(describeManifest(aged(900, thresholds))).toEqual({
      text: '15 min old — sync failing, call a supervisor',
      tone: 'bad',
      age: 'very-stale',
    });
  });

  it('the agent’s defaults (10, 30) when it gives none or nonsense', () => {
    expect(DEFAULT_MANIFEST_THRESHOLDS).toEqual({ staleAfterMinutes: 10, veryStaleAfterMinutes: 30 });
    expect(describeManifest(aged(599)).age).toBe('fresh');
    expect(describeManifest(aged(25 * 60)).text).toBe('25 min old — sync failing');
    expect(describeManifest(aged(30 * 60)).age).toBe('very-stale');
    const backwards = { staleAfterMinutes: 20, veryStaleAfterMinutes: 5 };
    expect(describeManifest(aged(12 * 60, backwards)).age).toBe('stale');
  });
});

describe('what "Sync now" achieved', () => {
  const now = Date.UTC(2026, 5, 1, 18, 20);
  const offline = { ...BASE, online: false, events: [{ ...BASE.events[0]!, manifestAgeSeconds: 18 * 60 }] };

  it('offline: the cloud is unreachable, scanning goes on with the list from HH:mm', () => {
    expect(describeSyncResult(offline, now, 'UTC')).toEqual({
      text: 'Cloud unreachable — still scanning offline with the list from 18:02',
      tone: 'warn',
    });
    expect(describeSyncResult({ ...offline, events: [] }, now, 'UTC')).toEqual({
      text: 'Cloud unreachable — no ticket list on this scanner yet',
      tone: 'bad',
    });
  });

  it('online: the list is current, 24-hour time in the given zone', () => {
    expect(describeSyncResult(BASE, Date.UTC(2026, 5, 1, 22, 5), 'America/New_York')).toEqual({
      text: 'Ticket list synced at 18:05',
      tone: 'ok',
    });
  });
});

describe('peers on the venue LAN', () => {
  it('no chip when the agent reports no peers: absent, null, or none listed', () => {
    expect(describeStatus(BASE).peers).toBeNull();
    expect(describeStatus({ ...BASE, peers: null }).peers).toBeNull();
    expect(describeStatus({ ...BASE, peers: { listed: 0, reachable: 0 } }).peers).toBeNull();
  });

  it('3/3: every peer answering is calm', () => {
    expect(describeStatus({ ...BASE, peers: { listed: 3, reachable: 3 } }).peers).toEqual({
      text: '3/3',
      tone: 'ok',
      title: 'All 3 other scanners are answering: admissions are shared.',
    });
  });

  it('2/3: some unreachable is a warning', () => {
    expect(describeStatus({ ...BASE, peers: { listed: 3, reachable: 2 } }).peers).toEqual({
      text: '2/3',
      tone: 'warn',
      title: '2 of 3 other scanners are answering; the others catch up when they are back.',
    });
  });

  it('0/3: none answering is bad, and the title says the door decides alone', () => {
    expect(describeStatus({ ...BASE, peers: { listed: 3, reachable: 0 } }).peers).toEqual({
      text: '0/3',
      tone: 'bad',
      title:
        'None of the 3 other scanners is answering: this door decides alone and its admissions are marked unconfirmed.',
    });
  });

  it('one peer reads in the singular', () => {
    expect(describePeers({ listed: 1, reachable: 1 })?.title).toBe(
      'The other scanner is answering: admissions are shared.',
    );
    expect(describePeers({ listed: 1, reachable: 0 })).toMatchObject({
      text: '0/1',
      tone: 'bad',
      title: expect.stringMatching(/^The other scanner is not answering: this door decides alone/),
    });
  });

  it('a broken answer hides the chip; more reachable than listed is capped', () => {
    const broken = [{ listed: '3', reachable: 1 }, { listed: 3 }, { listed: -1, reachable: 0 }, 'peers', 7];
    for (const peers of broken) expect(describePeers(peers as never), JSON.stringify(peers)).toBeNull();
    expect(describePeers({ listed: 2, reachable: 5 })).toMatchObject({ text: '2/2', tone: 'ok' });
  });
});

describe('durationText', () => {
  it.each([
    [0, '0 s'],
    [59.4, '59 s'],
    [60, '1 min'],
    [3_599, '59 min'],
    [3_600, '1 h'],
    [47 * 3_600, '47 h'],
    [49 * 3_600, '2 days'],
  ])('%d s → %s', (seconds, words) => expect(durationText(seconds)).toBe(words));
});
