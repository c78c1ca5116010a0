/**
 * An event's admission records for the organiser: what got in (and out), where and when — one item per
 * record of the cloud's admission history (../admissions.ts: gate uploads, online validation, adopted
 * scans, the box office's check-ins; undo records with the record they take back), in the order the cloud recorded them (`seq`, the event's change sequence). Keyset-paged on
 * `seq`; the CSV export walks the same pages. Only the event's tenant's records, whatever id a row names.
 */
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { type AdmissionSource, admissions } from '../../db/admissions-schema';
import { gates, tickets, ticketTypes } from '../../db/schema';
import { fail, type Result } from '../../errors';
import type { Actor } from '../actor';
import type { ServiceContext } from '../context';
import { type Page, type PageRequest, pageSize } from '../pagination';
import { eventOfActor, type ListedEvent } from './scope';

export interface AdmissionItem {
  seq: number;
  /** Corrected time of the decision, ISO 8601 UTC. */
  at: string;
  /** `undo`: the record takes back the entry or exit `undoes` names (issue 17). */
  direction: 'in' | 'out' | 'undo';
  undoes: { origin: string; originSeq: number } | null;
  serial: number;
  ticketId: string | null;
  ticketTypeId: string | null;
  typeNo: number | null;
  ticketTypeName: string | null;
  gateId: string;
  gateName: string | null;
  /** The deciding device's id, or `cloud` (online validation, box office). */
  origin: string;
  originSeq: number;
  source: AdmissionSource;
  /** The staff user of a box-office check-in or online undo; null otherwise. */
  recordedBy: string | null;
  note: string | null;
  /** Decided by a gate that reached neither the cloud nor all its peers. */
  unconfirmed: boolean;
}

// The cursor is the last `seq` seen, opaque to clients: base64url of `seq:<n>`.
const CURSOR = /^seq:(\d{1,15})$/;

function encodeSeqCursor(seq: number): string {
  return Buffer.from(`seq:${seq}`, 'utf8').toString('base64url');
}

function decodeSeqCursor(cursor: string | undefined): Result<{ afterSeq: number }> {
  if (cursor === undefined || cursor === '') return { ok: true, afterSeq: 0 };
  const match = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) return fail('VALIDATION_FAILED', 'cursor: not a cursor returned by this API');
  return { ok: true, afterSeq: Number(match[1]) };
}

/** One page of records after `afterSeq` (at most `size`, plus one to tell whether more follow). */
export async function admissionRows(
  ctx: ServiceContext,
  event: ListedEvent,
  afterSeq: number,
  size: number,
): Promise<AdmissionItem[]> {
  const rows = await ctx.db
    .select({
      seq: admissions.seq,
      atMs: admissions.atMs,
      direction: admissions.direction,
      undoesOrigin: admissions.undoesOrigin,
      undoesOriginSeq: admissions.undoesOriginSeq,
      serial: admissions.serial,
      ticketId: tickets.id,
      ticketTypeId: tickets.ticketTypeId,
      typeNo: tickets.typeNo,
      ticketTypeName: ticketTypes.name,
      gateId: admissions.gateId,
      gateName: sql<string | null>`coalesce(${admissions.gateName}, ${gates.name})`,
      origin: admissions.origin,
      originSeq: admissions.originSeq,
      source: admissions.source,
      unconfirmed: admissions.unconfirmed,
      recordedBy: admissions.recordedBy,
      note: admissions.note,
    })
    .from(admissions)
    .leftJoin(
      tickets,
      and(
        eq(tickets.eventId, admissions.eventId),
        eq(tickets.serial, admissions.serial),
        eq(tickets.tenantId, admissions.tenantId),
      ),
    )
    .leftJoin(ticketTypes, eq(ticketTypes.id, tickets.ticketTypeId))
    .leftJoin(gates, and(eq(gates.id, admissions.gateId), eq(gates.tenantId, admissions.tenantId)))
    .where(
      and(
        eq(admissions.eventId, event.id),
        eq(admissions.tenantId, event.tenantId),
        gt(admissions.seq, afterSeq),
      ),
    )
    .orderBy(asc(admissions.seq))
    .limit(size);
  return rows.map(({ atMs, undoesOrigin, undoesOriginSeq, ...row }) => ({
    ...row,
    at: new Date(atMs).toISOString(),
    undoes:
      undoesOrigin !== null && undoesOriginSeq !== null
        ? { origin: undoesOrigin, originSeq: undoesOriginSeq }
        : null,
  }));
}

/** A page of an event's admission records. */
export async function listEventAdmissions(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
  page: PageRequest,
): Promise<Result<{ page: Page<AdmissionItem> }>> {
  const cursor = decodeSeqCursor(page.cursor);
  if (!cursor.ok) return cursor;
  const found = await eventOfActor(ctx, actor, eventId);
  if (!found.ok) return found;
  const size = pageSize(page.limit);
  const rows = await admissionRows(ctx, found.event, cursor.afterSeq, size + 1);
  const items = rows.slice(0, size);
  const last = items[items.length - 1];
  return {
    ok: true,
    page: { items, nextCursor: rows.length > size && last ? encodeSeqCursor(last.seq) : null },
  };
}
