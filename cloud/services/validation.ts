/**
 * Online validation (POST /validate, venue_staff): the same decision a gate agent makes offline, taken
 * the same way — open the token, look the ticket up, authenticate, decide (shared/admission) — against
 * PostgreSQL, then recorded. Two stewards scanning one ticket at two doors at the same instant admit it
 * once: the common case is decided from a plain read and written by one database statement that checks,
 * under the ticket's lock, that the read still holds (./online-admission.ts; the loser decides again), so
 * the event row that numbers the record is never held across this process's event loop (issue 19). An
 * entry into a zone with a capacity is decided the locked way: ticket and zone rows locked in a
 * transaction until its record commits.
 *
 * The ticket's state comes from its whole admission history (./admissions.ts: entries and exits at every
 * gate, uploaded, and online), and an online accept appends the cloud's own record to it, which reaches
 * every gate of the event with its next pull (issue 14). At a venue with zones (issue 18) the scan is a
 * move along the gate's passage, decided by the zone rules (./validation-zones.ts) and recorded with the
 * move it made; a venue without zones decides and records exactly as before.
 *
 * One rule is the cloud's own: it is the source of truth, so a validly signed token with no ticket row
 * was minted for a purchase that never committed and is not a ticket (a gate would admit it unsynced).
 */
import {
  type AdmissionDecision,
  authenticateToken,
  decideAdmission,
  decideTokenRejection,
  openToken,
  type SignatureKeys,
} from '../../shared/admission';
import { admissionTimeAfter } from '../../shared/admission/history';
import type { OpenedToken, TicketClaims } from '../../shared/crypto';
import type { Database, Executor, Transaction } from '../db/client';
import { type gates, type ScanDirection, scans } from '../db/schema';
import { inTransaction } from '../db/transaction';
import { fail, type Result } from '../errors';
import type { Actor } from './actor';
import { appendAdmissions } from './admissions';
import type { ServiceContext } from './context';
import { recordOnlineAdmission } from './online-admission';
import {
  admissionContextOf,
  type EventRow,
  type GateScanContext,
  gateScanContext,
  lockTicketWithType,
  type TicketRow,
  ticketWithHistory,
  type ZoneRuleRow,
} from './validation-lookup';
import { takesZoneLock } from './validation-zones';

export interface ValidationView {
  decision: 'accept' | 'reject';
  reason: AdmissionDecision['reason'];
  detail?: string;
  ticket?: { id?: string; serial: number; typeNo: number; typeName?: string; generation: number };
  /** With a ticket the cloud holds: its holder's name (null when none), for the steward's ID check. */
  holderName?: string | null;
  alreadyUsed?: { at: string; gateId: string; gateName: string | null };
  allowedGateIds?: string[];
  /** The target zone and its count before the move (accepts into a zone, ZONE_FULL, ZONE_NOT_ALLOWED). */
  zone?: { id: string; name: string; capacity: number | null; inside: number };
  scannedAt: string;
}

/** One online scan: who scanned, where, which way, when. */
export interface OnlineScan {
  ctx: ServiceContext;
  actor: Actor;
  gate: typeof gates.$inferSelect;
  direction: ScanDirection;
  now: number;
}

/** A decision with the rows the scan is recorded against (null: the token proved none). */
export interface OnlineDecision {
  decision: AdmissionDecision;
  eventId: string | null;
  ticketId: string | null;
  /** The identified ticket's holder name (null when it has none); absent when no ticket row was found. */
  holderName?: string | null;
  /** The corrected time of the ticket's latest admission record when decided. */
  latestAt?: number | undefined;
  /** The venue has zones: an accepted entry or exit records its move (fromZone/toZone). */
  hasZones?: boolean;
}

/** Decides one online scan and records it. */
export async function validateOnline(
  ctx: ServiceContext,
  actor: Actor,
  input: { qr: string; gateId: string; direction?: ScanDirection | undefined },
): Promise<Result<{ validation: ValidationView }>> {
  const now = ctx.clock();
  const read = () => gateScanContext(ctx, actor.tenantId, input.gateId, now);
  let context = ctx.scanContexts
    ? await ctx.scanContexts.get(actor.tenantId, input.gateId, now, read)
    : { context: await read(), cached: false };
  if (!context.context) return fail('NOT_FOUND', 'gate not found');
  let opened = openToken(input.qr, context.context.keys.verifier);
  if (context.cached && (!opened.ok || !eventOf(context.context, opened.claims.eventId))) {
    // A kept context may predate the token's event or key version: refuse only with a fresh one.
    ctx.scanContexts?.forgetGate(actor.tenantId, input.gateId);
    context = { context: await read(), cached: false };
    if (!context.context) return fail('NOT_FOUND', 'gate not found');
    opened = openToken(input.qr, context.context.keys.verifier);
  }
  const { gate, keys, rules } = context.context;
  const scan: OnlineScan = { ctx, actor, gate, direction: input.direction ?? 'in', now };
  // The scan pool (db/client.ts): a scan never waits for a connection behind queued purchases.
  const db = ctx.scanDb ?? ctx.db;

  let decided: OnlineDecision;
  if (!opened.ok) {
    decided = { decision: decideTokenRejection(opened), eventId: null, ticketId: null };
    await recordScan(db, scan, decided);
  } else {
    const event = eventOf(context.context, opened.claims.eventId);
    const found = { opened, event, keys: keys.verifier, rules };
    decided = (await decideFromRead(db, scan, found)) ?? (await decideLocked(db, scan, found));
    if (decided.decision.decision === 'accept') ctx.changesCommitted?.();
  }
  return { ok: true, validation: view(decided, now) };
}

