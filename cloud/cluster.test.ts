/** The cluster's restart backoff: doubling from 0.5 s per death in a row, never past 30 s. */
import { describe, expect, it } from 'vitest';
import { RESTART_DELAY_MAX_MS, RESTART_DELAY_MIN_MS, restartDelayMs } from './cluster';

describe('restartDelayMs', () => {
  it('doubles per death in a row and stays bounded', () => {
    expect(restartDelayMs(1)).toBe(RESTART_DELAY_MIN_MS);
    expect(restartDelayMs(2)).toBe(2 * RESTART_DELAY_MIN_MS);
    expect(restartDelayMs(4)).toBe(8 * RESTART_DELAY_MIN_MS);
    expect(restartDelayMs(7)).toBe(RESTART_DELAY_MAX_MS);
    expect(restartDelayMs(1_000)).toBe(RESTART_DELAY_MAX_MS);
  });
});
