/**
 * shared/admission — the admission decision for one scan, written once and used by both the gate
 * agent (offline, against its SQLite manifest) and the cloud (`POST /api/v1/validate`, against
 * PostgreSQL). Pure: the caller opens the normalised scanned text (./scanned-text.ts, ./authenticate.ts),
 * looks up what it knows of the ticket, authenticates the token against that (./authenticate.ts) and
 * passes the time in; the same situation therefore gets the same decision at the door and online.
 *
 * Order of the rules (the first that fails is the answer), chosen so the steward sees the most useful
 * reason: token → event served → event cancelled → ticket revoked or superseded → ticket type and gate →
 * then by the move the scan makes (./zones.ts): leaving (an exit, or a move back towards OUTSIDE) →
 * NOT_INSIDE unless the holder is on the passage's inner side; entering a zone → zone allowed for the
 * type → validity window and doors (when the move enters the venue) → already there / already inside →
 * re-entry policy → zone full → accept.
 */
import type { TokenRejection } from '../crypto/index';
import type { CheckedToken } from './authenticate';
import type { AdmissionReason, ScanDirection } from './reasons';
import { OUTSIDE, VENUE_ZONE, type ZoneId, type ZoneMove, type ZoneRule, zoneAllowed } from './zones';

export {
  authenticateToken,
  type CheckedToken,
  openToken,
  type SignatureKeys,
  type TokenKeys,
} from './authenticate';
export {
  ACCEPTING_REASONS,
  type AcceptingReason,
  ADMISSION_REASONS,
  type AdmissionReason,
  isAccepting,
  isAdmissionReason,
  REASON_LABELS,
  type ReasonLabel,
  type ScanDirection,
} from './reasons';
export { normaliseScannedText } from './scanned-text';
export * from './zones';

export interface AdmissionEvent {
  id: string;
  status: 'draft' | 'published' | 'cancelled';
  /** Unix ms. Entry opens at doorsOpenAt, or at startsAt when there is none. */
  doorsOpenAt: number | null;
  startsAt: number;
  /** Unix ms; no entry from this instant on. */
  endsAt: number;
}

export interface AdmissionTicketType {
  typeNo: number;
  name: string;
  /** Gates this type may enter through; null = any gate of the event. */
  gateIds: readonly string[] | null;
  /** Zones this type may enter (./zones.ts zoneAllowed); null or absent = every zone not restricted. */
  zoneIds?: readonly string[] | null;
  /**
   * `required`: only the wallet's holder-bound rotating code admits (./holder-code.ts); a static code is
   * HOLDER_CODE_REQUIRED. `allowed` or absent: both kinds of code admit.
   */
  holderCode?: 'allowed' | 'required';
}

/**
 * Where the scan moves the holder and what the decider knows of the target zone (issue 18). Absent: the
 * single-door move, OUTSIDE ↔ VENUE_ZONE, with the holder inside exactly when `lastAdmission` is `in`.
 */
export interface ZoneContext {
  /** The move this scan makes: the gate's passage, along it for `in`, back for `out` (./zones.ts moveAt). */
  move: ZoneMove;
  /** Where the holder is now, from the ticket's folded history (AdmissionState.zone). */
  holderZone: ZoneId;
  /** Zones the holder has been in (AdmissionState.enteredZones). */
  enteredZones: readonly ZoneId[];
  /** The rule of `move.to`; undefined for OUTSIDE and for a zone the rules do not hold (VENUE_ZONE). */
  target: ZoneRule | undefined;
  /** Holders in `move.to` as this side counts them now (its best count, offline too). */
  targetInside: number;
}

/** What the decider's side knows of the ticket (manifest row or database row). */
export interface KnownTicket {
  serial: number;
  typeNo: number;
  generation: number;
  status: 'valid' | 'revoked';
  /**
   * The digest of the one code the cloud issued for this generation ('' or absent when unknown). A
   * validly signed code of the same generation with another digest was never handed to this ticket's
   * holder — e.g. a sale the cloud lost in a restore from backup whose serial was then sold again.
   */
  digest?: string;
}

/** The ticket's last accepted scan, wherever this side learnt of it. */
export interface LastAdmission {
  direction: ScanDirection;
  at: number;
  gateId: string;
  gateName?: string | null;
}

export interface AdmissionInput {
  token: CheckedToken;
  /** The event of the token's claims as this side knows it; undefined when it does not serve it. */
  event: AdmissionEvent | undefined;
  ticketType: AdmissionTicketType | undefined;
  /** undefined when the ticket is not (yet) known here: issued after the last sync. */
  ticket: KnownTicket | undefined;
  lastAdmission: LastAdmission | undefined;
  gate: { id: string; name: string };
  direction: ScanDirection;
  /** Unix ms, the deciding side's clock. */
  now: number;
  /** The move and its target zone; absent = the single-door move (see ZoneContext). */
  zones?: ZoneContext;
}

