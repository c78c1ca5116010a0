/**
 * When an admission may be undone — the one rule the gate (`POST /api/undo` at the station) and the
 * cloud (`POST /api/v1/events/{eventId}/admissions/undo`, the box office) both apply, so a steward gets
 * the same answer at the door and online.
 *
 * An undo takes back one entry or exit that a person made by mistake (the wrong ticket checked in at
 * the box office, the wrong direction pressed). It is allowed only
 * - within UNDO_WINDOW_MS of the record's corrected time: later, the person has long gone in or out,
 *   and taking the record back would rewrite what the door really saw;
 * - for the ticket's latest standing movement: undoing an entry after the exit that followed it would
 *   leave the exit without its entry;
 * - once: an undone record stays undone (undo records themselves cannot be undone; check in again).
 */
import {
  type AdmissionRecord,
  type AdmissionRef,
  admissionKey,
  effectiveMovements,
  type MovementRecord,
} from './history';

/** How long after an entry or exit it may be undone: 5 minutes. */
export const UNDO_WINDOW_MS = 5 * 60_000;

/** Why an undo is refused (the error codes of both endpoints). */
export type UndoRefusal =
  | 'ADMISSION_NOT_FOUND'
  | 'ADMISSION_ALREADY_UNDONE'
  | 'UNDO_WINDOW_PASSED'
  | 'ADMISSION_NOT_LATEST';

export type UndoDecision =
  | { ok: true; target: MovementRecord }
  | { ok: false; refusal: UndoRefusal; message: string };

/**
 * Decides whether `target` may be undone at `now` (the decider's corrected clock, unix ms), given every
 * record of the target's ticket the decider knows (undo records included, any order, duplicates allowed).
 */
export function decideUndo(
  history: readonly AdmissionRecord[],
  target: AdmissionRef,
  now: number,
): UndoDecision {
  const key = admissionKey(target);
  const record = history.find((candidate) => admissionKey(candidate) === key);
  if (!record || record.direction === 'undo') {
    return {
      ok: false,
      refusal: 'ADMISSION_NOT_FOUND',
      message: 'No entry or exit with this origin and number.',
    };
  }
  const { movements } = effectiveMovements(history);
  if (!movements.some((movement) => admissionKey(movement) === key)) {
    return { ok: false, refusal: 'ADMISSION_ALREADY_UNDONE', message: 'This admission was already undone.' };
  }
  if (now - record.at > UNDO_WINDOW_MS) {
    return {
      ok: false,
      refusal: 'UNDO_WINDOW_PASSED',
      message: `An admission can be undone only within ${UNDO_WINDOW_MS / 60_000} minutes.`,
    };
  }
  const latest = movements[movements.length - 1];
  if (latest && admissionKey(latest) !== key) {
    return {
      ok: false,
      refusal: 'ADMISSION_NOT_LATEST',
      message: 'The ticket moved again since; only its latest entry or exit can be undone.',
    };
  }
  return { ok: true, target: record as MovementRecord };
}
