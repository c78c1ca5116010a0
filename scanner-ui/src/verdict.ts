/**
 * The words on the verdict screen: every reason code of the gate agent turned into what a steward
 * reads from two metres away, plus the one line of detail that tells them what to do next (when and
 * where an already-used ticket went in, which gate a wrong-gate holder should go to: "Use gate VIP" when
 * the agent names the gates; it sends bare ids until gate names reach the gate, and a UUID tells a
 * steward nothing, so then "use another entrance"), and for zones (issue 18) what the steward does next:
 * hold a holder at a full lounge, turn back one whose ticket does not include it. Pure: the clock and the time zone are parameters,
 * so the tests pin them.
 */
import { REASON_LABELS } from '../../shared/admission/reasons';
import type { ScanDirection, ScanReason, ScanResult, ZoneRef } from './agent-api';
import { clockTime } from './clock-time';

export type VerdictKind = 'accept' | 'reject' | 'error';

export interface VerdictText {
  kind: VerdictKind;
  /** The huge word: ACCEPT, REJECT, or NOT CHECKED. */
  title: string;
  /** The reason in plain words (large). */
  headline: string;
  /** What to do or what happened, when there is more to say. */
  detail?: string;
  /** "Name: Zoë Ångström" — the holder to check ID against, when the ticket carries a name. */
  holderLine?: string;
  /** The holder's full name (the line may be cut short with an ellipsis; this is its tooltip). */
  holderName?: string;
  /** Ticket type and number, when the ticket was identified. */
  ticketLine?: string;
  /** A small note under the verdict (OK_UNSYNCED). */
  note?: string;
}

export interface DescribeOptions {
  /** Unix ms now, for "3 min ago". */
  now: number;
  /** IANA time zone for clock times ("HH:mm", clock-time.ts); the browser's own when omitted. */
  timeZone?: string;
  /** This gate's id (the status's `gate.id`), so an entry here reads "at this gate"; unknown until the first status. */
  ownGateId?: string | null;
  /** This gate's passage (the status's `passage`, issue 18), so a refused exit names the zone left. */
  passage?: { from: ZoneRef; to: ZoneRef } | null;
}

/** Plain-words headline for a reason code (exported for the tests and the status history). */
export function reasonHeadline(reason: ScanReason): string {
  // The steward's words from the one list of reasons (shared/admission/reasons.ts).
  return REASON_LABELS[reason]?.steward ?? 'Not admitted';
}

