// Venue-local scheduling arithmetic: the next HH:MM in a zone, across day ends and DST changes.
import { describe, expect, it } from 'vitest';
import { dailyCronPattern, localDate, nextLocalTime, parseLocalTime } from './local-time';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('nextLocalTime', () => {
  it('finds today when the time is still ahead, tomorrow when it has passed', () => {
    // Berlin is UTC+2 in summer: 04:00 local = 02:00Z.
    expect(iso(nextLocalTime(at('2027-07-01T01:00:00Z'), '04:00', 'Europe/Berlin'))).toBe(
      '2027-07-01T02:00:00.000Z',
    );
    expect(iso(nextLocalTime(at('2027-07-01T02:00:00Z'), '04:00', 'Europe/Berlin'))).toBe(
      '2027-07-02T02:00:00.000Z',
    );
    expect(iso(nextLocalTime(at('2027-07-01T03:00:00Z'), '04:00', 'Europe/Berlin'))).toBe(
      '2027-07-02T02:00:00.000Z',
    );
  });

  it('uses the venue date, not the UTC date', () => {
    // 23:30Z on 31 Dec is already 1 Jan in Tokyo (UTC+9): the next 04:00 there is 1 Jan 19:00Z.
    expect(iso(nextLocalTime(at('2027-12-31T23:30:00Z'), '04:00', 'Asia/Tokyo'))).toBe(
      '2028-01-01T19:00:00.000Z',
    );
    // Los Angeles (UTC-8 in winter): 04:00 local = 12:00Z.
    expect(iso(nextLocalTime(at('2027-01-15T11:59:00Z'), '04:00', 'America/Los_Angeles'))).toBe(
      '2027-01-15T12:00:00.000Z',
    );
  });

  it('follows daylight-saving changes', () => {
    // Europe switches on 28 Mar 2027: 04:00 is UTC+1 before and UTC+2 after.
    expect(iso(nextLocalTime(at('2027-03-27T12:00:00Z'), '04:00', 'Europe/Berlin'))).toBe(
      '2027-03-28T02:00:00.000Z',
    );
    expect(iso(nextLocalTime(at('2027-03-26T12:00:00Z'), '04:00', 'Europe/Berlin'))).toBe(
      '2027-03-27T03:00:00.000Z',
    );
    // New York falls back on 7 Nov 2027: 04:00 EST = 09:00Z.
    expect(iso(nextLocalTime(at('2027-11-06T12:00:00Z'), '04:00', 'America/New_York'))).toBe(
      '2027-11-07T09:00:00.000Z',
    );
    // A time that does not exist that night (02:30 on the spring-forward night) still yields one run
    // within the day, never none.
    const skipped = nextLocalTime(at('2027-03-27T12:00:00Z'), '02:30', 'Europe/Berlin');
    expect(skipped).toBeGreaterThan(at('2027-03-27T12:00:00Z'));
    expect(skipped - at('2027-03-27T12:00:00Z')).toBeLessThan(24 * 3600_000);
  });

  it('is always in the future and within about a day', () => {
    const zones = [
      'UTC',
      'Europe/London',
      'Asia/Kolkata',
      'Australia/Adelaide',
      'America/St_Johns',
      'Pacific/Chatham',
    ];
    for (const zone of zones) {
      for (let hour = 0; hour < 48; hour += 5) {
        const now = at('2027-03-01T00:17:00Z') + hour * 3600_000;
        const next = nextLocalTime(now, '04:00', zone);
        expect(next).toBeGreaterThan(now);
        expect(next - now).toBeLessThanOrEqual(25 * 3600_000);
        expect(localDate(next, zone)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      }
    }
  });
});

describe('helpers', () => {
  it('gives the venue-local date and the cron pattern', () => {
    expect(localDate(at('2027-12-31T23:30:00Z'), 'Asia/Tokyo')).toBe('2028-01-01');
    expect(localDate(at('2027-12-31T23:30:00Z'), 'America/New_York')).toBe('2027-12-31');
    expect(dailyCronPattern('04:00')).toBe('0 4 * * *');
    expect(dailyCronPattern('23:45')).toBe('45 23 * * *');
  });

  it('refuses a malformed time', () => {
    for (const bad of ['4:00', '24:00', '12:60', '', 'noon'])
      expect(() => parseLocalTime(bad)).toThrow(/HH:MM/);
  });
});
