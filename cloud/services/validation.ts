/**
 * Online validation (POST /validate, venue_staff): the same decision a gate agent makes offline
 * (shared/admission), taken against PostgreSQL. The ticket row is locked while deciding and recording the
 * scan, so two stewards scanning one ticket at two doors at the same instant admit it once.
 */
import { and, desc, eq, gt, inArray } from 'drizzle-orm';
import { type AdmissionDecision, type CheckedToken, decideAdmission } from '../../shared/admission';
import { type EventKey, TicketVerifier, ticketTokenDigest } from '../../shared/crypto';
import type { Transaction } from '../db/client';
import { events, gates, type ScanDirection, scans, tickets, ticketTypes } from '../db/schema';
import { inTransaction } from '../db/transaction';
import { fail, type Result } from '../errors';
import type { Actor } from './actor';
import type { ServiceContext } from './context';
import { findGate } from './venues';

/** Tokens of events that ended longer ago than this are not looked up (WRONG_EVENT). */
const RECENT_EVENT_MS = 7 * 24 * 3600 * 1000;

export interface ValidationView {
  decision: 'accept' | 'reject';
  reason: AdmissionDecision['reason'];
  detail?: string;
  ticket?: { id?: string; serial: number; typeNo: number; typeName?: string; generation: number };
  alreadyUsed?: { at: string; gateId: string; gateName: string | null };
  allowedGateIds?: string[];
  scannedAt: string;
}

type GateRow = typeof gates.$inferSelect;

/** Decides one online scan and records it. */
export async function validateOnline(
  ctx: ServiceContext,
  actor: Actor,
  input: { qr: string; gateId: string; direction?: ScanDirection | undefined },
): Promise<Result<{ validation: ValidationView }>> {
  const now = ctx.clock();
  const direction = input.direction ?? 'in';
  const gate = await findGate(ctx, actor.tenantId, input.gateId);
  if (!gate) return fail('NOT_FOUND', 'gate not found');

  const candidates = await ctx.db
    .select()
    .from(events)
    .where(
      and(
        eq(events.tenantId, actor.tenantId),
        eq(events.venueId, gate.venueId),
        inArray(events.status, ['published', 'cancelled']),
        gt(events.endsAt, new Date(now - RECENT_EVENT_MS)),
      ),
    );
  const eventKeys: EventKey[] = [];
  for (const event of candidates) eventKeys.push(...(await ctx.keyring.eventKeysOf(event.id)));
  const verifier = new TicketVerifier({ signingKeys: await ctx.keyring.trustedSigningKeys(now), eventKeys });
  const verdict = verifier.verify(input.qr, now);

  if (!verdict.ok) {
    const decision = decideAdmission({
      token: verdict,
      event: undefined,
      ticketType: undefined,
      ticket: undefined,
      lastAdmission: undefined,
      gate: { id: gate.id, name: gate.name },
      direction,
      now,
    });
    await recordScan(ctx.db, { ctx, actor, gate, direction, now, decision, eventId: null, ticketId: null });
    return { ok: true, validation: view(decision, now) };
  }

  const claims = verdict.claims;
  const event = candidates.find((candidate) => candidate.id === claims.eventId);
  const digest = ticketTokenDigest(input.qr);
  const token: CheckedToken = {
    ok: true,
    claims,
    authenticatedBy: 'signature',
    ...(digest ? { digest } : {}),
  };

  const decision = await inTransaction(ctx.db, async (tx) => {
    const [ticket] = await tx
      .select()
      .from(tickets)
      .where(
        and(
          eq(tickets.eventId, claims.eventId),
          eq(tickets.serial, claims.ticketSerial),
          eq(tickets.tenantId, actor.tenantId),
        ),
      )
      .for('update');
    if (!event || !ticket) {
      // The cloud is the source of truth: a validly signed token with no ticket row was minted for a
      // purchase that never committed, and is not a ticket.
      const unknown: AdmissionDecision = event
        ? {
            decision: 'reject',
            reason: 'INVALID',
            detail: 'unknown-ticket',
            ticket: {
              serial: claims.ticketSerial,
              typeNo: claims.ticketTypeNo,
              generation: claims.generation,
            },
          }
        : decideAdmission({
            token,
            event: undefined,
            ticketType: undefined,
            ticket: undefined,
            lastAdmission: undefined,
            gate: { id: gate.id, name: gate.name },
            direction,
            now,
          });
      await recordScan(tx, {
        ctx,
        actor,
        gate,
        direction,
        now,
        decision: unknown,
        eventId: event?.id ?? null,
        ticketId: null,
      });
      return { decision: unknown, ticketId: undefined };
    }
    const [type] = await tx
      .select()
      .from(ticketTypes)
      .where(and(eq(ticketTypes.eventId, event.id), eq(ticketTypes.typeNo, claims.ticketTypeNo)));
    const [last] = await tx
      .select({
        direction: scans.direction,
        scannedAt: scans.scannedAt,
        gateId: scans.gateId,
        gateName: gates.name,
      })
      .from(scans)
      .leftJoin(gates, eq(gates.id, scans.gateId))
      .where(and(eq(scans.ticketId, ticket.id), eq(scans.accepted, 1)))
      .orderBy(desc(scans.scannedAt), desc(scans.id))
      .limit(1);
    const result = decideAdmission({
      token,
      event: {
        id: event.id,
        status: event.status,
        doorsOpenAt: event.doorsOpenAt ? event.doorsOpenAt.getTime() : null,
        startsAt: event.startsAt.getTime(),
        endsAt: event.endsAt.getTime(),
      },
      ticketType: type ? { typeNo: type.typeNo, name: type.name, gateIds: type.gateIds ?? null } : undefined,
      ticket: {
        serial: ticket.serial,
        typeNo: ticket.typeNo,
        generation: ticket.generation,
        status: ticket.status,
        digest: ticket.digest,
      },
      lastAdmission: last
        ? {
            direction: last.direction,
            at: last.scannedAt.getTime(),
            gateId: last.gateId,
            gateName: last.gateName,
          }
        : undefined,
      gate: { id: gate.id, name: gate.name },
      direction,
      now,
    });
    await recordScan(tx, {
      ctx,
      actor,
      gate,
      direction,
      now,
      decision: result,
      eventId: event.id,
      ticketId: ticket.id,
    });
    return { decision: result, ticketId: ticket.id };
  });
  const validation = view(decision.decision, now);
  if (validation.ticket && decision.ticketId) validation.ticket.id = decision.ticketId;
  return { ok: true, validation };
}

