/**
 * The admission reasons and scan directions on their own, with no imports: the scanner UI (a browser
 * bundle type-checked with DOM types only) takes them from here instead of keeping its own copy.
 */

export type ScanDirection = 'in' | 'out';

export const ADMISSION_REASONS = [
  'OK',
  'OK_UNSYNCED',
  'ALREADY_USED',
  'REVOKED',
  'EVENT_CANCELLED',
  'WRONG_EVENT',
  'WRONG_GATE',
  'NOT_YET_VALID',
  'EXPIRED',
  'INVALID',
] as const;
export type AdmissionReason = (typeof ADMISSION_REASONS)[number];
