/**
 * Tickets: minting tokens, the holder's views, the QR image and transfers. A ticket is one row for its
 * whole life; a transfer bumps its `generation` and replaces its token, so the previous holder's QR is
 * revoked (gates see the new generation and digest in the change log). A transfer also replaces the
 * holder name: the new holder's, or none — never the previous holder's (./holder-name-rules.ts) — and
 * clears the holder's device binding (issue 20, ./holder-keys.ts): the new holder claims the ticket anew.
 */
import { and, eq, getTableColumns, type SQL, sql } from 'drizzle-orm';
import QRCode from 'qrcode';
import { issueTicketToken, ticketTokenDigest } from '../../shared/crypto';
import { eventCounters, events, type TicketStatus, tickets } from '../db/schema';
import { Rollback, transactionOutcome } from '../db/transaction';
import { fail, type Result } from '../errors';
import type { Actor } from './actor';
import { appendTicketChanges, type TicketChange } from './changes';
import type { ServiceContext } from './context';
import { type HolderKeySummary, holderKeySummaryOf } from './holder-keys';
import { nameBoxFor, normaliseHolderName } from './holder-name-rules';
import { enqueueMints } from './minting/tickets';
import { keysetPage, type Page, type PageRequest } from './pagination';

export interface TicketView {
  id: string;
  eventId: string;
  ticketTypeId: string;
  orderId: string;
  serial: number;
  generation: number;
  status: TicketStatus;
  /** The token a gate scans; only shown to the ticket's holder and the tenant's admins. */
  qr: string;
  /** The holder's name (issue 17), null when none was given. */
  holderName: string | null;
  /** The wallet device bound to the ticket (issue 20), null while none is. */
  holderKey: HolderKeySummary | null;
  /** The type's policy: `required` — only the wallet's rotating code admits. */
  holderCode: HolderCodePolicy;
  issuedAt: string;
}

export type TicketRow = typeof tickets.$inferSelect;
export type HolderCodePolicy = 'allowed' | 'required';
/** A ticket row with its type's holder-code policy: what a view is made of. */
export type TicketViewRow = TicketRow & { holderCode: HolderCodePolicy };

/**
 * The columns a view is read with: the ticket's and its type's policy. Written out in full: drizzle would
 * render an interpolated column unqualified inside the subquery.
 */
export const ticketViewColumns = {
  ...getTableColumns(tickets),
  holderCode: sql<HolderCodePolicy>`(select tt.holder_code from ticket_types tt where tt.id = "tickets"."ticket_type_id")`,
};

export function ticketView(row: TicketViewRow): TicketView {
  return {
    id: row.id,
    eventId: row.eventId,
    ticketTypeId: row.ticketTypeId,
    orderId: row.orderId,
    serial: row.serial,
    generation: row.generation,
    status: row.status,
    qr: row.qr,
    holderName: row.holderName,
    holderKey: holderKeySummaryOf(row),
    holderCode: row.holderCode,
    issuedAt: row.issuedAt.toISOString(),
  };
}

/**
 * Reserves `count` consecutive ticket serials of an event. Runs in its own short statement (not in the
 * purchase transaction) so minting never waits behind the event's change lock; a purchase that fails
 * later leaves a gap, which is harmless (serials are unique, not dense).
 */
export async function allocateSerials(ctx: ServiceContext, eventId: string, count: number): Promise<number> {
  const [row] = await ctx.db
    .update(eventCounters)
    .set({ nextSerial: sql`${eventCounters.nextSerial} + ${count}` })
    .where(eq(eventCounters.eventId, eventId))
    .returning({ next: eventCounters.nextSerial });
  if (!row) throw new Error(`allocateSerials: event ${eventId} has no counter`);
  const first = row.next - count;
  if (row.next - 1 > 0xffff_ffff) throw new Error(`allocateSerials: event ${eventId} ran out of serials`);
  return first;
}

/** A signed, sealed token and its manifest digest. */
export interface MintedToken {
  qr: string;
  digest: string;
}

