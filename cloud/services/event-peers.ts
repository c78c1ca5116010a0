/**
 * Who the gates of an event are, for its manifest pages (issue 14): the venue's gates by name (so a gate
 * can say at which door a ticket went in), and the peer list — every other active device that serves the
 * event, with its Ed25519 public key, its gate and the LAN address it last reported (`peerAddress` of
 * its health report). Gates believe peer messages and admission records only from devices on this list,
 * which reaches them signed by the cloud with the page; a revoked device drops off it.
 */
import { and, asc, eq, ne, sql } from 'drizzle-orm';
import type { ManifestPeer } from '../../shared/sync-protocol';
import type { Executor } from '../db/client';
import { devices, events, gates, venueZones } from '../db/schema';

/** The gates of a venue, by name, with their passages (issue 18). */
export async function venueGates(
  executor: Executor,
  tenantId: string,
  venueId: string,
): Promise<Array<{ id: string; name: string; fromZoneId: string | null; toZoneId: string | null }>> {
  return executor
    .select({ id: gates.id, name: gates.name, fromZoneId: gates.fromZoneId, toZoneId: gates.toZoneId })
    .from(gates)
    .where(and(eq(gates.tenantId, tenantId), eq(gates.venueId, venueId)))
    .orderBy(asc(gates.name), asc(gates.id));
}

/** The zones of a venue in the organiser's order (issue 18): the first is where default gates lead. */
export async function venueZoneRules(
  executor: Executor,
  tenantId: string,
  venueId: string,
): Promise<
  Array<{ id: string; name: string; capacity: number | null; restricted: boolean; reentry: boolean }>
> {
  return executor
    .select({
      id: venueZones.id,
      name: venueZones.name,
      capacity: venueZones.capacity,
      restricted: venueZones.restricted,
      reentry: venueZones.reentry,
    })
    .from(venueZones)
    .where(and(eq(venueZones.tenantId, tenantId), eq(venueZones.venueId, venueId)))
    .orderBy(asc(venueZones.position), asc(venueZones.id));
}

/** The event's peers as seen by `deviceId` (every other active device of the venue serving the event). */
export async function eventPeers(
  executor: Executor,
  input: { tenantId: string; venueId: string; eventId: string; deviceId: string },
): Promise<ManifestPeer[]> {
  const rows = await executor
    .select({
      deviceId: devices.id,
      publicKey: devices.publicKey,
      gateId: devices.gateId,
      gateName: gates.name,
      address: sql<string | null>`${devices.lastReport}->>'peerAddress'`,
    })
    .from(devices)
    .innerJoin(gates, eq(gates.id, devices.gateId))
    .where(
      and(
        eq(devices.tenantId, input.tenantId),
        eq(gates.venueId, input.venueId),
        eq(devices.status, 'active'),
        ne(devices.id, input.deviceId),
        sql`(${devices.eventIds} is null or cardinality(${devices.eventIds}) = 0 or ${input.eventId}::uuid = any(${devices.eventIds}))`,
      ),
    )
    .orderBy(asc(devices.id));
  return rows.map((r) => ({ ...r, address: typeof r.address === 'string' ? r.address : null }));
}

/**
 * Moves the change heads of every event at the gate's venue by one, with no row: the gates serving them
 * pull at once (the push stream sees the head move) and get the new peer list with the page. Called when
 * the list changes — a device enrolled or revoked, or a gate reported a new LAN address — so a revoked
 * device's peer messages are refused within seconds, not at the next periodic sync. The gap in the
 * sequence is harmless: pages step over numbers that carry no change.
 */
export async function announcePeerChange(
  executor: Executor,
  input: { tenantId: string; gateId: string },
): Promise<void> {
  await executor.execute(sql`
    update events set change_seq = change_seq + 1
     where tenant_id = ${input.tenantId}
       and venue_id = (select venue_id from gates where id = ${input.gateId}::uuid)
       and status in ('published', 'cancelled')`);
}

/**
 * Moves the change heads of every event at a venue by one, with no row (like announcePeerChange): the
 * venue's zones or gates (passages, names) changed, which every manifest page of its events carries, so
 * the gates serving them pull within seconds instead of at their next periodic sync.
 */
export async function announceVenueChange(
  executor: Executor,
  input: { tenantId: string; venueId: string },
): Promise<void> {
  await executor.execute(sql`
    update events set change_seq = change_seq + 1
     where tenant_id = ${input.tenantId} and venue_id = ${input.venueId}::uuid
       and status in ('published', 'cancelled')`);
}

/**
 * Moves one event's change head by one, with no row: a part of its manifest that is not a ticket row
 * changed (its ticket types' gates or zones, its times, exitAllAt), so its gates pull within seconds.
 */
export async function announceEventChange(
  executor: Executor,
  input: { tenantId: string; eventId: string },
): Promise<void> {
  await executor.execute(sql`
    update events set change_seq = change_seq + 1
     where tenant_id = ${input.tenantId} and id = ${input.eventId}::uuid
       and status in ('published', 'cancelled')`);
}

/**
 * The change head moved by one for an event gates serve (published or cancelled), left alone for a
 * draft: no gate holds a draft's manifest, and a draft's log stays gap-free.
 */
export const servedHeadBump = sql`case when ${events.status} in ('published', 'cancelled') then ${events.changeSeq} + 1 else ${events.changeSeq} end`;
