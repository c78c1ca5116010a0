/** The zone strip's words (issue 18): passage, count against capacity, levels at 90 % and 100 %, age. */
import { describe, expect, it } from 'vitest';
import type { AgentStatus, EventStatus } from './agent-api';
import { describeOccupancy, describeOccupancyAge, describeZone } from './occupancy-text';

const NOW = Date.UTC(2026, 5, 1, 19, 0);
const THRESHOLDS = { staleAfterMinutes: 10, veryStaleAfterMinutes: 30 };
const EVENT: EventStatus = { id: 'e1', name: 'Gala', manifestSeq: 1, tickets: 10, manifestAgeSeconds: 4 };

function status(event: Partial<EventStatus>): AgentStatus {
  return {
    deviceId: 'd1',
    gate: { id: 'g1', name: 'Lounge Door' },
    online: true,
    lastSyncAt: null,
    pendingUploads: 0,
    counters: { accepted: 0, rejected: 0 },
    events: [{ ...EVENT, ...event }],
  };
}

const HALL = { id: 'z-hall', name: 'Hall', inside: 312, capacity: 500 };
const LOUNGE = { id: 'z-lounge', name: 'VIP Lounge', inside: 38, capacity: 40 };
const LOUNGE_DOOR = { from: { id: 'z-hall', name: 'Hall' }, to: { id: 'z-lounge', name: 'VIP Lounge' } };

describe('describeZone', () => {
  it.each([
    [35, 'ok', ''],
    [36, 'warn', 'Nearly full'], // 90 %
    [39, 'warn', 'Nearly full'],
    [40, 'full', 'Full'],
    [41, 'full', 'Full'], // over (a partition, or people back from an inner zone)
  ] as const)('%d of 40 → %s', (inside, level, state) => {
    expect(describeZone({ ...LOUNGE, inside })).toEqual({
      id: 'z-lounge',
      name: 'VIP Lounge',
      count: `${inside} / 40`,
      level,
      state,
    });
  });

  it('a zone without a limit is a bare count, never full', () => {
    expect(describeZone({ ...HALL, capacity: null, inside: 9999 })).toMatchObject({
      count: '9999',
      level: 'ok',
    });
  });
});

describe('describeOccupancyAge', () => {
  it.each([
    [0, 'count as of just now', 'ok'],
    [3 * 60_000 + 20_000, 'count as of 3 min ago', 'ok'],
    [10 * 60_000, 'count as of 10 min ago — may be behind', 'warn'],
    [45 * 60_000, 'count as of 45 min ago — other doors not heard', 'bad'],
  ] as const)('%d ms old → %s', (age, text, tone) => {
    expect(describeOccupancyAge(NOW - age, NOW, THRESHOLDS)).toEqual({ text, tone });
  });

  it('follows the operator’s thresholds', () => {
    expect(
      describeOccupancyAge(NOW - 3 * 60_000, NOW, { staleAfterMinutes: 2, veryStaleAfterMinutes: 5 }).tone,
    ).toBe('warn');
  });

  it('before the first pull the count is not to be trusted', () => {
    expect(describeOccupancyAge(null, NOW, THRESHOLDS)).toEqual({
      text: 'count not synced yet — other doors not heard',
      tone: 'warn',
    });
  });
});

describe('describeOccupancy', () => {
  it('an older agent (no zone fields) gets no strip', () => {
    expect(describeOccupancy(status({}), NOW, THRESHOLDS)).toBeNull();
  });

  it('the passage, the target zone large, the others small, and the age', () => {
    const text = describeOccupancy(
      status({ passage: LOUNGE_DOOR, zones: [HALL, LOUNGE], occupancyAsOf: NOW - 3 * 60_000 }),
      NOW,
      THRESHOLDS,
    );
    expect(text).toEqual({
      passage: 'Hall → VIP Lounge',
      target: { id: 'z-lounge', name: 'VIP Lounge', count: '38 / 40', level: 'warn', state: 'Nearly full' },
      others: [{ id: 'z-hall', name: 'Hall', count: '312 / 500', level: 'ok', state: '' }],
      age: { text: 'count as of 3 min ago', tone: 'ok' },
    });
  });

  it('the main door of a venue without zones: no passage, the count inside', () => {
    const text = describeOccupancy(
      status({
        passage: { from: { id: 'outside', name: 'Outside' }, to: { id: 'venue', name: 'Venue' } },
        zones: [{ id: 'venue', name: 'Summer Concert', inside: 120, capacity: null }],
        occupancyAsOf: NOW,
      }),
      NOW,
      THRESHOLDS,
    );
    expect(text?.passage).toBeNull();
    expect(text?.target).toMatchObject({ name: 'Inside', count: '120', level: 'ok' });
    expect(text?.others).toEqual([]);
  });

  it('skips zone entries that are not counts, and names a zone without a name', () => {
    const text = describeOccupancy(
      status({
        passage: { from: { id: 'outside', name: '' }, to: { id: 'z-hall', name: ' ' } },
        zones: [{ ...HALL, name: '' }, { id: 'z-bad', name: 'Bad', inside: -1, capacity: 3 } as never],
      }),
      NOW,
      THRESHOLDS,
    );
    expect(text?.passage).toBe('Outside → Zone');
    expect(text?.target?.name).toBe('Zone');
    expect(text?.others).toEqual([]);
  });
});