/** Mints a ticket token with the active signing key and the event's current key. */
export async function mintToken(
  ctx: ServiceContext,
  input: { eventId: string; keyVersion: number; serial: number; typeNo: number; generation: number },
): Promise<MintedToken> {
  const eventKey = await ctx.keyring.eventKey(input.eventId, input.keyVersion);
  if (!eventKey) throw new Error(`mintToken: event ${input.eventId} has no key version ${input.keyVersion}`);
  const qr = issueTicketToken(
    {
      eventId: input.eventId,
      ticketSerial: input.serial,
      ticketTypeNo: input.typeNo,
      generation: input.generation,
    },
    { signingKey: ctx.keyring.signingKey(), eventKey },
  );
  const digest = ticketTokenDigest(qr);
  if (!digest) throw new Error('mintToken: issued token has no digest');
  return { qr, digest };
}

/**
 * The pool a holder's read of their own tickets runs on: the scan pool (db/client.ts), not the main one.
 * One short statement someone is waiting on must not queue for a connection behind a sale's purchases —
 * under the seeds' load the listing's p95 was 1.3–2.2 s on the main pool, 0.15 s on this one.
 */
function holderReadDb(ctx: ServiceContext) {
  return ctx.scanDb ?? ctx.db;
}

/** The actor's own tickets, newest last. */
export async function listMyTickets(
  ctx: ServiceContext,
  actor: Actor,
  page: PageRequest,
): Promise<Result<{ page: Page<TicketView> }>> {
  const query = holderReadDb(ctx).select(ticketViewColumns).from(tickets).$dynamic();
  const own = and(eq(tickets.tenantId, actor.tenantId), eq(tickets.ownerUserId, actor.userId));
  return keysetPage(query, tickets.id, own, page, ticketView);
}

/** The ticket `ticketId` of the actor's tenant, held by the actor (by anyone with `anyHolder`). */
function ticketScope(actor: Actor, ticketId: string, anyHolder = false): SQL | undefined {
  return and(
    eq(tickets.id, ticketId),
    eq(tickets.tenantId, actor.tenantId),
    anyHolder ? undefined : eq(tickets.ownerUserId, actor.userId),
  );
}

/** The change-log row that tells gates a ticket is revoked (a refund, a cancellation). */
export function revocationChange(
  ticket: Pick<TicketRow, 'id' | 'serial' | 'typeNo' | 'generation' | 'digest'>,
  reason: string,
): TicketChange {
  return {
    op: 'revoke',
    ticketId: ticket.id,
    serial: ticket.serial,
    typeNo: ticket.typeNo,
    generation: ticket.generation,
    status: 'revoked',
    digest: ticket.digest,
    reason,
  };
}

/** A ticket the actor may see: its holder, or an admin of the tenant. */
export async function getTicket(
  ctx: ServiceContext,
  actor: Actor,
  ticketId: string,
): Promise<Result<{ ticket: TicketView }>> {
  const [row] = await holderReadDb(ctx)
    .select(ticketViewColumns)
    .from(tickets)
    .where(ticketScope(actor, ticketId, actor.role === 'admin'));
  return row ? { ok: true, ticket: ticketView(row) } : fail('NOT_FOUND', 'ticket not found');
}

