import { describe, expect, it } from 'vitest';
import { RecentCodes } from './recent-codes';

describe('RecentCodes (camera de-duplication)', () => {
  it('passes a code once while it stays in view, again after 3 s out of view', () => {
    const recent = new RecentCodes(3_000);
    expect(recent.admit('A', 0)).toBe(true);
    for (let t = 100; t <= 10_000; t += 100) expect(recent.admit('A', t)).toBe(false); // held under the camera
    expect(recent.admit('A', 12_999)).toBe(false);
    expect(recent.admit('A', 16_000)).toBe(true);
  });

  it('different codes do not block each other', () => {
    const recent = new RecentCodes(3_000);
    expect(recent.admit('A', 0)).toBe(true);
    expect(recent.admit('B', 10)).toBe(true);
    expect(recent.admit('A', 20)).toBe(false);
  });

  it('forgets old codes so memory stays bounded', () => {
    const recent = new RecentCodes(3_000);
    for (let i = 0; i < 1_000; i++) recent.admit(`code-${i}`, i * 10);
    expect(recent.admit('code-0', 100_000)).toBe(true);
  });
});
