/**
 * The report's impossible moves (issue 18): the event's standing movements (undo records and the records
 * they undid left out) replayed in the fold's total order — corrected time, origin by code unit, origin
 * number — exactly as shared/admission/history follows a holder from zone to zone:
 *
 * - an exit, or a move out of a zone, of a holder who was not inside at the time (exit without entry);
 * - an entry into a zone the holder's ticket type may not enter (shared zoneAllowed over the type's zone
 *   list and the zones' `restricted`, as configured when the report is made);
 * - every interval during which a zone held more holders than its capacity: start, end (null when still
 *   over after the last move), duration and peak.
 *
 * Read in keyset pages of REPLAY_PAGE records, so memory holds one page and one zone per holder, whatever
 * the size of the event.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import {
  defaultZoneOf,
  OUTSIDE,
  recordMove,
  type ZoneRule,
  zoneAllowed,
} from '../../../shared/admission/zones';
import type { Executor } from '../../db/client';
import { parseRows, sqlNumber } from '../../db/rows';
import { standingMovementSql } from '../admissions';
import { venueZoneRules } from '../event-peers';
import { type ImpossibleMoves, MAX_FINDINGS_PER_KIND, type MoveRecord, type OverCapacity } from './report';
import type { ReportScope } from './scope';

/** Records read per round trip. */
const REPLAY_PAGE = 10_000;
/** At most this many pages (100 million records): a bound, far above any event. */
const MAX_PAGES = 10_000;

const Movement = z.object({
  serial: sqlNumber,
  origin: z.string(),
  origin_seq: sqlNumber,
  direction: z.enum(['in', 'out']),
  at_ms: sqlNumber,
  gate_id: z.string(),
  gate_name: z.string().nullable(),
  from_zone: z.string().nullable(),
  to_zone: z.string().nullable(),
  ticket_id: z.string().nullable(),
  type_no: z.number().int().nullable(),
  zone_ids: z.array(z.string()).nullable(),
});
type Movement = z.infer<typeof Movement>;

/** One page of standing movements after `after` in the fold's order. */
async function movementsAfter(
  tx: Executor,
  scope: ReportScope,
  after: { at: number; origin: string; originSeq: number } | undefined,
): Promise<Movement[]> {
  const keyset = after
    ? sql`and (a.at_ms, a.origin collate "C", a.origin_seq) > (${after.at}, ${after.origin} collate "C", ${after.originSeq})`
    : sql``;
  return parseRows(
    Movement,
    await tx.execute(sql`
      select a.serial, a.origin, a.origin_seq, a.direction, a.at_ms, a.gate_id::text as gate_id,
             coalesce(a.gate_name, g.name) as gate_name, a.from_zone, a.to_zone, t.id::text as ticket_id,
             t.type_no, tt.zone_ids::text[] as zone_ids
        from admissions a
        left join tickets t on t.event_id = a.event_id and t.serial = a.serial and t.tenant_id = a.tenant_id
        left join ticket_types tt on tt.id = t.ticket_type_id
        left join gates g on g.id = a.gate_id and g.tenant_id = a.tenant_id
       where a.event_id = ${scope.eventId}::uuid and a.tenant_id = ${scope.tenantId}
         and ${standingMovementSql('a')} ${keyset}
       order by a.at_ms, a.origin collate "C", a.origin_seq
       limit ${REPLAY_PAGE}`),
  );
}

/** Replays the event's standing movements and lists its impossible moves. */
export async function impossibleMoves(
  tx: Executor,
  scope: ReportScope,
  generatedAt: string,
): Promise<ImpossibleMoves> {
  const rules = await venueZoneRules(tx, scope.tenantId, scope.venueId);
  const ruleOf = new Map<string, ZoneRule>(rules.map((rule) => [rule.id, rule]));
  const defaultZone = defaultZoneOf(rules);
  const where = new Map<number, string>();
  const inside = new Map<string, number>();
  const open = new Map<string, OverCapacity>();
  const result: ImpossibleMoves = {
    exitsWithoutEntry: [],
    entriesNotAllowed: [],
    overCapacity: [],
    totals: { exitsWithoutEntry: 0, entriesNotAllowed: 0, overCapacity: 0 },
  };
  const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;
  /** Opens, widens or closes a zone's over-capacity interval after its count changed at `at`. */
  const judge = (zoneId: string, at: string) => {
    const rule = ruleOf.get(zoneId);
    if (!rule || rule.capacity === null) return;
    const count = inside.get(zoneId) ?? 0;
    const interval = open.get(zoneId);
    if (count > rule.capacity) {
      if (interval) interval.peak = Math.max(interval.peak, count);
      else {
        const found = {
          zoneId,
          zoneName: rule.name,
          capacity: rule.capacity,
          start: at,
          end: null,
          seconds: 0,
          peak: count,
        };
        open.set(zoneId, found);
        result.totals.overCapacity++;
        if (result.overCapacity.length < MAX_FINDINGS_PER_KIND) result.overCapacity.push(found);
      }
    } else if (interval) {
      interval.end = at;
      interval.seconds = seconds(interval.start, at);
      open.delete(zoneId);
    }
  };

  let after: { at: number; origin: string; originSeq: number } | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const rows = await movementsAfter(tx, scope, after);
    for (const row of rows) {
      const move = recordMove(
        { direction: row.direction, fromZone: row.from_zone, toZone: row.to_zone },
        defaultZone,
      );
      const current = where.get(row.serial) ?? OUTSIDE;
      const at = new Date(row.at_ms).toISOString();
      const record: MoveRecord = {
        ticketId: row.ticket_id,
        serial: row.serial,
        origin: row.origin,
        originSeq: row.origin_seq,
        at,
        gateId: row.gate_id,
        gateName: row.gate_name,
        fromZone: move.from,
        toZone: move.to,
      };
      if (move.from !== OUTSIDE && current === OUTSIDE) {
        result.totals.exitsWithoutEntry++;
        if (result.exitsWithoutEntry.length < MAX_FINDINGS_PER_KIND) result.exitsWithoutEntry.push(record);
      }
      if (move.to !== OUTSIDE && !zoneAllowed(row.zone_ids, ruleOf.get(move.to))) {
        result.totals.entriesNotAllowed++;
        if (result.entriesNotAllowed.length < MAX_FINDINGS_PER_KIND) {
          result.entriesNotAllowed.push({
            ...record,
            typeNo: row.type_no,
            zoneName: ruleOf.get(move.to)?.name ?? null,
          });
        }
      }
      // The holder leaves the zone the fold has them in (not necessarily the record's `from`).
      if (current !== OUTSIDE) {
        inside.set(current, (inside.get(current) ?? 0) - 1);
        judge(current, at);
      }
      if (move.to !== OUTSIDE) {
        inside.set(move.to, (inside.get(move.to) ?? 0) + 1);
        judge(move.to, at);
      }
      where.set(row.serial, move.to);
    }
    const last = rows.at(-1);
    if (!last || rows.length < REPLAY_PAGE) break;
    after = { at: last.at_ms, origin: last.origin, originSeq: last.origin_seq };
  }
  for (const interval of open.values()) interval.seconds = seconds(interval.start, generatedAt);
  return result;
}
