/** The "Clock unsure" chip (issue 20): hidden on a trusted clock or an older agent, amber otherwise. */
import { describe, expect, it } from 'vitest';
import { describeClockTrust, windowText } from './clock-trust';

describe('describeClockTrust', () => {
  it('is hidden when the clock is trusted, or the agent does not say', () => {
    expect(describeClockTrust({ offsetMs: 120, state: 'ok', holderCodeWindowSeconds: 15 })).toBeNull();
    expect(describeClockTrust(undefined)).toBeNull();
  });

  it('says the window while the offset was never measured, or is large', () => {
    expect(describeClockTrust({ offsetMs: null, state: 'unknown', holderCodeWindowSeconds: 120 })).toEqual({
      text: 'Clock unsure — rotating codes ±2 min',
      tone: 'warn',
      title: expect.stringMatching(/not yet compared/),
    });
    expect(
      describeClockTrust({ offsetMs: -45_000, state: 'large', holderCodeWindowSeconds: 90 }),
    ).toMatchObject({
      text: 'Clock unsure — rotating codes ±90 s',
      title: expect.stringMatching(/45 s off/),
    });
  });

  it('reads whole minutes as minutes', () => {
    expect(windowText(60)).toBe('±1 min');
    expect(windowText(135)).toBe('±135 s');
  });
});
