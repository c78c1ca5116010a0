/** The reason list's companions: which reasons admit, and that every reason has its words. */
import { describe, expect, it } from 'vitest';
import {
  ACCEPTING_REASONS,
  ADMISSION_REASONS,
  isAccepting,
  isAdmissionReason,
  REASON_LABELS,
} from './reasons';

describe('reasons', () => {
  it('OK and OK_UNSYNCED admit; every other reason refuses', () => {
    expect(ADMISSION_REASONS.filter(isAccepting)).toEqual(['OK', 'OK_UNSYNCED']);
    expect([...ACCEPTING_REASONS]).toEqual(['OK', 'OK_UNSYNCED']);
  });

  it('knows its own codes and nothing else', () => {
    for (const reason of ADMISSION_REASONS) expect(isAdmissionReason(reason)).toBe(true);
    for (const other of ['FINE', 'ok', '', null, 3, { reason: 'OK' }])
      expect(isAdmissionReason(other)).toBe(false);
  });

  it('labels every reason in words for the steward and the organiser, and nothing else', () => {
    expect(Object.keys(REASON_LABELS).sort()).toEqual([...ADMISSION_REASONS].sort());
    for (const { steward, organiser } of Object.values(REASON_LABELS)) {
      expect(steward).toMatch(/^[A-Z][a-z]/);
      expect(organiser).toMatch(/^[A-Z][a-z]/);
    }
    // A steward must tell refusals apart at a glance: only the two accepting reasons share words.
    const refusals = ADMISSION_REASONS.filter((reason) => !isAccepting(reason));
    expect(new Set(refusals.map((reason) => REASON_LABELS[reason].steward)).size).toBe(refusals.length);
  });
});
