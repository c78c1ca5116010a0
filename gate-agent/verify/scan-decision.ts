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
  authenticateToken,
  decideAdmission,
  decideTokenRejection,
  openToken,
  type TokenKeys,
} from '../../shared/admission/index';
import { type GateDecision, type ManifestLookup, type ScanSituation, zoneContextOf } from './gate-decision';
import { decideHolderCode, type HolderCodeVerifier } from './holder-code';

export type { GateDecision, ManifestLookup, ScanSituation } from './gate-decision';

/** Decides a scanned code (any value; a non-string is INVALID). Pure but for the store's reads. */
export function decideScan(
  code: unknown,
  keys: TokenKeys,
  manifest: ManifestLookup,
  situation: ScanSituation,
  holder?: HolderCodeVerifier,
): GateDecision {
  // A holder-bound rotating code (issue 20) has its own authentication, then the same rules.
  const rotating = holder ? decideHolderCode(code, holder, manifest, situation) : undefined;
  if (rotating) return rotating;
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
