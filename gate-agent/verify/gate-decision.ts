/**
 * What a gate decision is made of, shared by the two ways a scanned code is decided — the static ticket
 * token (./scan-decision.ts) and the holder-bound rotating code (./holder-code.ts): the store reads a
 * decision needs, where and how the code was scanned, the decision with what the record and the answer
 * need beside it, and the zone context at a venue with zones (issue 18). Kept apart so both deciders use
 * one definition without importing each other.
 */
import {
  type AdmissionDecision,
  moveAt,
  OUTSIDE,
  passageOf,
  type ScanDirection,
  type ZoneContext,
  type ZoneMove,
} from '../../shared/admission/index';
import type { HolderNameContext } from '../../shared/crypto/index';
import type { EventContext } from '../store/event-context';
import type { GateStore, HeldAdmission } from '../store/gate-store';

/**
 * The store reads a decision needs: the event's rules, the ticket's manifest row, its admission state
 * and (at a venue with zones) the target zone's count.
 */
export type ManifestLookup = Pick<GateStore, 'eventContext' | 'findTicket' | 'admissionOf' | 'zoneInside'>;

/** Where and how the code was scanned. */
export interface ScanSituation {
  gate: { id: string; name: string };
  direction: ScanDirection;
  /** Device clock, unix ms. */
  now: number;
}

/** A decision with what the scan record and the answer need beside it. */
export interface GateDecision {
  decision: AdmissionDecision;
  /** The event the scan counts for; null when the token did not prove one. */
  eventId: string | null;
  eventName?: string;
  /** The venue's gate names by id (lower case), from the manifest; empty when unknown. */
  gateNames?: ReadonlyMap<string, string>;
  /** The change sequence of the manifest copy decided against (0: none). */
  manifestSeq: number;
  /** At a venue with zones, an accept's move: what its admission record carries (issue 18). */
  move?: ZoneMove;
  /**
   * The ticket's holder-name box with what opens it — the scanned token's bytes and the ticket's
   * identity — when the token authenticated and its manifest row has a box. Opened only after the
   * decision is recorded (./holder-name.ts), never on the decision's clock.
   */
  nameBox?: { box: string; tokenBytes: Uint8Array; context: HolderNameContext };
}

/**
 * The zone context of a scan at a venue with zones: this gate's passage (its configured sides, or the
 * defaults), the move the scan's direction makes along it, where the holder is, and the target zone's rule
 * and count as this gate knows it now.
 */
export function zoneContextOf(
  context: EventContext,
  held: HeldAdmission,
  situation: ScanSituation,
  insideOf: (zone: string) => number,
): ZoneContext {
  const passage = passageOf(context.passages.get(situation.gate.id.toLowerCase()) ?? {}, context.zones);
  const move = moveAt(passage, situation.direction);
  return {
    move,
    holderZone: held.zone,
    enteredZones: held.enteredZones,
    target: context.zoneRules.get(move.to),
    targetInside: move.to === OUTSIDE ? 0 : insideOf(move.to),
  };
}
