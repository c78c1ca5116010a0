/**
 * The box office's manual check-in (issue 17): venue staff admit a ticket whose code cannot be scanned
 * (a cracked phone, a torn print-out) by picking the ticket itself. It is an admission like any other:
 * decided by the SAME rules as online validation (shared/admission decideAdmission, over the context
 * ./validation-lookup.ts reads), recorded in the staff's scan log and — when accepted — as an admission
 * record of origin `cloud` in the event's change sequence, so every gate hears of it with its next pull.
 * The record also names the staff user and their note, for reconciliation.
 *
 * There is no code to open, so the token the decision takes is built from the ticket row: the current
 * generation, authenticated by the cloud's own row (the cloud mints no validity window into its codes,
 * so the row lacks nothing the decision would read from one).
 */
import { and, eq } from 'drizzle-orm';
import { type CheckedToken, decideAdmission } from '../../shared/admission';
import { events, type ScanDirection, tickets } from '../db/schema';
import { inTransaction } from '../db/transaction';
import { fail, type Result } from '../errors';
import type { Actor } from './actor';
import type { ServiceContext } from './context';
import {
  type FiledAdmission,
  type OnlineDecision,
  type OnlineScan,
  recordAdmission,
  recordScan,
  type ValidationView,
  view,
} from './validation';
import { admissionContextOf, isServedEvent, type TicketRow } from './validation-lookup';
import { findGate } from './venues';

export interface CheckInInput {
  gateId: string;
  direction?: ScanDirection | undefined;
  note?: string | undefined;
}

/** The answer: the decision as `/validate` gives it, and the record filed (null on a reject). */
export type CheckInView = ValidationView & {
  admission: { origin: string; originSeq: number; at: string } | null;
};

/**
 * The ticket as the cloud's own row vouches for it: the box office checks the person, not a code, so a
 * type that requires the wallet's rotating code (issue 20) is still checked in here.
 */
function tokenOfRow(ticket: TicketRow): CheckedToken {
  return {
    ok: true,
    claims: {
      eventId: ticket.eventId,
      ticketSerial: ticket.serial,
      ticketTypeNo: ticket.typeNo,
      generation: ticket.generation,
    },
    authenticatedBy: 'staff',
  };
}

/** Checks a ticket in (or out) by hand at one of the event's gates. */
export async function checkInTicket(
  ctx: ServiceContext,
  actor: Actor,
  ref: { eventId: string; ticketId: string },
  input: CheckInInput,
): Promise<Result<{ checkIn: CheckInView }>> {
  const now = ctx.clock();
  const [event] = await ctx.db
    .select()
    .from(events)
    .where(and(eq(events.id, ref.eventId), eq(events.tenantId, actor.tenantId)));
  if (!event) return fail('NOT_FOUND', 'event not found');
  const gate = await findGate(ctx, actor.tenantId, input.gateId);
  // Only a gate of the event's venue: the decision (and every door's view of it) names the gate.
  if (!gate || gate.venueId !== event.venueId)
    return fail('NOT_FOUND', 'gate not found at the event’s venue');
  const scan: OnlineScan = { ctx, actor, gate, direction: input.direction ?? 'in', now };

  const outcome = await inTransaction(ctx.db, async (tx) => {
    // Locked like /validate locks it: a check-in, a scan and an undo of one ticket take turns.
    const [ticket] = await tx
      .select()
      .from(tickets)
      .where(
        and(
          eq(tickets.id, ref.ticketId),
          eq(tickets.eventId, event.id),
          eq(tickets.tenantId, actor.tenantId),
        ),
      )
      .for('update');
    if (!ticket) return null;
    const { latestAt, hasZones, ...context } = await admissionContextOf(
      tx,
      event,
      ticket,
      ticket.typeNo,
      scan,
    );
    const decision = decideAdmission({
      token: tokenOfRow(ticket),
      ...context,
      // An event /validate would not serve (a draft, long over) is not served here either.
      event: isServedEvent(event, now) ? context.event : undefined,
      gate: { id: gate.id, name: gate.name },
      direction: scan.direction,
      now,
    });
    const decided: OnlineDecision = {
      decision,
      eventId: event.id,
      ticketId: ticket.id,
      holderName: ticket.holderName,
      latestAt,
      hasZones,
    };
    await recordScan(tx, scan, decided);
    const filed = await recordAdmission(tx, scan, decided, { note: input.note ?? null });
    return { decided, filed };
  });
  if (!outcome) return fail('NOT_FOUND', 'ticket not found');
  if (outcome.filed) ctx.changesCommitted?.();
  return {
    ok: true,
    checkIn: { ...view(outcome.decided, now), admission: filedView(outcome.filed) },
  };
}

function filedView(filed: FiledAdmission | null): CheckInView['admission'] {
  return filed
    ? { origin: filed.origin, originSeq: filed.originSeq, at: new Date(filed.at).toISOString() }
    : null;
}
