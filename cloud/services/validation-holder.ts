/**
 * Online validation of a holder-bound rotating code (issue 20, POST /validate): the wallet's code is
 * checked as a gate checks it (shared/admission/holder-code.ts), with the binding from the ticket's own
 * columns and the cloud's clock (one time step either side), then decided and recorded exactly as a
 * static code is (./validation.ts): the ticket row locked while deciding, the scan logged, an accept filed
 * as the cloud's admission record. The route sends a scan here when its text has a holder code's shape.
 */
import { decideAdmission } from '../../shared/admission';
import { authenticateHolderCode } from '../../shared/admission/holder-code';
import { holderEventTag, type ParsedHolderCode, parseHolderCode } from '../../shared/crypto';
import type { Transaction } from '../db/client';
import type { ScanDirection } from '../db/schema';
import { inTransaction } from '../db/transaction';
import { fail, type Result } from '../errors';
import type { Actor } from './actor';
import type { ServiceContext } from './context';
import { holderKeyBindingOf } from './holder-keys';
import {
  type OnlineDecision,
  type OnlineScan,
  recordAdmission,
  recordScan,
  type ValidationView,
  view,
} from './validation';
import {
  admissionContextOf,
  type EventRow,
  knownTicketOf,
  lockTicket,
  venueTokenKeys,
} from './validation-lookup';
import { findGate } from './venues';

/** `/validate` judges a code's time step by the cloud's own clock: one step either side. */
const CLOUD_WINDOW_STEPS = 1;

/** Decides one scanned holder code and records it. */
export async function validateHolderCodeOnline(
  ctx: ServiceContext,
  actor: Actor,
  input: { qr: string; gateId: string; direction?: ScanDirection | undefined },
): Promise<Result<{ validation: ValidationView }>> {
  const now = ctx.clock();
  const gate = await findGate(ctx, actor.tenantId, input.gateId);
  if (!gate) return fail('NOT_FOUND', 'gate not found');
  const scan: OnlineScan = { ctx, actor, gate, direction: input.direction ?? 'in', now };
  const parsed = parseHolderCode(input.qr);
  let decided: OnlineDecision;
  if (!parsed.ok) {
    const decision = { decision: 'reject' as const, reason: parsed.reason, detail: parsed.detail };
    decided = { decision, eventId: null, ticketId: null };
    await recordScan(ctx.db, scan, decided);
    return { ok: true, validation: view(decided, now) };
  }
  // The events a scan here may be for, as for a static code; the code's tag names one of them.
  const { events } = await venueTokenKeys(ctx, actor.tenantId, gate.venueId, now);
  const event = events.find((candidate) => holderEventTag(candidate.id) === parsed.fields.eventTag);
  decided = await inTransaction(ctx.db, async (tx) => {
    const result = await decideHolderCode(tx, scan, parsed, event);
    await recordScan(tx, scan, result);
    await recordAdmission(tx, scan, result);
    return result;
  });
  if (decided.decision.decision === 'accept') ctx.changesCommitted?.();
  return { ok: true, validation: view(decided, now) };
}

/** Authenticates the code against the ticket's row (locked until the transaction ends) and decides. */
async function decideHolderCode(
  tx: Transaction,
  scan: OnlineScan,
  code: ParsedHolderCode,
  event: EventRow | undefined,
): Promise<OnlineDecision> {
  const ticket = event
    ? await lockTicket(tx, scan.actor.tenantId, {
        eventId: event.id,
        ticketSerial: code.fields.serial,
        ticketTypeNo: 0,
        generation: code.fields.generation,
      })
    : undefined;
  const check = authenticateHolderCode(
    code,
    {
      eventId: event?.id,
      ticket: ticket ? knownTicketOf(ticket) : undefined,
      binding: ticket ? holderKeyBindingOf(ticket) : undefined,
    },
    scan.now,
    CLOUD_WINDOW_STEPS,
  );
  // A code that proved nothing is recorded against no ticket, as a static token that fails to open.
  if (!check.ok || !event || !ticket) {
    const decision = check.ok ? { decision: 'reject' as const, reason: 'INVALID' as const } : check.decision;
    return { decision, eventId: event?.id ?? null, ticketId: null };
  }
  const { latestAt, hasZones, ...context } = await admissionContextOf(tx, event, ticket, ticket.typeNo, scan);
  const decision = decideAdmission({
    token: check.token,
    ...context,
    gate: { id: scan.gate.id, name: scan.gate.name },
    direction: scan.direction,
    now: scan.now,
  });
  return {
    decision,
    eventId: event.id,
    ticketId: ticket.id,
    holderName: ticket.holderName,
    latestAt,
    hasZones,
  };
}
