/**
 * An event's tickets for the organiser and the box office: keyset-paged, filtered by status, ticket type
 * and whether the ticket was ever admitted, each with its admission summary. "Admitted" means the
 * cloud's admission history (../admissions.ts) holds an entry of the ticket's serial — from a gate's
 * upload, online validation or the box office, and not undone — and "inside" is that history folded by the same function the gates and
 * `/validate` use (shared/admission/history), so the list never disagrees with the door. The box
 * office's search (`q`) is one more condition beside the filters (./ticket-search.ts).
 */
import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import {
  type AdmissionRecord,
  admissionStateOf,
  effectiveMovements,
} from '../../../shared/admission/history';
import { admissions } from '../../db/admissions-schema';
import { gates, type TicketStatus, tickets, ticketTypes } from '../../db/schema';
import { fail, type Result } from '../../errors';
import type { Actor } from '../actor';
import { standingMovementSql } from '../admissions';
import type { ServiceContext } from '../context';
import { keysetPage, type Page, type PageRequest } from '../pagination';
import { eventOfActor, type ListedEvent } from './scope';
import { ticketSearchCondition } from './ticket-search';

/** Where a ticket's holder has been, from the admission history. */
export interface AdmissionSummary {
  /** At least one entry recorded. */
  admitted: boolean;
  /** The last movement was an entry. */
  inside: boolean;
  /** The first entry ever (ISO 8601 UTC) and its gate; null if never admitted. */
  firstEntryAt: string | null;
  firstEntryGateId: string | null;
  firstEntryGateName: string | null;
  entries: number;
  exits: number;
}

export interface EventTicket {
  id: string;
  serial: number;
  orderId: string;
  ticketTypeId: string;
  typeNo: number;
  ticketTypeName: string;
  status: TicketStatus;
  revokedReason: string | null;
  holderUserId: string;
  /** The holder's name (issue 17); null when none was given. */
  holderName: string | null;
  generation: number;
  issuedAt: string;
  admission: AdmissionSummary;
}

export interface TicketFilter {
  status?: TicketStatus | undefined;
  ticketTypeId?: string | undefined;
  admitted?: boolean | undefined;
  /** The box office's search text (./ticket-search.ts), already checked by the route. */
  q?: string | undefined;
}

const NEVER: AdmissionSummary = {
  admitted: false,
  inside: false,
  firstEntryAt: null,
  firstEntryGateId: null,
  firstEntryGateName: null,
  entries: 0,
  exits: 0,
};

/**
 * Folds one ticket's records into its summary. An undone entry or exit (issue 17: the box office's undo)
 * counts nowhere, as in the fold every gate makes: a ticket whose only entry was undone was never admitted.
 */
export function summarise(records: AdmissionRecord[]): AdmissionSummary {
  // Undone entries and exits (and the undo records) are not movements: an undone entry never came in.
  const { movements } = effectiveMovements(records);
  if (movements.length === 0) return NEVER;
  const state = admissionStateOf(records);
  // In the fold's total order already: the first is the first entry on the common timeline.
  const entries = movements.filter((r) => r.direction === 'in');
  const first = entries[0];
  return {
    admitted: first !== undefined,
    inside: state.inside,
    firstEntryAt: first ? new Date(first.at).toISOString() : null,
    firstEntryGateId: first?.gateId ?? null,
    firstEntryGateName: first?.gateName ?? null,
    entries: entries.length,
    exits: movements.length - entries.length,
  };
}

