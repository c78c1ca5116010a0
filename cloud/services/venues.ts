/**
 * Venues and their gates (admin writes; staff read gates). Every query is scoped to the caller's tenant;
 * a venue of another tenant is indistinguishable from a missing one.
 */
import { and, eq } from 'drizzle-orm';
import { passageOf } from '../../shared/admission/zones';
import { gates, venues } from '../db/schema';
import { inTransaction } from '../db/transaction';
import { fail, type Result } from '../errors';
import type { Actor } from './actor';
import type { ServiceContext } from './context';
import { announceVenueChange, venueZoneRules } from './event-peers';
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
  /** The passage (issue 18): from this zone (null = outside) to that one (null = the venue's first zone). */
  fromZoneId: string | null;
  toZoneId: string | null;
  createdAt: string;
}

/** A gate's passage as given: a zone id of the venue, or null for the default. */
export interface PassageInput {
  fromZoneId?: string | null | undefined;
  toZoneId?: string | null | undefined;
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
    fromZoneId: row.fromZoneId,
    toZoneId: row.toZoneId,
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

/**
 * Checks a passage against the venue's zones: each end a zone of this venue, and the two ends different
 * once the defaults are filled in (from null = outside, to null = the first zone).
 */
async function checkPassage(
  ctx: ServiceContext,
  tenantId: string,
  venueId: string,
  passage: { fromZoneId: string | null; toZoneId: string | null },
): Promise<Result<object>> {
  const zones = await venueZoneRules(ctx.db, tenantId, venueId);
  for (const field of ['fromZoneId', 'toZoneId'] as const) {
    const id = passage[field];
    if (id !== null && !zones.some((zone) => zone.id === id.toLowerCase()))
      return fail('VALIDATION_FAILED', `${field}: not a zone of this venue`);
  }
  const { from, to } = passageOf(passage, zones);
  if (from === to) {
    return fail(
      'VALIDATION_FAILED',
      to === zones[0]?.id && passage.toZoneId === null
        ? 'toZoneId: the passage would lead from the first zone into itself (null means the first zone); name the target'
        : 'toZoneId: a passage must lead from one zone to another',
    );
  }
  return { ok: true };
}

/** Adds a gate (an entrance with scanners) to a venue; its passage defaults to outside → the first zone. */
export async function createGate(
  ctx: ServiceContext,
  actor: Actor,
  venueId: string,
  input: { name: string; zone?: string | undefined } & PassageInput,
): Promise<Result<{ gate: GateView }>> {
  const venue = await getVenue(ctx, actor, venueId);
  if (!venue.ok) return venue;
  const passage = { fromZoneId: input.fromZoneId ?? null, toZoneId: input.toZoneId ?? null };
  const checked = await checkPassage(ctx, actor.tenantId, venueId, passage);
  if (!checked.ok) return checked;
  const row = await inTransaction(ctx.db, async (tx) => {
    const [created] = await tx
      .insert(gates)
      .values({
        id: ctx.newId(),
        tenantId: actor.tenantId,
        venueId,
        name: input.name,
        zone: input.zone ?? null,
        fromZoneId: passage.fromZoneId?.toLowerCase() ?? null,
        toZoneId: passage.toZoneId?.toLowerCase() ?? null,
        createdAt: new Date(ctx.clock()),
      })
      .returning();
    // The manifest lists the venue's gates (names, passages): the events' gates hear of the new one.
    await announceVenueChange(tx, { tenantId: actor.tenantId, venueId });
    return created!;
  });
  ctx.changesCommitted?.();
  return { ok: true, gate: gateView(row) };
}

/** Changes a gate's name, free-text zone label or passage. */
export async function updateGate(
  ctx: ServiceContext,
  actor: Actor,
  venueId: string,
  gateId: string,
  patch: { name?: string | undefined; zone?: string | null | undefined } & PassageInput,
): Promise<Result<{ gate: GateView }>> {
  const current = await findGate(ctx, actor.tenantId, gateId);
  if (!current || current.venueId !== venueId) return fail('NOT_FOUND', 'gate not found');
  const passage = {
    fromZoneId: patch.fromZoneId === undefined ? current.fromZoneId : patch.fromZoneId,
    toZoneId: patch.toZoneId === undefined ? current.toZoneId : patch.toZoneId,
  };
  const checked = await checkPassage(ctx, actor.tenantId, venueId, passage);
  if (!checked.ok) return checked;
  const row = await inTransaction(ctx.db, async (tx) => {
    const [updated] = await tx
      .update(gates)
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.zone !== undefined ? { zone: patch.zone } : {}),
        fromZoneId: passage.fromZoneId?.toLowerCase() ?? null,
        toZoneId: passage.toZoneId?.toLowerCase() ?? null,
      })
      .where(and(eq(gates.id, gateId), eq(gates.tenantId, actor.tenantId)))
      .returning();
    await announceVenueChange(tx, { tenantId: actor.tenantId, venueId });
    return updated;
  });
  ctx.scanContexts?.forget(actor.tenantId);
  ctx.changesCommitted?.();
  return row ? { ok: true, gate: gateView(row) } : fail('NOT_FOUND', 'gate not found');
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