/** The event of the gate's context a token claims, if the context lists it. */
function eventOf(context: GateScanContext, eventId: string): EventRow | undefined {
  return context.keys.events.find((candidate) => candidate.id === eventId);
}

/** What a scan's token opened to, and what its gate's context already holds. */
interface OpenedScan {
  opened: OpenedToken;
  event: EventRow | undefined;
  keys: SignatureKeys;
  rules: ZoneRuleRow[];
}

/** Reads of a scan on the fast path before it goes the locked way (each a race lost to another writer). */
const READ_ATTEMPTS = 3;

/**
 * The common case (issue 19): the ticket, its type and its history read in one parallel hop with no
 * transaction, the decision taken as always, and an accept recorded in one statement that re-checks the
 * read under the ticket's lock (./online-admission.ts) — so the event row, which numbers every change of
 * the event, is never held across this process's event loop. A rejection is its scan row alone.
 * Undefined: decide it the locked way — an entry into a zone with a capacity (the zone's lock is held
 * while counting, ./validation-zones.ts), or a read that went stale READ_ATTEMPTS times.
 */
async function decideFromRead(
  db: Database,
  scan: OnlineScan,
  found: OpenedScan,
): Promise<OnlineDecision | undefined> {
  if (takesZoneLock(found.rules, scan)) return undefined;
  const { opened, event } = found;
  for (let attempt = 1; attempt <= READ_ATTEMPTS; attempt++) {
    const read = await ticketWithHistory(db, scan.actor.tenantId, opened.claims);
    const { ticket, type } = read;
    // The history of an event this gate does not serve is never folded (the decision refuses it anyway).
    const history = event ? read.history : [];
    const known = { type, rules: found.rules, history };
    const decided = await decideOpened(db, scan, { ...found, ticket, known });
    if (decided.decision.decision !== 'accept' || !ticket || !decided.eventId) {
      await recordScan(db, scan, decided);
      return decided;
    }
    const outcome = await recordOnlineAdmission(db, {
      tenantId: scan.actor.tenantId,
      eventId: decided.eventId,
      ticket,
      historyCount: history.length,
      scanId: scan.ctx.newId(),
      gate: { id: scan.gate.id, name: scan.gate.name },
      staffUserId: scan.actor.userId,
      direction: scan.direction,
      reason: decided.decision.reason,
      scannedAt: new Date(scan.now),
      atMs: admissionTimeAfter(scan.now, decided.latestAt),
      move: decided.hasZones ? decided.decision.move : undefined,
    });
    if (outcome === 'ok') return decided;
  }
  return undefined;
}

/** The locked way: the ticket locked (and the zone's row, for a capacity) until the record commits. */
async function decideLocked(db: Database, scan: OnlineScan, found: OpenedScan): Promise<OnlineDecision> {
  return inTransaction(db, async (tx) => {
    const { ticket, type } = await lockTicketWithType(tx, scan.actor.tenantId, found.opened.claims);
    const result = await decideOpened(tx, scan, { ...found, ticket, known: { type, rules: found.rules } });
    await recordScan(tx, scan, result);
    await recordAdmission(tx, scan, result);
    return result;
  });
}