/** The admission records of some serials of an event, by serial (gate names filled from `gates`). */
async function recordsBySerial(ctx: ServiceContext, event: ListedEvent, serials: number[]) {
  const bySerial = new Map<number, AdmissionRecord[]>();
  if (serials.length === 0) return bySerial;
  const rows = await ctx.db
    .select({
      serial: admissions.serial,
      origin: admissions.origin,
      originSeq: admissions.originSeq,
      direction: admissions.direction,
      undoesOrigin: admissions.undoesOrigin,
      undoesOriginSeq: admissions.undoesOriginSeq,
      at: admissions.atMs,
      gateId: admissions.gateId,
      gateName: sql<string | null>`coalesce(${admissions.gateName}, ${gates.name})`,
      unconfirmed: admissions.unconfirmed,
    })
    .from(admissions)
    .leftJoin(gates, and(eq(gates.id, admissions.gateId), eq(gates.tenantId, admissions.tenantId)))
    .where(
      and(
        eq(admissions.eventId, event.id),
        eq(admissions.tenantId, event.tenantId),
        inArray(admissions.serial, serials),
      ),
    );
  for (const { serial, undoesOrigin, undoesOriginSeq, ...record } of rows) {
    const list = bySerial.get(serial) ?? [];
    const undoes =
      undoesOrigin !== null && undoesOriginSeq !== null
        ? { undoes: { origin: undoesOrigin, originSeq: undoesOriginSeq } }
        : {};
    list.push({ ...record, ...undoes });
    bySerial.set(serial, list);
  }
  return bySerial;
}

/** A ticket type filter must name a type of this event: anything else is a mistake worth a 400. */
async function checkTicketType(ctx: ServiceContext, event: ListedEvent, ticketTypeId: string) {
  const [type] = await ctx.db
    .select({ id: ticketTypes.id })
    .from(ticketTypes)
    .where(
      and(
        eq(ticketTypes.id, ticketTypeId),
        eq(ticketTypes.eventId, event.id),
        eq(ticketTypes.tenantId, event.tenantId),
      ),
    );
  return type !== undefined;
}

/** The SQL condition of the filters (the event and its tenant included). */
function ticketConditions(event: ListedEvent, filter: TicketFilter): SQL | undefined {
  // An entry that stands: not taken back by an undo record (issue 17).
  const entered = sql`exists (select 1 from admissions a where a.event_id = ${tickets.eventId}
    and a.tenant_id = ${tickets.tenantId} and a.serial = ${tickets.serial} and a.direction = 'in'
    and ${standingMovementSql('a')})`;
  return and(
    eq(tickets.eventId, event.id),
    eq(tickets.tenantId, event.tenantId),
    filter.status ? eq(tickets.status, filter.status) : undefined,
    filter.ticketTypeId ? eq(tickets.ticketTypeId, filter.ticketTypeId) : undefined,
    filter.admitted === undefined ? undefined : filter.admitted ? entered : sql`not ${entered}`,
    filter.q === undefined ? undefined : ticketSearchCondition(filter.q),
  );
}

/** A page of an event's tickets, in issue order (ids are UUIDv7), each with its admission summary. */
export async function listEventTickets(
  ctx: ServiceContext,
  actor: Actor,
  eventId: string,
  filter: TicketFilter,
  page: PageRequest,
): Promise<Result<{ page: Page<EventTicket> }>> {
  const found = await eventOfActor(ctx, actor, eventId);
  if (!found.ok) return found;
  const { event } = found;
  if (filter.ticketTypeId && !(await checkTicketType(ctx, event, filter.ticketTypeId))) {
    return fail('VALIDATION_FAILED', 'ticketTypeId: not a ticket type of this event');
  }
  const query = ctx.db
    .select({
      id: tickets.id,
      serial: tickets.serial,
      orderId: tickets.orderId,
      ticketTypeId: tickets.ticketTypeId,
      typeNo: tickets.typeNo,
      ticketTypeName: ticketTypes.name,
      status: tickets.status,
      revokedReason: tickets.revokedReason,
      holderUserId: tickets.ownerUserId,
      holderName: tickets.holderName,
      generation: tickets.generation,
      issuedAt: tickets.issuedAt,
    })
    .from(tickets)
    .innerJoin(ticketTypes, eq(ticketTypes.id, tickets.ticketTypeId))
    .$dynamic();
  const rows = await keysetPage(query, tickets.id, ticketConditions(event, filter), page, (r) => r);
  if (!rows.ok) return rows;
  const records = await recordsBySerial(
    ctx,
    event,
    rows.page.items.map((r) => r.serial),
  );
  const items = rows.page.items.map((r) => ({
    ...r,
    issuedAt: r.issuedAt.toISOString(),
    admission: summarise(records.get(r.serial) ?? []),
  }));
  return { ok: true, page: { items, nextCursor: rows.page.nextCursor } };
}