export interface AdmissionDecision {
  decision: 'accept' | 'reject';
  reason: AdmissionReason;
  /** A stable machine word that refines the reason (e.g. `superseded`, `doors-closed`). */
  detail?: string;
  /** The ticket as far as it could be identified (for the screen and the scan record). */
  ticket?: { serial: number; typeNo: number; typeName?: string; generation: number };
  /** ALREADY_USED: when and where the ticket went in. */
  alreadyUsed?: { at: number; gateId: string; gateName?: string | null };
  /** WRONG_GATE: the gates this ticket may use instead. */
  allowedGateIds?: readonly string[];
  /** The move an accepted scan makes (record it as the record's fromZone/toZone). */
  move?: ZoneMove;
  /** ZONE_FULL, ZONE_NOT_ALLOWED and accepts into a known zone: the target zone and its count before the move. */
  zone?: { id: string; name: string; capacity: number | null; inside: number };
}

function reject(
  reason: AdmissionReason,
  extra: Omit<AdmissionDecision, 'decision' | 'reason'> = {},
): AdmissionDecision {
  return { decision: 'reject', reason, ...extra };
}

const TOKEN_REASON: Record<TokenRejection['reason'], AdmissionReason> = {
  INVALID: 'INVALID',
  UNKNOWN_KEY: 'INVALID',
  WRONG_EVENT: 'WRONG_EVENT',
  EXPIRED: 'EXPIRED',
  NOT_YET_VALID: 'NOT_YET_VALID',
};

/**
 * The decision for a token that could not be opened or authenticated: nothing else about the scan
 * matters (the first rule of `decideAdmission`, for callers that have nothing to look up).
 */
export function decideTokenRejection(token: TokenRejection): AdmissionDecision {
  const detail = token.reason === 'UNKNOWN_KEY' ? 'unknown-signing-key' : token.detail;
  return reject(TOKEN_REASON[token.reason] ?? 'INVALID', { detail });
}

/**
 * The type and gate rules: a type unknown here (created after the last sync: its restrictions are unknown,
 * so refuse rather than guess), a static code of a type that requires the holder-bound code (a screenshot
 * or a print, both ways), a gate the type may not use.
 */
function refuseByType(
  token: Extract<CheckedToken, { ok: true }>,
  ticketType: AdmissionTicketType | undefined,
  typeNo: number,
  gateId: string,
  identified: NonNullable<AdmissionDecision['ticket']>,
): AdmissionDecision | undefined {
  if (!ticketType || ticketType.typeNo !== typeNo) {
    return reject('INVALID', { detail: 'unknown-ticket-type', ticket: identified });
  }
  const staticCode = token.authenticatedBy === 'signature' || token.authenticatedBy === 'manifest-digest';
  if (ticketType.holderCode === 'required' && staticCode) {
    return reject('HOLDER_CODE_REQUIRED', { ticket: identified });
  }
  if (ticketType.gateIds !== null && !ticketType.gateIds.includes(gateId)) {
    return reject('WRONG_GATE', { ticket: identified, allowedGateIds: ticketType.gateIds });
  }
  return undefined;
}

