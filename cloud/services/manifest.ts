/**
 * Manifest pages for gates (SPEC section 6, pull). A page holds the changes after the gate's cursor —
 * ticket rows and admission records (issue 14), one sequence — the event's data, gates, peers and keys,
 * and — on the last page — the row count and XOR checksums the gate must then hold. Everything of one page is read in ONE repeatable-read snapshot, so the head, the
 * changes and the summary describe the same instant even while sales go on.
 *
 * The change log is numbered in commit order (services/changes.ts), so reading `seq > after` can never
 * skip a change that commits later. 409 MANIFEST_RESET when the gate's epoch is not the event's or its
 * cursor is beyond the head (the cloud was restored from a backup): the gate then re-snapshots.
 */
import { and, asc, eq, gt, lte, type SQL, sql } from 'drizzle-orm';
import { type EventKey, fromBase64Url, wrapEventKeyForDevice } from '../../shared/crypto';
import {
  MANIFEST_ROW_COLUMNS,
  MANIFEST_ROW_FIELDS,
  type ManifestAdmission,
  type ManifestPage,
  type ManifestQuery,
  type ManifestRowField,
  type ManifestTicket,
  manifestFieldCloudSql,
  parseManifestTicket,
  SYNC_PROTOCOL_VERSION,
} from '../../shared/sync-protocol';
import type { Transaction } from '../db/client';
import { events, ticketChanges, ticketTypes, venues } from '../db/schema';
import { fail, type Result } from '../errors';
import { admissionsAfter } from './admissions';
import type { ServiceContext } from './context';
import { type DeviceRow, eventsForDevice } from './devices';
import { eventPeers, venueGates, venueZoneRules } from './event-peers';
import { admissionTotalsOf, manifestTotals } from './manifest-totals';

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
 * The changes after the gate's cursor, up to `head`: ticket rows and admission records merged by their
 * place in the one sequence, at most `limit` of them. The cursor moves to the last change served, or to
 * the head when everything up to it was read (a number can be a gap: an admission already held is
 * skipped when appended, and event-level changes carry no row).
 */
async function changesAfter(
  tx: Transaction,
  tenantId: string,
  query: ManifestQuery,
  head: number,
): Promise<{ tickets: ManifestTicket[]; admissions: ManifestAdmission[]; nextAfter: number }> {
  const ticketRows = await tx
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
  const admissionRows = await admissionsAfter(
    tx,
    { tenantId, eventId: query.eventId },
    {
      after: query.after,
      upTo: head,
      limit: query.limit,
    },
  );
  const merged = [
    ...ticketRows.map((change) => ({ seq: change.changeSeq, change })),
    ...admissionRows.map((admission) => ({ seq: admission.seq, admission })),
  ].sort((a, b) => a.seq - b.seq);
  const served = merged.slice(0, query.limit);
  const nextAfter = merged.length < query.limit ? head : served[served.length - 1]!.seq;
  const tickets: ManifestTicket[] = [];
  const admissions: ManifestAdmission[] = [];
  for (const item of served) {
    if ('admission' in item) {
      admissions.push(item.admission);
      continue;
    }
    // Event-level changes (cancellation) travel in `event`; they still move the cursor.
    if (item.change.serial === null) continue;
    const row = parseManifestTicket(item.change);
    if (!row) throw new Error(`change ${item.seq} of event ${query.eventId} is not a manifest row`);
    tickets.push(row);
  }
  return { tickets, admissions, nextAfter };
}

/**
 * The event's keys sealed to the requesting device's own key (issue 15, finding 9): the page body then
 * holds no event key that a logged response or a TLS-terminating proxy could read. Pages are built per
 * request and per device (nothing caches a body), so each device's page carries its own wraps; the page
 * signature covers them like the rest of the body.
 */
function sealedEventKeys(device: DeviceRow, keys: readonly EventKey[]): ManifestPage['keys']['eventKeys'] {
  const publicKey = fromBase64Url(device.publicKey);
  if (!publicKey) throw new Error(`device ${device.id} has no readable public key`);
  return keys.map((k) => ({
    keyVersion: k.keyVersion,
    wrapped: wrapEventKeyForDevice(publicKey, k.key, {
      eventId: k.eventId,
      keyVersion: k.keyVersion,
      deviceId: device.id,
    }),
  }));
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
      const changes = await changesAfter(tx, device.tenantId, query, head);
      const { tickets: rows, admissions, nextAfter } = changes;
      const hasMore = nextAfter < head;
      let summary: ManifestPage['summary'] = null;
      if (!hasMore) {
        // What the copy must add up to as of `head` (this transaction's snapshot).
        summary = {
          ...(await manifestTotals(tx, query.eventId)),
          admissions: admissionTotalsOf(event),
        };
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
            zoneIds: t.zoneIds && t.zoneIds.length > 0 ? t.zoneIds : null,
            holderCode: t.holderCode,
          })),
          gates: await venueGates(tx, device.tenantId, event.venueId),
          zones: await venueZoneRules(tx, device.tenantId, event.venueId),
          exitAllAt: event.exitAllAt?.getTime() ?? null,
        },
        keys: {
          signingKeys: signingKeys.map((k) => ({ keyId: k.keyId, publicKey: k.publicKey })),
          eventKeys: sealedEventKeys(device, eventKeys),
        },
        tickets: rows,
        admissions,
        peers: await eventPeers(tx, {
          tenantId: device.tenantId,
          venueId: event.venueId,
          eventId: event.id,
          deviceId: device.id,
        }),
        summary,
      };
      return { ok: true, page };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}
