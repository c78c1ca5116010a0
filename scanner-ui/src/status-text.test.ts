import { describe, expect, it } from 'vitest';
import type { AgentStatus } from './agent-api';
import { describeStatus, durationText } from './status-text';

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
      manifest: { text: '4 s old', tone: 'ok' },
      pending: { text: 'all sent', tone: 'ok' },
      accepted: '12',
      rejected: '3',
    });
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
    expect(text.manifest).toEqual({ text: '1 h old', tone: 'warn' });
  });

  it('no event or a never-synced list is bad', () => {
    expect(describeStatus({ ...BASE, events: [] }).manifest.tone).toBe('bad');
    expect(
      describeStatus({ ...BASE, events: [{ ...BASE.events[0]!, manifestAgeSeconds: null }] }).manifest,
    ).toEqual({
      text: 'never synced',
      tone: 'bad',
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
