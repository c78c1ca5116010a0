/**
 * Events: drafts, publication, edits, deletion and cancellation. Creating an event also creates its
 * serial counter and its first event key (wrapped), in one transaction, so an event never exists
 * without the key its tickets will be sealed with.
 */

import { randomUUID } from 'node:crypto';
import { and, eq, inArray, ne, type SQL } from 'drizzle-orm';
import type { Transaction } from '../db/client';
import { type EventStatus, eventCounters, events, orders, reservations, tickets } from '../db/schema';
import { inTransaction, Rollback, transactionOutcome } from '../db/transaction';
import { fail, type Result } from '../errors';
import { scheduleExitAll } from '../jobs/exit-all';
import type { Actor } from './actor';
import { appendTicketChanges, type TicketChange } from './changes';
import type { ServiceContext } from './context';
import { servedHeadBump } from './event-peers';
import { keysetPage, type Page, type PageRequest } from './pagination';
import { returnSeats, seatsOfTickets } from './seats';
import { revocationChange } from './tickets';
import { getVenue } from './venues';

export interface EventView {
  id: string;
  venueId: string;
  name: string;
  startsAt: string;
  endsAt: string;
  doorsOpenAt: string | null;
  /** When everyone still inside is checked out (issue 18); null = never. */
  exitAllAt: string | null;
  status: EventStatus;
  cancelReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export type EventRow = typeof events.$inferSelect;

export function eventView(row: EventRow): EventView {
  return {
    id: row.id,
    venueId: row.venueId,
    name: row.name,
    startsAt: row.startsAt.toISOString(),
    endsAt: row.endsAt.toISOString(),
    doorsOpenAt: row.doorsOpenAt ? row.doorsOpenAt.toISOString() : null,
    exitAllAt: row.exitAllAt ? row.exitAllAt.toISOString() : null,
    status: row.status,
    cancelReason: row.cancelReason,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Which event statuses a role may see: drafts are for admins only (SPEC section 4). */
function visibleStatuses(actor: Actor): EventStatus[] | undefined {
  return actor.role === 'admin' ? undefined : ['published', 'cancelled'];
}

function visibility(actor: Actor): SQL | undefined {
  const statuses = visibleStatuses(actor);
  return statuses ? inArray(events.status, statuses) : undefined;
}

function checkTimes(
  startsAt: Date,
  endsAt: Date,
  doorsOpenAt: Date | null,
  exitAllAt: Date | null,
): Result<object> {
  if (endsAt.getTime() <= startsAt.getTime())
    return fail('VALIDATION_FAILED', 'endsAt: must be after startsAt');
  if (doorsOpenAt && doorsOpenAt.getTime() > startsAt.getTime()) {
    return fail('VALIDATION_FAILED', 'doorsOpenAt: must not be after startsAt');
  }
  if (exitAllAt && exitAllAt.getTime() <= startsAt.getTime()) {
    return fail('VALIDATION_FAILED', 'exitAllAt: must be after startsAt');
  }
  return { ok: true };
}

/** A time given as ISO text, null or absent → Date, null, or `current` when absent. */
function timeOrCurrent(value: string | null | undefined, current: Date | null): Date | null {
  if (value === undefined) return current;
  return value ? new Date(value) : null;
}

/** An event of the tenant as the actor may see it (raw row), or undefined. */
export async function findEvent(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
): Promise<EventRow | undefined> {
  const [row] = await ctx.db
    .select()
    .from(events)
    .where(and(eq(events.id, eventId), eq(events.tenantId, actor.tenantId), visibility(actor)));
  return row;
}

/** Creates a draft event with its serial counter and first event key. */
export async function createEvent(
  ctx: ServiceContext,
  actor: Actor,
  input: {
    venueId: string;
    name: string;
    startsAt: string;
    endsAt: string;
    doorsOpenAt?: string | undefined;
    exitAllAt?: string | null | undefined;
  },
): Promise<Result<{ event: EventView }>> {
  const venue = await getVenue(ctx, actor, input.venueId);
  if (!venue.ok) return fail('NOT_FOUND', 'venueId: venue not found');
  const startsAt = new Date(input.startsAt);
  const endsAt = new Date(input.endsAt);
  const doorsOpenAt = input.doorsOpenAt ? new Date(input.doorsOpenAt) : null;
  const exitAllAt = input.exitAllAt ? new Date(input.exitAllAt) : null;
  const times = checkTimes(startsAt, endsAt, doorsOpenAt, exitAllAt);
  if (!times.ok) return times;
  const now = new Date(ctx.clock());
  const id = ctx.newId();
  const row = await inTransaction(ctx.db, async (tx) => {
    const [created] = await tx
      .insert(events)
      .values({
        id,
        tenantId: actor.tenantId,
        venueId: input.venueId,
        name: input.name,
        startsAt,
        endsAt,
        doorsOpenAt,
        exitAllAt,
        status: 'draft',
        epoch: randomUUID(),
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    await tx.insert(eventCounters).values({ eventId: id, tenantId: actor.tenantId });
    await ctx.keyring.createEventKey(tx, { tenantId: actor.tenantId, eventId: id, keyVersion: 1, now });
    return created!;
  });
  await queueExitAll(ctx, row);
  return { ok: true, event: eventView(row) };
}

/**
 * Queues the automatic check-out at the event's exitAllAt at once (issue 18). Best effort: with Redis
 * down it fails quietly, and the periodic sweep (cloud/jobs/sweeps.ts) queues it before it is due.
 */
async function queueExitAll(ctx: ServiceContext, row: typeof events.$inferSelect): Promise<void> {
  if (!row.exitAllAt) return;
  await scheduleExitAll(ctx, {
    tenantId: row.tenantId,
    eventId: row.id,
    exitAllAt: row.exitAllAt.getTime(),
  }).catch(() => {});
}

/** Lists events the actor may see. */
export async function listEvents(
  ctx: ServiceContext,
  actor: Actor,
  page: PageRequest,
): Promise<Result<{ page: Page<EventView> }>> {
  const query = ctx.db.select().from(events).$dynamic();
  const visible = and(eq(events.tenantId, actor.tenantId), visibility(actor));
  return keysetPage(query, events.id, visible, page, eventView);
}

/** One event the actor may see. */
export async function getEvent(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
): Promise<Result<{ event: EventView }>> {
  const row = await findEvent(ctx, actor, eventId);
  return row ? { ok: true, event: eventView(row) } : fail('NOT_FOUND', 'event not found');
}

/**
 * Changes name or times of an event that is not cancelled. The manifest carries them all, so the change
 * moves the event's change head (no row) and its gates pull within seconds.
 */
export async function updateEvent(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
  patch: {
    name?: string | undefined;
    startsAt?: string | undefined;
    endsAt?: string | undefined;
    doorsOpenAt?: string | null | undefined;
    exitAllAt?: string | null | undefined;
  },
): Promise<Result<{ event: EventView }>> {
  const outcome = await transactionOutcome<{ ok: true; event: EventView }, Result<never>>(
    ctx.db,
    async (tx) => {
      const [current] = await tx
        .select()
        .from(events)
        .where(and(eq(events.id, eventId), eq(events.tenantId, actor.tenantId)))
        .for('update');
      if (!current) throw new Rollback(fail('NOT_FOUND', 'event not found'));
      if (current.status === 'cancelled')
        throw new Rollback(fail('EVENT_CANCELLED', 'the event is cancelled'));
      const startsAt = patch.startsAt ? new Date(patch.startsAt) : current.startsAt;
      const endsAt = patch.endsAt ? new Date(patch.endsAt) : current.endsAt;
      const doorsOpenAt = timeOrCurrent(patch.doorsOpenAt, current.doorsOpenAt);
      const exitAllAt = timeOrCurrent(patch.exitAllAt, current.exitAllAt);
      const times = checkTimes(startsAt, endsAt, doorsOpenAt, exitAllAt);
      if (!times.ok) throw new Rollback(times);
      const [row] = await tx
        .update(events)
        .set({
          name: patch.name ?? current.name,
          startsAt,
          endsAt,
          doorsOpenAt,
          exitAllAt,
          changeSeq: servedHeadBump,
          updatedAt: new Date(ctx.clock()),
        })
        .where(eq(events.id, eventId))
        .returning();
      return { ok: true as const, event: eventView(row!) };
    },
  );
  if (outcome.ok) {
    ctx.scanContexts?.forget(actor.tenantId);
    ctx.changesCommitted?.();
    const [row] = await ctx.db.select().from(events).where(eq(events.id, eventId));
    if (row) await queueExitAll(ctx, row);
  }
  return outcome;
}

/** Puts a draft on sale. */
export async function publishEvent(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
): Promise<Result<{ event: EventView }>> {
  const [row] = await ctx.db
    .update(events)
    .set({ status: 'published', updatedAt: new Date(ctx.clock()) })
    .where(and(eq(events.id, eventId), eq(events.tenantId, actor.tenantId), eq(events.status, 'draft')))
    .returning();
  if (row) {
    ctx.scanContexts?.forget(actor.tenantId);
    return { ok: true, event: eventView(row) };
  }
  const existing = await findEvent(ctx, actor, eventId);
  if (!existing) return fail('NOT_FOUND', 'event not found');
  return existing.status === 'cancelled'
    ? fail('EVENT_CANCELLED', 'the event is cancelled')
    : fail('EVENT_NOT_DRAFT', 'the event is already published');
}

/** Deletes an event that never issued a ticket (409 HAS_TICKETS otherwise: history must stay). */
export async function deleteEvent(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
): Promise<Result<object>> {
  return transactionOutcome(ctx.db, async (tx) => {
    const [current] = await tx
      .select({ id: events.id })
      .from(events)
      .where(and(eq(events.id, eventId), eq(events.tenantId, actor.tenantId)))
      .for('update');
    if (!current) throw new Rollback(fail('NOT_FOUND', 'event not found'));
    const [sold] = await tx
      .select({ id: tickets.id })
      .from(tickets)
      .where(eq(tickets.eventId, eventId))
      .limit(1);
    const [ordered] = await tx
      .select({ id: orders.id })
      .from(orders)
      .where(eq(orders.eventId, eventId))
      .limit(1);
    if (sold || ordered)
      throw new Rollback(fail('HAS_TICKETS', 'tickets were sold for this event; cancel it instead'));
    // Holds, ticket types, keys, counters and the change log go with the event (ON DELETE CASCADE).
    await tx.delete(events).where(eq(events.id, eventId));
    return { ok: true as const };
  });
}

/**
 * Cancels an event: active holds are dropped, every valid ticket is revoked (one change-log row each, so
 * gates learn it on their next sync), and every paid order is queued for a refund after commit.
 *
 * Lock order: holds, then tickets, then the event row last (as everywhere). Tickets whose purchase
 * committed between the first revocation pass and taking the event lock are revoked in a second pass;
 * after the event row is locked and marked cancelled no purchase can commit (it checks the status under
 * the same lock).
 */
export async function cancelEvent(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
  input: { reason: string },
): Promise<Result<{ event: EventView; revokedTickets: number; refundsQueued: number }>> {
  const now = new Date(ctx.clock());
  const outcome = await transactionOutcome<
    { ok: true; event: EventRow; revokedTickets: number },
    Result<never>
  >(ctx.db, async (tx) => {
    const [current] = await tx
      .select({ status: events.status })
      .from(events)
      .where(and(eq(events.id, eventId), eq(events.tenantId, actor.tenantId)));
    if (!current) throw new Rollback(fail('NOT_FOUND', 'event not found'));
    if (current.status === 'cancelled')
      throw new Rollback(fail('EVENT_CANCELLED', 'the event is already cancelled'));

    await cancelActiveHolds(tx, eventId, now);
    const revoked = await revokeValidTickets(tx, eventId, now);
    const [locked] = await tx
      .update(events)
      .set({ status: 'cancelled', cancelReason: input.reason, cancelledAt: now, updatedAt: now })
      .where(and(eq(events.id, eventId), ne(events.status, 'cancelled')))
      .returning();
    if (!locked) throw new Rollback(fail('EVENT_CANCELLED', 'the event is already cancelled'));
    // Holds made after the first pass are not touched again here: locking them after the event row
    // could deadlock with a purchase, and they can no longer be bought (purchase checks the status).
    revoked.push(...(await revokeValidTickets(tx, eventId, now)));

    const changes: TicketChange[] = revoked.map((ticket) => revocationChange(ticket, 'event_cancelled'));
    changes.push({
      op: 'event_cancel',
      ticketId: null,
      serial: null,
      typeNo: null,
      generation: null,
      status: null,
      digest: null,
      reason: input.reason,
    });
    await appendTicketChanges(tx, { tenantId: actor.tenantId, eventId, changes, now });
    return { ok: true as const, event: locked, revokedTickets: revoked.length };
  });
  if (!outcome.ok) return outcome;
  ctx.scanContexts?.forget(actor.tenantId);

  const paid = await ctx.db
    .select({ id: orders.id })
    .from(orders)
    .where(and(eq(orders.eventId, eventId), eq(orders.tenantId, actor.tenantId), eq(orders.status, 'paid')));
  // Queued in batches after the commit; if queueing fails part way, the refund sweep
  // (cloud/jobs/sweeps.ts) finds the paid orders of cancelled events and queues the rest.
  await ctx.jobs
    .enqueueMany(
      'refund',
      paid.map((order) => ({
        data: { tenantId: actor.tenantId, orderId: order.id, reason: 'event_cancelled' },
        options: { jobId: order.id },
      })),
    )
    .catch(() => {});
  return {
    ok: true,
    event: eventView(outcome.event),
    revokedTickets: outcome.revokedTickets,
    refundsQueued: paid.length,
  };
}

/** Drops the event's active holds and gives their seats back. */
async function cancelActiveHolds(tx: Transaction, eventId: string, now: Date): Promise<void> {
  const dropped = await tx
    .update(reservations)
    .set({ status: 'cancelled', updatedAt: now })
    .where(and(eq(reservations.eventId, eventId), eq(reservations.status, 'active')))
    .returning({ items: reservations.items });
  await returnSeats(
    tx,
    dropped.flatMap((hold) => hold.items),
  );
}

/** Revokes every valid ticket of the event and gives their seats back (`taken`). */
async function revokeValidTickets(tx: Transaction, eventId: string, now: Date) {
  const revoked = await tx
    .update(tickets)
    .set({ status: 'revoked', revokedReason: 'event_cancelled', updatedAt: now })
    .where(and(eq(tickets.eventId, eventId), eq(tickets.status, 'valid')))
    .returning({
      id: tickets.id,
      serial: tickets.serial,
      typeNo: tickets.typeNo,
      generation: tickets.generation,
      digest: tickets.digest,
      ticketTypeId: tickets.ticketTypeId,
    });
  await returnSeats(tx, seatsOfTickets(revoked));
  return revoked;
}
