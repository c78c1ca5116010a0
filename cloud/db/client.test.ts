/** Flush coalescing: every caller is covered by a flush that started after it asked. */
import { describe, expect, it } from 'vitest';
import { coalesce } from './client';

describe('coalesce', () => {
  it('runs one flush for callers that arrive while another is running, started after they asked', async () => {
    const starts: number[] = [];
    let release!: () => void;
    let clock = 0;
    const flush = coalesce(async () => {
      starts.push(clock);
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    const first = flush();
    clock = 1;
    const waiting = [flush(), flush(), flush()];
    expect(starts).toEqual([0]);
    release();
    await first;
    await Promise.resolve();
    await new Promise((resolve) => setTimeout(resolve, 0));
    // The three waiting callers share exactly one new flush, which started after they asked (clock 1).
    expect(starts).toEqual([0, 1]);
    release();
    await Promise.all(waiting);
    const later = flush();
    expect(starts).toEqual([0, 1, 1]);
    release();
    await later;
  });
});