async function recordScan(
  executor: Transaction | ServiceContext['db'],
  input: {
    ctx: ServiceContext;
    actor: Actor;
    gate: GateRow;
    direction: ScanDirection;
    now: number;
    decision: AdmissionDecision;
    eventId: string | null;
    ticketId: string | null;
  },
): Promise<void> {
  await executor.insert(scans).values({
    id: input.ctx.newId(),
    tenantId: input.actor.tenantId,
    eventId: input.eventId,
    ticketId: input.ticketId,
    gateId: input.gate.id,
    staffUserId: input.actor.userId,
    direction: input.direction,
    accepted: input.decision.decision === 'accept' ? 1 : 0,
    reason: input.decision.reason,
    generation: input.decision.ticket?.generation ?? null,
    scannedAt: new Date(input.now),
  });
}

function view(decision: AdmissionDecision, now: number): ValidationView {
  const out: ValidationView = {
    decision: decision.decision,
    reason: decision.reason,
    scannedAt: new Date(now).toISOString(),
  };
  if (decision.detail) out.detail = decision.detail;
  if (decision.ticket) out.ticket = { ...decision.ticket };
  if (decision.alreadyUsed) {
    out.alreadyUsed = {
      at: new Date(decision.alreadyUsed.at).toISOString(),
      gateId: decision.alreadyUsed.gateId,
      gateName: decision.alreadyUsed.gateName ?? null,
    };
  }
  if (decision.allowedGateIds) out.allowedGateIds = [...decision.allowedGateIds];
  return out;
}
