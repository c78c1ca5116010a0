/**
 * One scan decided against the gate's own copy of the manifest: open the token, look the ticket up,
 * authenticate it, decide (shared/admission — the same steps the cloud's `/validate` takes). Reads the
 * store, records nothing: recording is the pipeline's next step.
 *
 * Authentication takes the cheap path when it can: a ticket the manifest knows is authenticated by its
 * digest (shared/admission/authenticate.ts); the Ed25519 signature is checked only for tickets the
 * manifest does not know (issued after the last sync → OK_UNSYNCED), other generations, digest mismatches
 * (forgeries) and tokens of events this gate has no key for (to tell a genuine WRONG_EVENT from garbage).
 *
 * Zones (issue 18): at a venue with zones the decision gets the move this gate's passage makes, where the
 * holder is (the same indexed lookup of the ticket's records, folded with the event's default zone) and
 * the target zone's rule and count (the live occupancy, in memory). A venue without zones decides exactly
 * as before: the single-door move, no zone context.
 */
import {
  type AdmissionDecision,
  authenticateToken,
  decideAdmission,
  decideTokenRejection,
  moveAt,
  OUTSIDE,
  openToken,
  passageOf,
  type ScanDirection,
  type TokenKeys,
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

/** Decides a scanned code (any value; a non-string is INVALID). Pure but for the store's reads. */
export function decideScan(
  code: unknown,
  keys: TokenKeys,
  manifest: ManifestLookup,
  situation: ScanSituation,
): GateDecision {
  const opened = openToken(code, keys);
  if (!opened.ok) return { decision: decideTokenRejection(opened), eventId: null, manifestSeq: 0 };
  const { claims } = opened;
  const context = manifest.eventContext(claims.eventId);
  const ticket = context ? manifest.findTicket(context, claims.ticketSerial) : undefined;
  const token = authenticateToken(opened, ticket?.digest, keys);
  // An event this gate does not serve is refused before the ticket's state matters: no lookup for it.
  const held =
    token.ok && context
      ? manifest.admissionOf(claims.eventId, claims.ticketSerial, context.defaultZone)
      : undefined;
  const zones =
    held && context && context.zones.length > 0
      ? zoneContextOf(context, held, situation, (zone) => manifest.zoneInside(claims.eventId, zone))
      : undefined;
  const decision = decideAdmission({
    token,
    event: context?.event,
    ticketType: context?.ticketTypes.get(claims.ticketTypeNo),
    ticket,
    lastAdmission: held?.last,
    ...situation,
    ...(zones ? { zones } : {}),
  });
  const decided: GateDecision = {
    decision,
    // A token that failed authentication names an event only by its own unproven word: keep it out.
    eventId: token.ok ? claims.eventId : null,
    ...(context ? { eventName: context.name, gateNames: context.gateNames } : {}),
    manifestSeq: context?.manifestSeq ?? 0,
    ...(zones && decision.decision === 'accept' && decision.move ? { move: decision.move } : {}),
  };
  // Only the current code of the ticket can open its box (an older generation's bytes never do).
  if (token.ok && ticket?.nameBox && ticket.generation === claims.generation) {
    decided.nameBox = {
      box: ticket.nameBox,
      tokenBytes: opened.decoded.bytes,
      context: { eventId: claims.eventId, serial: claims.ticketSerial, generation: claims.generation },
    };
  }
  return decided;
}

/**
 * The zone context of a scan at a venue with zones: this gate's passage (its configured sides, or the
 * defaults), the move the scan's direction makes along it, where the holder is, and the target zone's rule
 * and count as this gate knows it now.
 */
function zoneContextOf(
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