/** The ticket's QR code as SVG (alphanumeric mode: the token is base45). */
export async function ticketQrSvg(
  ctx: ServiceContext,
  actor: Actor,
  ticketId: string,
): Promise<Result<{ svg: string }>> {
  const ticket = await getTicket(ctx, actor, ticketId);
  if (!ticket.ok) return ticket;
  const svg = await QRCode.toString(ticket.ticket.qr, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { ok: true, svg };
}

/**
 * Gives a ticket to another user of the tenant: new generation, new token; the old token is revoked.
 * The ticket row is locked first and the event row last (the change log's lock). A refund of the
 * ticket's order locks the order's ticket rows before it decides (services/orders.ts), so the two
 * never both succeed: whichever holds the ticket row first wins.
 */
export async function transferTicket(
  ctx: ServiceContext,
  actor: Actor,
  ticketId: string,
  input: { toUserId: string; holderName?: string | null | undefined },
): Promise<Result<{ ticket: TicketView }>> {
  if (input.toUserId === actor.userId)
    return fail('VALIDATION_FAILED', 'toUserId: cannot transfer to yourself');
  const holderName = normaliseHolderName(input.holderName);
  if (!holderName.ok) return fail('VALIDATION_FAILED', `holderName: ${holderName.message}`);
  const now = new Date(ctx.clock());
  const outcome: Result<{ ticket: TicketView }> = await transactionOutcome(ctx.db, async (tx) => {
    const [ticket] = await tx.select().from(tickets).where(ticketScope(actor, ticketId)).for('update');
    if (!ticket) throw new Rollback(fail('NOT_FOUND', 'ticket not found'));
    if (ticket.status !== 'valid')
      throw new Rollback(fail('TICKET_NOT_TRANSFERABLE', 'the ticket is revoked'));
    if (ticket.generation >= 0xffff) {
      throw new Rollback(fail('TICKET_NOT_TRANSFERABLE', 'the ticket cannot be transferred again'));
    }
    const [event] = await tx
      .select({ status: events.status, endsAt: events.endsAt, keyVersion: events.keyVersion })
      .from(events)
      .where(eq(events.id, ticket.eventId));
    if (event?.status !== 'published') {
      throw new Rollback(fail('TICKET_NOT_TRANSFERABLE', 'the event is not on sale'));
    }
    if (event.endsAt.getTime() <= now.getTime()) {
      throw new Rollback(fail('TICKET_NOT_TRANSFERABLE', 'the event is over'));
    }
    const generation = ticket.generation + 1;
    const token = await mintToken(ctx, {
      eventId: ticket.eventId,
      keyVersion: event.keyVersion,
      serial: ticket.serial,
      typeNo: ticket.typeNo,
      generation,
    });
    // Sealed to the new token: the old code opens nothing of the new holder's.
    const nameBox = nameBoxFor({ ...ticket, generation, qr: token.qr }, holderName.name);
    const [updated] = await tx
      .update(tickets)
      .set({
        ownerUserId: input.toUserId,
        generation,
        qr: token.qr,
        digest: token.digest,
        holderName: holderName.name,
        nameBox,
        // The binding was the previous holder's device; bindingNo stays, so a later claim moves it on.
        holderPublicKey: null,
        holderKeyAlg: null,
        holderKeyBoundAt: null,
        holderKey: null,
        updatedAt: now,
        // Delegated minting: the new holder gets the ticket minted again (same id, next generation).
        ...(ctx.mintingEnabled ? { mintStatus: 'pending' as const } : {}),
      })
      .where(eq(tickets.id, ticket.id))
      .returning(ticketViewColumns);
    const head = await appendTicketChanges(tx, {
      tenantId: actor.tenantId,
      eventId: ticket.eventId,
      now,
      requireStatus: ['published'],
      changes: [
        {
          op: 'transfer',
          ticketId: ticket.id,
          serial: ticket.serial,
          typeNo: ticket.typeNo,
          generation,
          status: 'valid',
          digest: token.digest,
          nameBox,
        },
      ],
    });
    if (head === undefined) throw new Rollback(fail('TICKET_NOT_TRANSFERABLE', 'the event is not on sale'));
    return { ok: true as const, ticket: ticketView(updated!) };
  });
  // Queued after the commit (a job must never see the ticket before it changed); a lost job leaves the
  // ticket 'pending' for the sweep. Never fails the transfer.
  if (outcome.ok && ctx.mintingEnabled) {
    await enqueueMints(ctx, [
      { tenantId: actor.tenantId, ticketId: outcome.ticket.id, generation: outcome.ticket.generation },
    ]);
  }
  return outcome;
}
