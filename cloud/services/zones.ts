/**
 * The zones of a venue as an organiser configures them (issue 18): a hall, a VIP lounge inside it, a
 * terrace — each with an optional capacity, a restricted flag (only ticket types that list it enter) and
 * a re-entry policy, in the organiser's order. The first zone is where a gate without a passage leads,
 * so the order is part of the rules: a reorder that would make a gate lead into the zone it starts from
 * is refused.
 *
 * Every change reaches the gates of the venue's events within seconds: their manifest carries the zones,
 * and the change moves the events' change heads (./event-peers.ts announceVenueChange) so the push
 * stream tells them to pull. Lowering a capacity below the current occupancy is allowed: the zone is
 * then full, and nobody inside is affected.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Transaction } from '../db/client';
import { gates, venueZones } from '../db/schema';
import { Rollback, sqlState, transactionOutcome } from '../db/transaction';
import { fail, type Result } from '../errors';
import type { Actor } from './actor';
import type { ServiceContext } from './context';
import { announceVenueChange } from './event-peers';
import { getVenue } from './venues';

export interface ZoneView {
  id: string;
  venueId: string;
  name: string;
  capacity: number | null;
  restricted: boolean;
  reentry: boolean;
  /** 0-based place in the venue's order; the zone at 0 is where default gates lead. */
  position: number;
  createdAt: string;
  updatedAt: string;
}

export interface ZoneInput {
  name: string;
  capacity?: number | null | undefined;
  restricted?: boolean | undefined;
  reentry?: boolean | undefined;
}

export type ZonePatch = Partial<ZoneInput> & { position?: number | undefined };

type ZoneRow = typeof venueZones.$inferSelect;

function zoneView(row: ZoneRow): ZoneView {
  return {
    id: row.id,
    venueId: row.venueId,
    name: row.name,
    capacity: row.capacity,
    restricted: row.restricted,
    reentry: row.reentry,
    position: row.position,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const NAME_TAKEN = () => fail('ZONE_NAME_TAKEN', 'name: the venue already has a zone of that name');

/** The venue's zones in order, locked: every change of the order or names takes turns. */
async function lockedZones(tx: Transaction, venueId: string) {
  return tx
    .select()
    .from(venueZones)
    .where(eq(venueZones.venueId, venueId))
    .orderBy(asc(venueZones.position), asc(venueZones.id))
    .for('update');
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Adds a zone at the end of the venue's order. */
export async function createZone(
  ctx: ServiceContext,
  actor: Actor,
  venueId: string,
  input: ZoneInput,
): Promise<Result<{ zone: ZoneView }>> {
  const venue = await getVenue(ctx, actor, venueId);
  if (!venue.ok) return venue;
  const now = new Date(ctx.clock());
  try {
    return await transactionOutcome(ctx.db, async (tx) => {
      const zones = await lockedZones(tx, venueId);
      if (zones.some((z) => sameName(z.name, input.name))) throw new Rollback(NAME_TAKEN());
      const [row] = await tx
        .insert(venueZones)
        .values({
          id: ctx.newId(),
          tenantId: actor.tenantId,
          venueId,
          name: input.name,
          capacity: input.capacity ?? null,
          restricted: input.restricted ?? false,
          reentry: input.reentry ?? true,
          position: zones.length,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      await announceVenueChange(tx, { tenantId: actor.tenantId, venueId });
      return { ok: true as const, zone: zoneView(row!) };
    });
  } catch (error) {
    // Two creations of one name at once: the unique index decides, the loser is told as above.
    if (sqlState(error) === '23505') return NAME_TAKEN();
    throw error;
  } finally {
    ctx.scanContexts?.forget(actor.tenantId);
    ctx.changesCommitted?.();
  }
}

/** The venue's zones in order. */
export async function listZones(
  ctx: ServiceContext,
  actor: Actor,
  venueId: string,
): Promise<Result<{ items: ZoneView[] }>> {
  const venue = await getVenue(ctx, actor, venueId);
  if (!venue.ok) return venue;
  const rows = await ctx.db
    .select()
    .from(venueZones)
    .where(and(eq(venueZones.tenantId, actor.tenantId), eq(venueZones.venueId, venueId)))
    .orderBy(asc(venueZones.position), asc(venueZones.id));
  return { ok: true, items: rows.map(zoneView) };
}

/**
 * Changes a zone. `position` moves it to that place in the order (clamped to the last place); the others
 * keep their relative order. Refused (409 PASSAGE_CONFLICT) when a new first zone would make a gate
 * without a target lead into the zone it starts from.
 */
export async function updateZone(
  ctx: ServiceContext,
  actor: Actor,
  venueId: string,
  zoneId: string,
  patch: ZonePatch,
): Promise<Result<{ zone: ZoneView }>> {
  const venue = await getVenue(ctx, actor, venueId);
  if (!venue.ok) return fail('NOT_FOUND', 'zone not found');
  const now = new Date(ctx.clock());
  try {
    return await transactionOutcome(ctx.db, async (tx) => {
      const zones = await lockedZones(tx, venueId);
      const current = zones.find((z) => z.id === zoneId);
      if (!current) throw new Rollback(fail('NOT_FOUND', 'zone not found'));
      if (patch.name !== undefined && zones.some((z) => z.id !== zoneId && sameName(z.name, patch.name!)))
        throw new Rollback(NAME_TAKEN());
      const order = zones.filter((z) => z.id !== zoneId);
      const place = Math.min(patch.position ?? zones.indexOf(current), order.length);
      order.splice(place, 0, current);
      if (order[0]!.id !== zones[0]!.id) {
        const conflict = await gateIntoItsSource(tx, venueId, order[0]!.id);
        if (conflict) {
          throw new Rollback(
            fail(
              'PASSAGE_CONFLICT',
              `position: gate "${conflict}" starts in this zone and leads to the first zone; give it a toZoneId first`,
            ),
          );
        }
      }
      for (const [index, zone] of order.entries()) {
        if (zone.position === index || zone.id === zoneId) continue;
        await tx.update(venueZones).set({ position: index }).where(eq(venueZones.id, zone.id));
      }
      const [row] = await tx
        .update(venueZones)
        .set({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.capacity !== undefined ? { capacity: patch.capacity } : {}),
          ...(patch.restricted !== undefined ? { restricted: patch.restricted } : {}),
          ...(patch.reentry !== undefined ? { reentry: patch.reentry } : {}),
          position: order.indexOf(current),
          updatedAt: now,
        })
        .where(eq(venueZones.id, zoneId))
        .returning();
      await announceVenueChange(tx, { tenantId: actor.tenantId, venueId });
      return { ok: true as const, zone: zoneView(row!) };
    });
  } catch (error) {
    if (sqlState(error) === '23505') return NAME_TAKEN();
    throw error;
  } finally {
    ctx.scanContexts?.forget(actor.tenantId);
    ctx.changesCommitted?.();
  }
}

/** The name of a gate that starts in `zoneId` with the default target (the first zone), if any. */
async function gateIntoItsSource(
  tx: Transaction,
  venueId: string,
  zoneId: string,
): Promise<string | undefined> {
  const [gate] = await tx
    .select({ name: gates.name })
    .from(gates)
    .where(and(eq(gates.venueId, venueId), eq(gates.fromZoneId, zoneId), sql`${gates.toZoneId} is null`))
    .limit(1);
  return gate?.name;
}
