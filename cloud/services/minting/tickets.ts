/**
 * Delegated minting on the ticket side (SPEC section 8): which tickets need minting, asking the job
 * queue to mint them, and recording what the minting service said. The HTTP call itself is in
 * ./client.ts; the job that ties them together is cloud/jobs/mint-ticket.ts.
 *
 * Lifecycle of `tickets.mint_status` (null while MINTING_SERVICE_URL is not set):
 *   purchase commits → 'pending' + one `mint-ticket` job per ticket (the purchase does not wait)
 *   job: service answers a ref → 'minted' (mint_ref, minted_at); a 4xx → 'failed' (mint_error);
 *        unavailable → stays 'pending', the job retries with a long backoff, 'failed' when it gives up
 *   transfer (when minting is on) → 'pending' again in the transfer's transaction, and a job for the
 *        new generation: the new holder gets the mint (the service sees the same ticketId, generation+1)
 *   a ticket revoked while still pending → 'failed' ("revoked before minting"), never minted.
 * A job lost on the way (crash after the purchase committed, Redis down) leaves the ticket 'pending';
 * `findTicketsToMint` finds those for the periodic sweep.
 */
import { and, asc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import { events, tickets, ticketTypes, venues } from '../../db/schema';
import type { ServiceContext } from '../context';
import type { MintTicketRequest } from './client';

/** The ticket a mint job works on. */
export interface MintTarget {
  tenantId: string;
  ticketId: string;
  generation: number;
}

/**
 * The job id of a ticket's mint: the ticket id for its first owner, `<id>-g<generation>` after a
 * transfer (BullMQ keeps finished jobs for a day and drops a new job with a known id; ':' is not
 * allowed in BullMQ ids).
 */
export function mintJobId(ticketId: string, generation: number): string {
  return generation <= 1 ? ticketId : `${ticketId}-g${generation}`;
}

/**
 * Queues one `mint-ticket` job per ticket in one batch. Never throws: on failure the tickets stay
 * 'pending' with the reason in mint_error, for the sweep, and `false` is returned — minting must never
 * fail the request that issued the ticket.
 */
export async function enqueueMints(
  ctx: Pick<ServiceContext, 'db' | 'jobs'>,
  targets: readonly MintTarget[],
): Promise<boolean> {
  if (targets.length === 0) return true;
  try {
    await ctx.jobs.enqueueMany(
      'mint-ticket',
      targets.map((target) => ({
        data: { tenantId: target.tenantId, ticketId: target.ticketId },
        options: { jobId: mintJobId(target.ticketId, target.generation) },
      })),
    );
    return true;
  } catch (error) {
    const reason = `not queued: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500);
    await ctx.db
      .update(tickets)
      .set({ mintError: reason })
      .where(
        and(
          inArray(
            tickets.id,
            targets.map((target) => target.ticketId),
          ),
          eq(tickets.mintStatus, 'pending'),
        ),
      )
      .catch(() => {
        // The database is failing too; the tickets are still 'pending' and the sweep will find them.
      });
    return false;
  }
}

/**
 * Pending tickets not touched for `olderThanMs` — their job may have been lost — oldest first, at most
 * `limit`. Re-queueing them is harmless: a job still queued under the same id is not duplicated, and
 * the job skips a ticket that is already minted.
 */
export async function findTicketsToMint(
  ctx: Pick<ServiceContext, 'db' | 'clock'>,
  olderThanMs: number,
  limit = 1_000,
): Promise<MintTarget[]> {
  if (!Number.isFinite(olderThanMs) || olderThanMs < 0) throw new RangeError('olderThanMs must be ≥ 0');
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
  const before = new Date(ctx.clock() - olderThanMs);
  const rows = await ctx.db
    .select({ tenantId: tickets.tenantId, ticketId: tickets.id, generation: tickets.generation })
    .from(tickets)
    .where(and(eq(tickets.mintStatus, 'pending'), lt(tickets.updatedAt, before)))
    .orderBy(asc(tickets.updatedAt))
    .limit(limit);
  return rows;
}

/** The sweep's step: queues a mint job for every ticket `findTicketsToMint` returns; returns how many. */
export async function sweepPendingMints(
  ctx: Pick<ServiceContext, 'db' | 'clock' | 'jobs'>,
  options: { olderThanMs: number; limit?: number },
): Promise<number> {
  const targets = await findTicketsToMint(ctx, options.olderThanMs, options.limit);
  if (targets.length === 0) return 0;
  await ctx.jobs.enqueueMany(
    'mint-ticket',
    targets.map((target) => ({
      data: { tenantId: target.tenantId, ticketId: target.ticketId },
      options: { jobId: mintJobId(target.ticketId, target.generation) },
    })),
  );
  return targets.length;
}

/** What a mint job needs to know about its ticket now. */
export interface TicketToMint {
  status: 'valid' | 'revoked';
  mintStatus: 'pending' | 'minted' | 'failed' | null;
  generation: number;
  request: MintTicketRequest;
}

/** Loads the ticket with what the minting service is told about it; undefined if it does not exist. */
export async function loadTicketToMint(
  ctx: Pick<ServiceContext, 'db'>,
  tenantId: string,
  ticketId: string,
): Promise<TicketToMint | undefined> {
  const [row] = await ctx.db
    .select({
      ticketId: tickets.id,
      tenantId: tickets.tenantId,
      eventId: tickets.eventId,
      ticketTypeId: tickets.ticketTypeId,
      generation: tickets.generation,
      owner: tickets.ownerUserId,
      status: tickets.status,
      mintStatus: tickets.mintStatus,
      eventName: events.name,
      startsAt: events.startsAt,
      venueId: venues.id,
      venueName: venues.name,
      timezone: venues.timezone,
      typeName: ticketTypes.name,
      priceCents: ticketTypes.priceCents,
      currency: ticketTypes.currency,
    })
    .from(tickets)
    .innerJoin(events, eq(events.id, tickets.eventId))
    .innerJoin(venues, eq(venues.id, events.venueId))
    .innerJoin(ticketTypes, eq(ticketTypes.id, tickets.ticketTypeId))
    .where(and(eq(tickets.id, ticketId), eq(tickets.tenantId, tenantId)));
  if (!row) return undefined;
  return {
    status: row.status,
    mintStatus: row.mintStatus,
    generation: row.generation,
    request: {
      ticketId: row.ticketId,
      tenantId: row.tenantId,
      eventId: row.eventId,
      ticketTypeId: row.ticketTypeId,
      generation: row.generation,
      owner: row.owner,
      event: { name: row.eventName, startsAt: row.startsAt.toISOString() },
      venue: { id: row.venueId, name: row.venueName, timezone: row.timezone },
      ticketType: { name: row.typeName, priceCents: row.priceCents, currency: row.currency },
    },
  };
}

/** One job attempt's outcome, as stored on the ticket. */
export type MintRecord =
  | { kind: 'minted'; ref: string }
  | { kind: 'failed'; error: string }
  | { kind: 'still-pending'; error: string };

/**
 * Stores the outcome of one attempt and counts it in mint_attempts — only if the ticket is still the
 * generation the attempt minted and not minted already (a transfer or a concurrent job may have moved
 * it on). Returns whether the row was updated.
 */
export async function recordMintAttempt(
  ctx: Pick<ServiceContext, 'db' | 'clock'>,
  target: MintTarget,
  record: MintRecord,
): Promise<boolean> {
  const base = { mintAttempts: sql`${tickets.mintAttempts} + 1` };
  const values =
    record.kind === 'minted'
      ? {
          ...base,
          mintStatus: 'minted' as const,
          mintRef: record.ref,
          mintError: null,
          mintedAt: new Date(ctx.clock()),
        }
      : record.kind === 'failed'
        ? { ...base, mintStatus: 'failed' as const, mintError: record.error.slice(0, 1_000) }
        : { ...base, mintError: record.error.slice(0, 1_000) };
  const updated = await ctx.db
    .update(tickets)
    .set(values)
    .where(
      and(
        eq(tickets.id, target.ticketId),
        eq(tickets.tenantId, target.tenantId),
        eq(tickets.generation, target.generation),
        or(eq(tickets.mintStatus, 'pending'), eq(tickets.mintStatus, 'failed')),
      ),
    )
    .returning({ id: tickets.id });
  return updated.length > 0;
}

/**
 * Marks a ticket whose mint job gave up as 'failed' with the reason. Only a 'pending' ticket changes:
 * a minted one stays minted, and one already 'failed' by a 4xx keeps that answer.
 */
export async function markMintGivenUp(
  ctx: Pick<ServiceContext, 'db'>,
  target: { tenantId: string; ticketId: string },
  reason: string,
): Promise<void> {
  await ctx.db
    .update(tickets)
    .set({ mintStatus: 'failed', mintError: reason.slice(0, 1_000) })
    .where(
      and(
        eq(tickets.id, target.ticketId),
        eq(tickets.tenantId, target.tenantId),
        eq(tickets.mintStatus, 'pending'),
      ),
    );
}
