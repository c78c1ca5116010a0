// @ts-check
/**
 * What the box office says about a check-in and an undo, in plain words. The headline of a decision is
 * the steward's words from the one table the scanner and the operations page share
 * (shared/admission/reasons.ts, served as /ops/assets/reasons.js); the sentence under it is written
 * here for a person at a counter, who has the time to read why and what to do.
 */
import { REASON_LABELS } from '/ops/assets/reasons.js';

/**
 * @typedef {{ decision: 'accept' | 'reject', reason: string, detail?: string,
 *   ticket?: { id?: string, serial: number, typeNo: number, typeName?: string, generation: number },
 *   alreadyUsed?: { at: string, gateId: string, gateName: string | null },
 *   allowedGateIds?: string[], scannedAt: string,
 *   zone?: { id: string, name: string, capacity: number | null, inside: number },
 *   admission: { origin: string, originSeq: number, at: string } | null }} CheckInAnswer
 * @typedef {{ direction: 'in' | 'out', gateName: string, gateNames: Map<string, string>,
 *   when: (iso: string) => string }} CheckInContext
 */

/** The steward's headline for a reason code (the code itself for one this page does not know). */
export function reasonHeadline(/** @type {string} */ reason) {
  return REASON_LABELS[reason]?.steward ?? reason;
}

/** @type {Record<string, (answer: CheckInAnswer, context: CheckInContext) => string>} */
const SENTENCES = {
  OK: (_, c) =>
    c.direction === 'in'
      ? `Let them in: entry recorded at ${c.gateName}.`
      : `Exit recorded at ${c.gateName}.`,
  OK_UNSYNCED: (a, c) => SENTENCES['OK']?.(a, c) ?? '',
  ALREADY_USED: (a, c) => {
    if (a.detail === 'no-reentry')
      return `This ticket was in ${a.zone?.name ?? 'this area'} before: it does not admit there again.`;
    return a.alreadyUsed
      ? `This ticket went in at ${a.alreadyUsed.gateName ?? 'another gate'} on ${c.when(a.alreadyUsed.at)} and has not left since.`
      : 'This ticket is inside already.';
  },
  NOT_INSIDE: () => 'This ticket cannot leave: no entry is recorded since it last went out.',
  REVOKED: () => 'This ticket was revoked (refunded, or replaced when it was passed on); it admits nobody.',
  EVENT_CANCELLED: () => 'The event is cancelled: no ticket admits.',
  WRONG_EVENT: () => 'This ticket is for another event.',
  WRONG_GATE: (a, c) => {
    const names = (a.allowedGateIds ?? []).map((id) => c.gateNames.get(id) ?? 'another gate');
    return names.length > 0
      ? `This ticket does not enter at ${c.gateName}: it enters at ${names.join(', ')}.`
      : `This ticket does not enter at ${c.gateName}.`;
  },
  NOT_YET_VALID: () => 'Too early: the doors are not open for this ticket yet.',
  EXPIRED: () => 'The event is over: this ticket no longer admits.',
  INVALID: () => 'The cloud does not know this ticket.',
  ZONE_NOT_ALLOWED: (a, c) =>
    `This ticket may not enter ${a.zone?.name ?? 'the area'} (behind ${c.gateName}).`,
  ZONE_FULL: (a) =>
    a.zone
      ? `${a.zone.name} is full (${a.zone.inside} of ${a.zone.capacity ?? a.zone.inside}): wait until someone leaves.`
      : 'The area is full: wait until someone leaves.',
};

/** The sentence under the headline. @param {CheckInAnswer} answer @param {CheckInContext} context */
export function reasonSentence(answer, context) {
  return SENTENCES[answer.reason]?.(answer, context) ?? answer.detail ?? '';
}

/** Why an undo was refused, by the cloud's error code. */
export const UNDO_REFUSALS = /** @type {Record<string, string>} */ ({
  ADMISSION_NOT_FOUND: 'Nothing to undo: the cloud has no such admission.',
  UNDO_WINDOW_PASSED: 'Too late to undo: an admission can be undone only in its first few minutes.',
  ADMISSION_NOT_LATEST:
    'Cannot undo: the ticket has moved since (a later entry or exit). Only its latest movement can be undone.',
  ADMISSION_ALREADY_UNDONE: 'This admission was undone already.',
});

/**
 * What to say when a call did not get its answer, by status (the cloud's own message where it has one).
 * @param {{ status: number, message: string | null }} answer
 * @param {string} what the action, e.g. "check-in"
 */
export function failureWords(answer, what) {
  if (answer.status === 0) {
    return `Cannot reach the cloud: the ${what} may not have been recorded. Search again to see.`;
  }
  if (answer.status === 401) return 'The token was refused: it is wrong or has expired.';
  if (answer.status === 403)
    return `This token may not do a ${what}: a venue staff or admin token is needed.`;
  if (answer.status === 429) return 'Too many requests: wait a moment and try again.';
  if (answer.status >= 500) return `The cloud failed (${answer.status}); nothing may have been recorded.`;
  return answer.message ?? `The cloud refused the ${what} (${answer.status}).`;
}