/** Authenticates an opened token against the ticket row and decides. */
async function decideOpened(
  tx: Executor,
  scan: OnlineScan,
  found: {
    opened: OpenedToken;
    event: EventRow | undefined;
    ticket: TicketRow | undefined;
    keys: SignatureKeys;
    known: Parameters<typeof admissionContextOf>[5];
  },
): Promise<OnlineDecision> {
  const { opened, event, ticket } = found;
  const { claims } = opened;
  const token = authenticateToken(opened, ticket?.digest, found.keys);
  if (!token.ok) return { decision: decideTokenRejection(token), eventId: null, ticketId: null };
  const situation = {
    gate: { id: scan.gate.id, name: scan.gate.name },
    direction: scan.direction,
    now: scan.now,
  };
  if (!event) {
    const decision = decideAdmission({
      token,
      event: undefined,
      ticketType: undefined,
      ticket: undefined,
      lastAdmission: undefined,
      ...situation,
    });
    return { decision, eventId: null, ticketId: null };
  }
  if (!ticket) return { decision: unknownTicket(claims), eventId: event.id, ticketId: null };
  const { latestAt, hasZones, ...context } = await admissionContextOf(
    tx,
    event,
    ticket,
    claims.ticketTypeNo,
    scan,
    found.known,
  );
  return {
    decision: decideAdmission({ token, ...context, ...situation }),
    eventId: event.id,
    ticketId: ticket.id,
    holderName: ticket.holderName,
    latestAt,
    hasZones,
  };
}

/**
 * A validly signed token with no ticket row: the cloud is the source of truth, so it was minted for a
 * purchase that never committed and is not a ticket.
 */
function unknownTicket(claims: TicketClaims): AdmissionDecision {
  return {
    decision: 'reject',
    reason: 'INVALID',
    detail: 'unknown-ticket',
    ticket: { serial: claims.ticketSerial, typeNo: claims.ticketTypeNo, generation: claims.generation },
  };
}

/** Records the scan (accepted or not) in the staff's scan log. */
export async function recordScan(
  executor: Transaction | ServiceContext['db'],
  scan: OnlineScan,
  decided: OnlineDecision,
): Promise<void> {
  await executor.insert(scans).values({
    id: scan.ctx.newId(),
    tenantId: scan.actor.tenantId,
    eventId: decided.eventId,
    ticketId: decided.ticketId,
    gateId: scan.gate.id,
    staffUserId: scan.actor.userId,
    direction: scan.direction,
    accepted: decided.decision.decision === 'accept' ? 1 : 0,
    reason: decided.decision.reason,
    generation: decided.decision.ticket?.generation ?? null,
    scannedAt: new Date(scan.now),
  });
}

/**
 * An accepted online scan's admission record (origin `cloud`): the transaction's last lock. A box-office
 * check-in (./box-office.ts) names the staff user and their note; returns the record filed (or none).
 */
export async function recordAdmission(
  tx: Transaction,
  scan: OnlineScan,
  decided: OnlineDecision,
  boxOffice?: { note: string | null },
): Promise<FiledAdmission | null> {
  const { decision, eventId } = decided;
  if (decision.decision !== 'accept' || !eventId || !decision.ticket) return null;
  // Only at a venue with zones: a venue without them writes records as it always did.
  const move = decided.hasZones && decision.move ? decision.move : undefined;
  const [filed] = await appendAdmissions(tx, {
    eventId,
    records: [
      {
        serial: decision.ticket.serial,
        origin: null,
        originSeq: null,
        direction: scan.direction,
        // After the ticket's latest record, whatever the recording gate's clock estimate said.
        atMs: admissionTimeAfter(scan.now, decided.latestAt),
        gateId: scan.gate.id,
        gateName: scan.gate.name,
        unconfirmed: false,
        source: boxOffice ? 'check-in' : 'validate',
        deviceId: null,
        deviceSeq: null,
        ...(boxOffice ? { recordedBy: scan.actor.userId, note: boxOffice.note } : {}),
        ...(move ? { fromZone: move.from, toZone: move.to } : {}),
      },
    ],
    now: new Date(scan.now),
  });
  return filed ? { origin: filed.origin, originSeq: filed.originSeq, at: filed.at } : null;
}

/** The admission record an online decision filed: its name and corrected time. */
export interface FiledAdmission {
  origin: string;
  originSeq: number;
  at: number;
}

/** The answer of an online decision (also the body of a box-office check-in). */
export function view({ decision, ticketId, holderName }: OnlineDecision, now: number): ValidationView {
  const out: ValidationView = {
    decision: decision.decision,
    reason: decision.reason,
    scannedAt: new Date(now).toISOString(),
  };
  if (decision.detail) out.detail = decision.detail;
  if (decision.ticket) out.ticket = { ...decision.ticket, ...(ticketId ? { id: ticketId } : {}) };
  if (decision.ticket && holderName !== undefined) out.holderName = holderName;
  if (decision.alreadyUsed) {
    out.alreadyUsed = {
      at: new Date(decision.alreadyUsed.at).toISOString(),
      gateId: decision.alreadyUsed.gateId,
      gateName: decision.alreadyUsed.gateName ?? null,
    };
  }
  if (decision.allowedGateIds) out.allowedGateIds = [...decision.allowedGateIds];
  if (decision.zone) out.zone = { ...decision.zone };
  return out;
}
