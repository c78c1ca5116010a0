/**
 * `POST /api/undo` and the Electron `agent:undo` channel, behind one function (issue 17): the steward's
 * Undo of an accepted scan of this station, named by the scan answer's `seq`. The rule and the writes
 * are the store's (store/admission-undo.ts); this module gives them the gate's clock and contact state
 * and shapes the answer, and tells the agent afterwards (metrics, the broadcast to the peers).
 */
import type { UndoRefused, UndoResponse } from '../server/app';
import type { UndoDone } from '../store/admission-undo';
import type { GateStore } from '../store/gate-store';

export interface UndoerOptions {
  store: GateStore;
  /** Device wall clock, unix ms (the store adds the offset to the cloud). */
  clock: () => number;
  /** As for an admission: whether the gate is in contact with the cloud or every peer of the event. */
  isConfirmed?: (eventId: string) => boolean;
  /** After an undo committed (metrics, broadcast); must not throw, but is guarded anyway. */
  onUndone?: (done: UndoDone) => void;
}

/** Undoes the accepted scan `seq` of this station, or says why not. Throws only on a disk error. */
export type Undoer = (seq: number) => UndoResponse | UndoRefused;

export function createUndoer(options: UndoerOptions): Undoer {
  return (seq) => {
    const outcome = options.store.undoScan(seq, options.clock(), options.isConfirmed);
    if (!outcome.ok) return { refusal: outcome.refusal, message: outcome.message };
    try {
      options.onUndone?.(outcome);
    } catch {
      // metrics and the broadcast must never change the answer: the undo is on disk
    }
    return {
      undone: outcome.undone,
      undo: outcome.undo,
      ticket: { eventId: outcome.eventId, serial: outcome.serial, generation: outcome.generation },
      seq: outcome.scanSeq,
    };
  };
}
