/** Which clock the scanner shows (venue-time.ts): the venue's zone when the agent names a real one. */
import { describe, expect, it } from 'vitest';
import { clockTime } from './clock-time';
import { describeTimeZone, venueTimeZoneOf } from './venue-time';

describe('venue time zone from the agent status', () => {
  it('takes a zone Intl knows, and nothing else', () => {
    expect(venueTimeZoneOf({ venueTimeZone: 'Pacific/Auckland' })).toBe('Pacific/Auckland');
    expect(venueTimeZoneOf({ venueTimeZone: null })).toBeUndefined();
    expect(venueTimeZoneOf({})).toBeUndefined();
    expect(venueTimeZoneOf({ venueTimeZone: '' })).toBeUndefined();
    expect(venueTimeZoneOf({ venueTimeZone: 'Mars/Olympus_Mons' })).toBeUndefined();
  });

  it('hints "device time" in amber only while the zone is unknown', () => {
    expect(describeTimeZone('Europe/Berlin')).toBeNull();
    expect(describeTimeZone(undefined)).toMatchObject({ text: 'device time', tone: 'warn' });
  });

  it('shows a venue time 24 h in the venue’s zone', () => {
    // 2027-05-01 14:05 UTC is 02:05 next morning in Auckland (NZST, UTC+12) — never "2:05 am".
    expect(clockTime(Date.parse('2027-05-01T14:05:00Z'), { timeZone: 'Pacific/Auckland' })).toBe('02:05');
  });
});
