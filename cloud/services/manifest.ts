/**
 * Manifest pages for gates (SPEC section 6, pull). A page holds the ticket changes after the gate's
 * cursor, the event's data and keys, and — on the last page — the row count and XOR checksum the gate
 * must then hold. Everything of one page is read in ONE repeatable-read snapshot, so the head, the
 * changes and the summary describe the same instant even while sales go on.
 *
 * The change log is numbered in commit order (services/changes.ts), so reading `seq > after` can never
 * skip a change that commits later. 409 MANIFEST_RESET when the gate's epoch is not the event's or its
 * cursor is beyond the head (the cloud was restored from a backup): the gate then re-snapshots.
 */
import { and, asc, eq, gt, lte, sql } from 'drizzle-orm';
import { toBase64Url } from '../../shared/crypto';
import {
  type ManifestPage,
  type ManifestQuery,
  type ManifestTicket,
  SYNC_PROTOCOL_VERSION,
} from '../../shared/sync-protocol';
import type { Executor } from '../db/client';
import { events, ticketChanges, ticketTypes, venues } from '../db/schema';
import { fail, type Result } from '../errors';
import type { ServiceContext } from './context';
import { type DeviceRow, eventsForDevice } from './devices';

/** Digest a gate stores for a row: a revoked ticket binds no token. */
function rowDigest(status: string | null, digest: string | null): string {
  return status === 'revoked' ? '' : (digest ?? '');
}

/**
 * Row count and XOR checksum of an event's ticket rows as the gates must hold them (the same checksum as
 * shared/sync-protocol manifestRowHash; a revoked row carries no digest).
 */
export async function manifestTotals(
  executor: Executor,
  eventId: string,
): Promise<{ rowCount: number; checksum: string }> {
  const result = await executor.execute(sql`
    select count(*)::int as rows,
      lpad(to_hex(bit_xor(('x' || encode(substring(sha256(convert_to(
        serial || '|' || type_no || '|' || generation || '|' || status || '|' ||
        case when status = 'revoked' then '' else digest end, 'UTF8')) from 1 for 8), 'hex'))::bit(64)::bigint)), 16, '0') as checksum
    from tickets where event_id = ${eventId}`);
  // node-postgres and PGlite both answer raw SQL with `{ rows }`.
  const [sum] = (result as unknown as { rows: Array<{ rows: number; checksum: string | null }> }).rows;
  return { rowCount: sum?.rows ?? 0, checksum: sum?.checksum ?? '0000000000000000' };
}

/** Builds one manifest page for a device, or the reason it cannot have one. */
export async function buildManifestPage(
  ctx: ServiceContext,
  device: DeviceRow,
  query: ManifestQuery,
): Promise<Result<{ page: ManifestPage }>> {
  const served = await eventsForDevice(ctx.db, device);
  if (!served.some((e) => e.id === query.eventId)) return fail('NOT_FOUND', 'event not found');
  const signingKeys = await ctx.keyring.publicSigningKeys();
  const eventKeys = await ctx.keyring.eventKeysOf(query.eventId);

  return ctx.db.transaction(
    async (tx) => {
      const [row] = await tx
        .select({ event: events, timezone: venues.timezone })
        .from(events)
        .innerJoin(venues, eq(venues.id, events.venueId))
        .where(and(eq(events.id, query.eventId), eq(events.tenantId, device.tenantId)));
      if (!row) return fail('NOT_FOUND', 'event not found');
      const { event } = row;
      const head = event.changeSeq;
      if ((query.epoch !== undefined && query.epoch !== event.epoch) || query.after > head) {
        return fail('MANIFEST_RESET', 'the gate’s copy does not belong to this history: install a snapshot');
      }
      const changes = await tx
        .select({
          seq: ticketChanges.seq,
          serial: ticketChanges.serial,
          typeNo: ticketChanges.typeNo,
          generation: ticketChanges.generation,
          status: ticketChanges.status,
          digest: ticketChanges.digest,
        })
        .from(ticketChanges)
        .where(
          and(
            eq(ticketChanges.eventId, query.eventId),
            gt(ticketChanges.seq, query.after),
            lte(ticketChanges.seq, head),
          ),
        )
        .orderBy(asc(ticketChanges.seq))
        .limit(query.limit);
      const tickets: ManifestTicket[] = [];
      for (const change of changes) {
        // Event-level changes (cancellation) travel in `event`; they still move the cursor.
        if (change.serial === null || change.typeNo === null || change.generation === null) continue;
        tickets.push({
          seq: change.seq,
          serial: change.serial,
          typeNo: change.typeNo,
          generation: change.generation,
          status: change.status === 'revoked' ? 'revoked' : 'valid',
          digest: rowDigest(change.status, change.digest),
        });
      }
      const nextAfter = changes.length > 0 ? changes[changes.length - 1]!.seq : query.after;
      const hasMore = nextAfter < head;
      let summary: ManifestPage['summary'] = null;
      if (!hasMore) {
        // The same XOR checksum as shared/sync-protocol manifestRowHash, over the ticket rows as of `head`.
        summary = await manifestTotals(tx, query.eventId);
      }
      const types = await tx
        .select()
        .from(ticketTypes)
        .where(eq(ticketTypes.eventId, query.eventId))
        .orderBy(asc(ticketTypes.typeNo));
      const page: ManifestPage = {
        protocol: SYNC_PROTOCOL_VERSION,
        eventId: event.id,
        epoch: event.epoch,
        after: query.after,
        nextAfter,
        head,
        hasMore,
        cloudTime: ctx.clock(),
        event: {
          id: event.id,
          name: event.name,
          status: event.status,
          startsAt: event.startsAt.getTime(),
          endsAt: event.endsAt.getTime(),
          doorsOpenAt: event.doorsOpenAt?.getTime() ?? null,
          timezone: row.timezone,
          ticketTypes: types.map((t) => ({
            typeNo: t.typeNo,
            id: t.id,
            name: t.name,
            gateIds: t.gateIds && t.gateIds.length > 0 ? t.gateIds : null,
          })),
        },
        keys: {
          signingKeys: signingKeys.map((k) => ({ keyId: k.keyId, publicKey: k.publicKey })),
          eventKeys: eventKeys.map((k) => ({ keyVersion: k.keyVersion, key: toBase64Url(k.key) })),
        },
        tickets,
        summary,
      };
      return { ok: true, page };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}