/** "just now", "4 min ago", "2 h 5 min ago", "3 days ago". */
export function agoText(ms: number): string {
  if (ms < 60_000) return 'just now';
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h ago` : `${hours} h ${minutes % 60} min ago`;
  const days = Math.floor(hours / 24);
  return days === 1 ? '1 day ago' : `${days} days ago`;
}

/**
 * Where an already-used ticket went in: "this gate" when it was here (any lane of this gate), else the
 * gate's name when the agent gives one, else "another gate" (e.g. an admission replicated from a peer
 * whose gate the agent cannot name: peer records carry a gate id only).
 */
function usedAtGate(
  used: NonNullable<ScanResult['alreadyUsed']>,
  ownGateId: string | null | undefined,
): string {
  if (typeof ownGateId === 'string' && ownGateId !== '' && used.gateId === ownGateId) return 'this gate';
  return used.gateName?.trim() || 'another gate';
}

/**
 * A gate as the steward says it: "gate VIP" for a bare name, the name itself when it already says what
 * it is ("East Gate", "VIP Door", "North Entrance").
 */
function gateWords(name: string): string {
  return /\b(gate|door|entrance|entry)\b/i.test(name) ? name : `gate ${name}`;
}

function detailFor(
  result: ScanResult,
  direction: ScanDirection,
  options: DescribeOptions,
): string | undefined {
  switch (result.reason) {
    case 'OK':
    case 'OK_UNSYNCED':
      if (direction === 'in') return undefined;
      // An exit through an inner door (lounge → hall) names where they are now (issue 18).
      return result.zone?.name?.trim()
        ? `Now in ${result.zone.name.trim()}`
        : 'May come back in with this ticket';
    case 'ALREADY_USED': {
      if (result.detail === 'no-reentry')
        return `Has been in ${zoneWords(result.zone?.name)} once; this ticket allows no second entry`;
      const used = result.alreadyUsed;
      // Inside another zone (a lounge) and scanned again at a door into the venue: a copy, or someone who
      // left without scanning out.
      const still = result.detail === 'inside-elsewhere' ? ' — still inside: check ID' : '';
      if (!used) return `This ticket has already been scanned in${still}`;
      const gate = usedAtGate(used, options.ownGateId);
      const ago = agoText(Math.max(0, options.now - used.at));
      return `${ago.charAt(0).toUpperCase()}${ago.slice(1)} at ${gate} (${clockTime(used.at, options)})${still}`;
    }
    case 'NOT_INSIDE':
      if (result.detail === 'not-in-zone')
        return 'Records say they are elsewhere inside — let them through; nothing is recorded';
      return result.detail === 'already-out'
        ? 'Already scanned out — let them leave; no second exit is recorded'
        : 'Never scanned in — let them leave; no exit is recorded';
    case 'ZONE_NOT_ALLOWED':
      return `Ticket does not include ${zoneWords(result.zone?.name)} — do not let them through; upgrades at the box office`;
    case 'ZONE_FULL': {
      const zone = result.zone;
      const count = zone && zone.capacity !== null ? ` (${zone.inside} of ${zone.capacity} inside)` : '';
      return `Ask them to wait: one in for each one out${count}`;
    }
    case 'REVOKED':
      return result.detail === 'superseded'
        ? 'Replaced by a newer ticket (transferred) — ask for the current one'
        : 'Refunded or cancelled — send to the box office';
    case 'EVENT_CANCELLED':
      return 'This event has been cancelled — send to the box office';
    case 'WRONG_EVENT':
      return 'This ticket is for a different event or date';
    case 'WRONG_GATE': {
      const names = (result.allowedGates ?? [])
        .map((gate) =>
          typeof gate === 'object' && gate !== null && typeof gate.name === 'string' ? gate.name.trim() : '',
        )
        .filter(Boolean);
      return names.length > 0
        ? `Use ${names.map(gateWords).join(' or ')}`
        : 'Not this gate — use another entrance (gate list syncing)';
    }
    case 'NOT_YET_VALID':
      return result.detail === 'doors-closed' ? 'Doors are not open yet' : 'This ticket is not valid yet';
    case 'EXPIRED':
      return result.detail === 'event-ended' ? 'The event has ended' : 'This ticket is no longer valid';
    case 'CODE_EXPIRED':
      // A rotating code (issue 20) from outside the gate's time window: a screenshot or a stale screen,
      // or (ahead) a phone whose clock runs fast.
      return result.detail === 'ahead'
        ? 'The phone’s clock is ahead — set it to automatic time, then show the code again'
        : 'Old code (screenshot?) — open the ticket in the wallet now';
    case 'HOLDER_CODE_REQUIRED':
      return 'This ticket only opens in the wallet — printed or copied codes are refused';
    case 'INVALID':
      if (result.detail === 'not-issued')
        return 'This code is not the one issued for this ticket — send to the box office';
      if (result.detail === 'holder-key-replaced')
        return 'Code from a replaced phone — ask for the ticket on their current phone';
      if (result.detail === 'holder-key-unknown')
        return 'Phone not registered on this gate yet — sync or use the box office';
      return 'Not a ticket we issued, or damaged — ask for the ticket again';
    default:
      return noDetailFor(result.reason);
  }
}

/** A zone as the steward says it: its name, or "this area" when the agent sends none. */
function zoneWords(name: string | null | undefined): string {
  return name?.trim() || 'this area';
}

/**
 * The headline, sharper than the reason's label where zones tell more: "VIP Lounge full", "No re-entry",
 * "Already inside", "Not in VIP Lounge" (an exit through an inner door of someone the records put
 * elsewhere: the label "Not checked in" would be wrong, they are inside the venue).
 */
function headlineFor(result: ScanResult, options: DescribeOptions): string {
  const zone = result.zone?.name?.trim();
  if (result.reason === 'ZONE_FULL' && zone) return `${zone} full`;
  if (result.reason === 'ALREADY_USED' && result.detail === 'no-reentry') return 'No re-entry';
  if (result.reason === 'CODE_EXPIRED' && result.detail === 'ahead') return 'Phone clock wrong';
  if (result.reason === 'ALREADY_USED' && result.detail === 'inside-elsewhere') return 'Already inside';
  if (result.reason === 'NOT_INSIDE' && result.detail === 'not-in-zone') {
    const left = options.passage?.to?.name?.trim();
    return left ? `Not in ${left}` : 'Not in this area';
  }
  return reasonHeadline(result.reason);
}

/**
 * Every reason has its case above: a reason added to the list makes this call fail to compile. At run
 * time (an agent newer than this screen) an unknown reason gets no detail line.
 */
function noDetailFor(_reason: never): undefined {
  return undefined;
}

/** "Standing · No. 1042": the ticket as the verdict and the Undo bar name it. */
export function ticketLineFor(result: Pick<ScanResult, 'ticket'>): string | undefined {
  const ticket = result.ticket;
  if (!ticket) return undefined;
  const type = ticket.typeName?.trim() || `Ticket type ${ticket.typeNo}`;
  return `${type} · No. ${ticket.serial}`;
}

/** Words for an agent answer. The decision field alone decides ACCEPT; nothing else can. */
export function describeScan(
  result: ScanResult,
  direction: ScanDirection,
  options: DescribeOptions,
): VerdictText {
  const accept = result.decision === 'accept';
  const text: VerdictText = {
    kind: accept ? 'accept' : 'reject',
    title: accept ? 'ACCEPT' : 'REJECT',
    headline: accept && direction === 'out' ? 'Exit recorded' : headlineFor(result, options),
  };
  const detail = detailFor(result, direction, options);
  if (detail) text.detail = detail;
  const holderName = typeof result.holderName === 'string' ? result.holderName.trim() : '';
  if (holderName) {
    text.holderLine = `Name: ${holderName}`;
    text.holderName = holderName;
  }
  const ticketLine = ticketLineFor(result);
  if (ticketLine) text.ticketLine = ticketLine;
  if (result.reason === 'OK_UNSYNCED') text.note = 'Not yet synced: ticket newer than this gate’s list';
  return text;
}

/** Words when no decision could be had: never an ACCEPT. */
export function describeFailure(message = 'The gate agent did not answer'): VerdictText {
  return {
    kind: 'error',
    title: 'NOT CHECKED',
    headline: 'Scan again',
    detail: `${message}. Do not admit until the scan shows ACCEPT.`,
  };
}