/** Decides one scan. Pure and total: every input gets a decision, nothing throws. */
export function decideAdmission(input: AdmissionInput): AdmissionDecision {
  const { token, event, ticketType, ticket, lastAdmission, gate, direction, now } = input;
  if (!token.ok) return decideTokenRejection(token);
  const { claims } = token;
  const identified = {
    serial: claims.ticketSerial,
    typeNo: claims.ticketTypeNo,
    generation: claims.generation,
    ...(ticketType ? { typeName: ticketType.name } : {}),
  };
  if (!event || event.id.toLowerCase() !== claims.eventId.toLowerCase()) {
    return reject('WRONG_EVENT', { detail: 'event-not-served', ticket: identified });
  }
  if (event.status === 'cancelled') return reject('EVENT_CANCELLED', { ticket: identified });

  // A manifest digest (and a holder key, and the box office) vouches only for the generation this side
  // holds; anything else needs the signature.
  const knownGeneration = ticket !== undefined && ticket.generation === claims.generation;
  if (token.authenticatedBy !== 'signature' && !knownGeneration) {
    return reject('INVALID', { detail: 'unauthenticated', ticket: identified });
  }
  if (ticket) {
    if (ticket.serial !== claims.ticketSerial)
      return reject('INVALID', { detail: 'ticket-mismatch', ticket: identified });
    if (ticket.generation > claims.generation)
      return reject('REVOKED', { detail: 'superseded', ticket: identified });
    // Revocation is final in the cloud (a refunded or cancelled ticket never gets a new generation), so
    // a revoked row refuses every generation of the ticket.
    if (ticket.status === 'revoked') return reject('REVOKED', { ticket: identified });
    if (knownGeneration && ticket.digest && token.digest && ticket.digest !== token.digest)
      return reject('INVALID', { detail: 'not-issued', ticket: identified });
    if (ticket.typeNo !== claims.ticketTypeNo)
      return reject('INVALID', { detail: 'ticket-type-mismatch', ticket: identified });
  }
  // From here the ticket is either known and current, or validly signed and newer than what we know.
  const unsynced = !knownGeneration;

  const typeRefusal = refuseByType(token, ticketType, claims.ticketTypeNo, gate.id, identified);
  if (typeRefusal) return typeRefusal;
  if (!ticketType) return reject('INVALID', { detail: 'unknown-ticket-type', ticket: identified });

  const zones = input.zones ?? singleDoor(direction, lastAdmission);
  const { move, holderZone, target } = zones;
  const accept = (): AdmissionDecision => ({
    decision: 'accept',
    reason: unsynced ? 'OK_UNSYNCED' : 'OK',
    ticket: identified,
    move,
    ...(target ? { zone: zoneView(target, zones.targetInside) } : {}),
  });

  if (direction === 'out' || move.to === OUTSIDE) {
    // Leaving (an exit, or a move back through a passage): a movement only for a holder on the passage's
    // inner side. A second exit in a row, or the exit of a ticket never admitted, would otherwise count
    // as a movement and let a ticket that never went in look as if it had left. Nobody is held back: the
    // steward lets the person out either way; the record just does not say they were inside. A holder
    // inside (by any gate's record this door knows) may always leave, whatever the time window says, and
    // whatever the zone they leave into holds: nobody is trapped in a lounge because the hall is full.
    if (holderZone === OUTSIDE) {
      return reject('NOT_INSIDE', {
        ticket: identified,
        ...(lastAdmission ? { detail: 'already-out' } : { detail: 'never-admitted' }),
      });
    }
    if (holderZone === move.to) return reject('NOT_INSIDE', { ticket: identified, detail: 'not-in-zone' });
    return accept();
  }

  if (!zoneAllowed(ticketType.zoneIds, target)) {
    return reject('ZONE_NOT_ALLOWED', {
      ticket: identified,
      ...(target ? { zone: zoneView(target, zones.targetInside) } : {}),
    });
  }
  // The windows guard entry into the venue: by the passage (from OUTSIDE) or by the holder (outside now).
  if (move.from === OUTSIDE || holderZone === OUTSIDE) {
    if (claims.validFrom !== undefined && now < claims.validFrom) {
      return reject('NOT_YET_VALID', { detail: 'ticket-window', ticket: identified });
    }
    if (claims.validUntil !== undefined && now >= claims.validUntil) {
      return reject('EXPIRED', { detail: 'ticket-window', ticket: identified });
    }
    const doorsOpen = event.doorsOpenAt ?? event.startsAt;
    if (now < doorsOpen) return reject('NOT_YET_VALID', { detail: 'doors-closed', ticket: identified });
    if (now >= event.endsAt) return reject('EXPIRED', { detail: 'event-ended', ticket: identified });
  }

  // One ticket, one entry: a holder already in the target zone, or inside anywhere when the passage enters
  // the venue from OUTSIDE (a copy of a code whose holder went on to the lounge is still a copy).
  if (holderZone === move.to || (move.from === OUTSIDE && holderZone !== OUTSIDE)) {
    return reject('ALREADY_USED', {
      ticket: identified,
      ...(holderZone === move.to ? {} : { detail: 'inside-elsewhere' }),
      ...(lastAdmission?.direction === 'in'
        ? {
            alreadyUsed: {
              at: lastAdmission.at,
              gateId: lastAdmission.gateId,
              gateName: lastAdmission.gateName ?? null,
            },
          }
        : {}),
    });
  }
  if (target && !target.reentry && zones.enteredZones.includes(move.to)) {
    return reject('ALREADY_USED', {
      ticket: identified,
      detail: 'no-reentry',
      zone: zoneView(target, zones.targetInside),
    });
  }
  if (target && target.capacity !== null && zones.targetInside >= target.capacity) {
    return reject('ZONE_FULL', { ticket: identified, zone: zoneView(target, zones.targetInside) });
  }
  return accept();
}

/** The single-door context: OUTSIDE ↔ VENUE_ZONE, inside exactly when the last admission is an entry. */
function singleDoor(direction: ScanDirection, lastAdmission: LastAdmission | undefined): ZoneContext {
  const passage = { from: OUTSIDE, to: VENUE_ZONE };
  return {
    move: direction === 'in' ? passage : { from: VENUE_ZONE, to: OUTSIDE },
    holderZone: lastAdmission?.direction === 'in' ? VENUE_ZONE : OUTSIDE,
    enteredZones: lastAdmission ? [VENUE_ZONE] : [],
    target: undefined,
    targetInside: 0,
  };
}

function zoneView(zone: ZoneRule, inside: number): NonNullable<AdmissionDecision['zone']> {
  return { id: zone.id, name: zone.name, capacity: zone.capacity, inside };
}
