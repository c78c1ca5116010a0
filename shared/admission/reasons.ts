/**
 * The admission reasons — the stable codes of SPEC section 7 — with which of them admit and what people
 * read for each: the one list the gate, the cloud's `/validate`, the scanner UI and the operations page
 * share. No imports: the scanner UI (a browser bundle type-checked with DOM types only) includes this
 * file as it is, and the cloud serves the labels to the operations page from here.
 *
 * Adding a reason: add it to ADMISSION_REASONS; the compiler then asks for its labels below and for the
 * steward's detail line in scanner-ui/src/verdict.ts, and the rule that gives it goes into ./index.ts.
 */

export type ScanDirection = 'in' | 'out';

export const ADMISSION_REASONS = [
  'OK',
  'OK_UNSYNCED',
  'ALREADY_USED',
  'NOT_INSIDE',
  'REVOKED',
  'EVENT_CANCELLED',
  'WRONG_EVENT',
  'WRONG_GATE',
  'ZONE_NOT_ALLOWED',
  'ZONE_FULL',
  'NOT_YET_VALID',
  'EXPIRED',
  'CODE_EXPIRED',
  'HOLDER_CODE_REQUIRED',
  'INVALID',
] as const;
export type AdmissionReason = (typeof ADMISSION_REASONS)[number];

/** The reasons that come with an accept; every other reason comes with a reject. */
export const ACCEPTING_REASONS = ['OK', 'OK_UNSYNCED'] as const satisfies readonly AdmissionReason[];
export type AcceptingReason = (typeof ACCEPTING_REASONS)[number];

/** True for a reason code this system knows (an answer from elsewhere is checked with it). */
export function isAdmissionReason(value: unknown): value is AdmissionReason {
  return (ADMISSION_REASONS as readonly unknown[]).includes(value);
}

/** True when the reason admits the holder: a decision is `accept` exactly when its reason is one of these. */
export function isAccepting(reason: AdmissionReason): reason is AcceptingReason {
  return (ACCEPTING_REASONS as readonly AdmissionReason[]).includes(reason);
}

/** What people read for a reason. */
export interface ReasonLabel {
  /** The headline on the scanner's verdict screen, read by a steward from two metres away. */
  steward: string;
  /** The reason in the organiser's operations view (counts of rejects by reason). */
  organiser: string;
}

export const REASON_LABELS: Readonly<Record<AdmissionReason, ReasonLabel>> = {
  OK: { steward: 'Valid ticket', organiser: 'Accepted' },
  OK_UNSYNCED: { steward: 'Valid ticket', organiser: 'Accepted (new ticket)' },
  ALREADY_USED: { steward: 'Already used', organiser: 'Already used' },
  NOT_INSIDE: { steward: 'Not checked in', organiser: 'Exit without entry' },
  REVOKED: { steward: 'Ticket revoked', organiser: 'Revoked' },
  EVENT_CANCELLED: { steward: 'Event cancelled', organiser: 'Event cancelled' },
  WRONG_EVENT: { steward: 'Ticket for another event', organiser: 'Wrong event' },
  WRONG_GATE: { steward: 'Wrong gate', organiser: 'Wrong gate' },
  ZONE_NOT_ALLOWED: { steward: 'Not allowed in this area', organiser: 'Zone not allowed' },
  ZONE_FULL: { steward: 'Area full', organiser: 'Zone full' },
  NOT_YET_VALID: { steward: 'Not valid yet', organiser: 'Not yet valid' },
  EXPIRED: { steward: 'Ticket expired', organiser: 'Expired' },
  CODE_EXPIRED: { steward: 'Code expired', organiser: 'Rotating code expired (copy or screenshot)' },
  HOLDER_CODE_REQUIRED: { steward: 'Open the ticket in the wallet', organiser: 'Static code refused' },
  INVALID: { steward: 'Not a valid ticket', organiser: 'Not a valid ticket' },
};
