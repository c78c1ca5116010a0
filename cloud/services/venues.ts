/**
 * Venues and their gates (admin writes; staff read gates). Every query is scoped to the caller's tenant;
 * a venue of another tenant is indistinguishable from a missing one.
 */
import { and, eq } from 'drizzle-orm';
import { gates, venues } from '../db/schema';
import { fail, type Result } from '../errors';
import type { Actor } from './actor';
import type { ServiceContext } from './context';
import { keysetPage, type Page, type PageRequest } from './pagination';

export interface VenueView {
  id: string;
  name: string;
  timezone: string;
  createdAt: string;
}

export interface GateView {
  id: string;
  venueId: string;
  name: string;
  zone: string | null;
  createdAt: string;
}

function venueView(row: typeof venues.$inferSelect): VenueView {
  return { id: row.id, name: row.name, timezone: row.timezone, createdAt: row.createdAt.toISOString() };
}

function gateView(row: typeof gates.$inferSelect): GateView {
  return {
    id: row.id,
    venueId: row.venueId,
    name: row.name,
    zone: row.zone,
    createdAt: row.createdAt.toISOString(),
  };
}

/** True when `timezone` is an IANA zone this runtime knows (reports run in the venue's zone). */
export function isTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** Creates a venue. */
export async function createVenue(
  ctx: ServiceContext,
  actor: Actor,
  input: { name: string; timezone: string },
): Promise<Result<{ venue: VenueView }>> {
  if (!isTimeZone(input.timezone)) return fail('VALIDATION_FAILED', 'timezone: not an IANA time zone');
  const [row] = await ctx.db
    .insert(venues)
    .values({
      id: ctx.newId(),
      tenantId: actor.tenantId,
      name: input.name,
      timezone: input.timezone,
      createdAt: new Date(ctx.clock()),
    })
    .returning();
  // The nightly reconciliation of the new venue, at the configured local time in its zone. A failure
  // here (Redis down) is repaired by the periodic schedule sync (cloud/jobs/sweeps.ts).
  await ctx.jobs
    .scheduleNightlyReconciliation({ tenantId: actor.tenantId, venueId: row!.id, timezone: row!.timezone })
    .catch(() => {});
  return { ok: true, venue: venueView(row!) };
}

/** Lists the tenant's venues. */
export async function listVenues(
  ctx: ServiceContext,
  actor: Actor,
  page: PageRequest,
): Promise<Result<{ page: Page<VenueView> }>> {
  const query = ctx.db.select().from(venues).$dynamic();
  return keysetPage(query, venues.id, eq(venues.tenantId, actor.tenantId), page, venueView);
}

/** One venue of the tenant. */
export async function getVenue(
  ctx: ServiceContext,
  actor: Actor,
  venueId: string,
): Promise<Result<{ venue: VenueView }>> {
  const [row] = await ctx.db
    .select()
    .from(venues)
    .where(and(eq(venues.id, venueId), eq(venues.tenantId, actor.tenantId)));
  return row ? { ok: true, venue: venueView(row) } : fail('NOT_FOUND', 'venue not found');
}

/** Adds a gate (an entrance with scanners) to a venue. */
export async function createGate(
  ctx: ServiceContext,
  actor: Actor,
  venueId: string,
  input: { name: string; zone?: string | undefined },
): Promise<Result<{ gate: GateView }>> {
  const venue = await getVenue(ctx, actor, venueId);
  if (!venue.ok) return venue;
  const [row] = await ctx.db
    .insert(gates)
    .values({
      id: ctx.newId(),
      tenantId: actor.tenantId,
      venueId,
      name: input.name,
      zone: input.zone ?? null,
      createdAt: new Date(ctx.clock()),
    })
    .returning();
  return { ok: true, gate: gateView(row!) };
}

/** Lists the gates of a venue. */
export async function listGates(
  ctx: ServiceContext,
  actor: Actor,
  venueId: string,
  page: PageRequest,
): Promise<Result<{ page: Page<GateView> }>> {
  const venue = await getVenue(ctx, actor, venueId);
  if (!venue.ok) return venue;
  const query = ctx.db.select().from(gates).$dynamic();
  const atVenue = and(eq(gates.tenantId, actor.tenantId), eq(gates.venueId, venueId));
  return keysetPage(query, gates.id, atVenue, page, gateView);
}

/** One gate of the tenant (raw row, for other services). */
export async function findGate(
  ctx: ServiceContext,
  tenantId: string,
  gateId: string,
): Promise<typeof gates.$inferSelect | undefined> {
  const [row] = await ctx.db
    .select()
    .from(gates)
    .where(and(eq(gates.id, gateId), eq(gates.tenantId, tenantId)));
  return row;
}
