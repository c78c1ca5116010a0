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
import { and, asc, eq, gt, lte, type SQL, sql } from 'drizzle-orm';
import { toBase64Url } from '../../shared/crypto';
import {
  EMPTY_MANIFEST_CHECKSUM,
  MANIFEST_CHECKSUM_SQL,
  MANIFEST_ROW_COLUMNS,
  MANIFEST_ROW_FIELDS,
  type ManifestPage,
  type ManifestQuery,
  type ManifestRowField,
  type ManifestTicket,
  manifestFieldCloudSql,
  parseManifestTicket,
  SYNC_PROTOCOL_VERSION,
} from '../../shared/sync-protocol';
import type { Executor } from '../db/client';
import { events, ticketChanges, tickets, ticketTypes, venues } from '../db/schema';
import { fail, type Result } from '../errors';
import type { ServiceContext } from './context';
import { type DeviceRow, eventsForDevice } from './devices';

/**
 * The manifest row fields of a `ticket_changes` row, read the way shared/sync-protocol's manifest row
 * contract says (e.g. a revoked row's digest blank), so a field added to the contract is served with no
 * change here. Event-level changes (serial NULL) come back too: they move the cursor.
 */
const manifestRowSelection = Object.fromEntries(
  MANIFEST_ROW_COLUMNS.map(({ field }) => {
    const read = sql.raw(manifestFieldCloudSql(field));
    // bigint columns arrive as strings from node-postgres; NULL stays NULL (drizzle skips the mapping).
    return [field, MANIFEST_ROW_FIELDS[field].kind === 'int' ? read.mapWith(Number) : read];
  }),
  // The values are unknown until parsed: each row goes through parseManifestTicket below.
) as Record<ManifestRowField, SQL<unknown>>;

/**
 * Row count and XOR checksum of an event's ticket rows as the gates must hold them (the SQL comes from
 * shared/sync-protocol's manifest row contract, the same hash the gates keep row by row).
 */
export async function manifestTotals(
  executor: Executor,
  eventId: string,
): Promise<{ rowCount: number; checksum: string }> {
  const [sum] = await executor
    .select({
      rowCount: sql`count(*)::int`.mapWith(Number),
      checksum: sql<string | null>`${sql.raw(MANIFEST_CHECKSUM_SQL)}`,
    })
    .from(tickets)
    .where(eq(tickets.eventId, eventId));
  return { rowCount: sum?.rowCount ?? 0, checksum: sum?.checksum ?? EMPTY_MANIFEST_CHECKSUM };
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
        .select({ ...manifestRowSelection, changeSeq: ticketChanges.seq })
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
      const rows: ManifestTicket[] = [];
      for (const change of changes) {
        // Event-level changes (cancellation) travel in `event`; they still move the cursor.
        if (change.serial === null) continue;
        const row = parseManifestTicket(change);
        if (!row)
          throw new Error(`change ${change.changeSeq} of event ${query.eventId} is not a manifest row`);
        rows.push(row);
      }
      const nextAfter = changes.length > 0 ? changes[changes.length - 1]!.changeSeq : query.after;
      const hasMore = nextAfter < head;
      let summary: ManifestPage['summary'] = null;
      if (!hasMore) {
        // The checksum of the ticket rows as of `head` (this transaction's snapshot).
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
        tickets: rows,
        summary,
      };
      return { ok: true, page };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}
