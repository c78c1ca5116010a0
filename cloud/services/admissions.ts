/**
 * The cloud's admission history (issue 14): appending admission records — from gate uploads
 * (./scan-ingest.ts) and online validation (./validation.ts) — and reading them: a ticket's history for
 * `/validate`, and the records after a gate's cursor for its manifest page (./manifest.ts).
 *
 * Appending numbers the records in the event's change sequence with `UPDATE events SET change_seq =
 * change_seq + n … RETURNING`, the same lock-ordered numbering as the ticket changes (./changes.ts): a
 * gate that has read up to N can never later find a record below N. Callers make it the LAST lock they
 * take in their transaction. Records are facts keyed by (event, origin, origin_seq): one already held is
 * skipped (its number becomes a gap, which pages step over). The event row also keeps the count and XOR
 * checksum of its records, updated by the same transaction, so a page's summary never hashes history
 * (and a database restored from a backup restores them together with the records).
 */
import { and, asc, eq, gt, lte, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import {
  type AdmissionMove,
  type AdmissionRecord,
  type AdmissionRef,
  CLOUD_ORIGIN,
} from '../../shared/admission/history';
import { type ManifestAdmission, type Xor64, xorAdmissionRow } from '../../shared/sync-protocol';
import { type AdmissionSource, admissions } from '../db/admissions-schema';
import type { Executor } from '../db/client';
import { parseRows, sqlNumber } from '../db/rows';

/** One record to append. `origin` null: made by the cloud itself (numbered here, origin `cloud`). */
export interface NewAdmission {
  serial: number;
  origin: string | null;
  originSeq: number | null;
  direction: AdmissionMove;
  /** Only on an undo record: the record it takes back. */
  undoes?: AdmissionRef | undefined;
  /** Entries and exits at a venue with zones (issue 18): the move made (both or neither). */
  fromZone?: string | null | undefined;
  toZone?: string | null | undefined;
  atMs: number;
  gateId: string;
  gateName: string | null;
  unconfirmed: boolean;
  source: AdmissionSource;
  deviceId: string | null;
  deviceSeq: number | null;
  /** The staff user of a box-office record (manual check-in, online undo). */
  recordedBy?: string | null | undefined;
  note?: string | null | undefined;
}

const Appended = z.object({
  seq: sqlNumber,
  serial: sqlNumber,
  origin: z.string(),
  origin_seq: sqlNumber,
  direction: z.enum(['in', 'out', 'undo']),
  undoes_origin: z.string().nullable(),
  undoes_origin_seq: sqlNumber.nullable(),
  at_ms: sqlNumber,
  gate_id: z.string(),
  unconfirmed: z.boolean(),
  from_zone: z.string().nullable(),
  to_zone: z.string().nullable(),
});

/** The record an undo row takes back, or undefined on an entry or exit. */
function undoesOf(row: {
  undoesOrigin: string | null;
  undoesOriginSeq: number | null;
}): AdmissionRef | undefined {
  return row.undoesOrigin !== null && row.undoesOriginSeq !== null
    ? { origin: row.undoesOrigin, originSeq: row.undoesOriginSeq }
    : undefined;
}

/** A record's move as stored: both zones of an entry or exit that names them, else none. */
function zonesOf(record: NewAdmission): { from: string; to: string } | undefined {
  if (record.direction === 'undo' || !record.fromZone || !record.toZone) return undefined;
  return { from: record.fromZone.toLowerCase(), to: record.toZone.toLowerCase() };
}

/** The zone fields of a stored row, present only when it names its move (so old rows read as before). */
function storedZones(row: { fromZone: string | null; toZone: string | null }) {
  return row.fromZone !== null && row.toZone !== null ? { fromZone: row.fromZone, toZone: row.toZone } : {};
}

/** An XOR accumulator as the signed bigint PostgreSQL keeps it in. */
function signedBigint(acc: Xor64): string {
  return BigInt.asIntN(64, (BigInt(acc.hi) << 32n) | BigInt(acc.lo)).toString();
}

/** The 16-hex-digit checksum of a kept signed bigint (the form pages carry). */
export function checksumOfXor(xor: bigint | number | string): string {
  return BigInt.asUintN(64, BigInt(xor)).toString(16).padStart(16, '0');
}

/**
 * Appends records to an event's history in ONE statement (numbering and insert) and returns what was
 * stored. Records of origin `cloud` get the event's next cloud sequence numbers, in the order given.
 */
export async function appendAdmissions(
  executor: Executor,
  input: { eventId: string; records: readonly NewAdmission[]; now: Date },
): Promise<Array<{ seq: number; origin: string; originSeq: number; at: number }>> {
  const { records } = input;
  if (records.length === 0) return [];
  let cloudMade = 0;
  const cloudOrd = records.map((r) => (r.origin === null ? ++cloudMade : null));
  const column = <T>(pick: (r: NewAdmission, i: number) => T) => sql.param(records.map(pick));
  const result = await executor.execute(sql`
    with bump as (
      update events set change_seq = change_seq + ${records.length},
                        cloud_admission_seq = cloud_admission_seq + ${cloudMade}
       where id = ${input.eventId}::uuid
      returning change_seq, cloud_admission_seq, tenant_id)
    insert into admissions (event_id, seq, tenant_id, serial, origin, origin_seq, direction, undoes_origin,
                            undoes_origin_seq, at_ms, gate_id, gate_name, unconfirmed, source, device_id,
                            device_seq, recorded_by, note, from_zone, to_zone, created_at)
    select ${input.eventId}::uuid, bump.change_seq - ${records.length} + r.ord, bump.tenant_id, r.serial,
           coalesce(r.origin, ${CLOUD_ORIGIN}),
           coalesce(r.origin_seq, bump.cloud_admission_seq - ${cloudMade} + r.cloud_ord),
           r.direction, r.undoes_origin, r.undoes_origin_seq, r.at_ms, r.gate_id, r.gate_name, r.unconfirmed,
           r.source, r.device_id, r.device_seq, r.recorded_by, r.note, r.from_zone, r.to_zone,
           ${input.now.toISOString()}::timestamptz
      from bump, unnest(
        ${column((r) => r.serial)}::bigint[], ${column((r) => r.origin)}::text[],
        ${column((r) => r.originSeq)}::bigint[], ${sql.param(cloudOrd)}::bigint[],
        ${column((r) => r.direction)}::text[], ${column((r) => r.undoes?.origin ?? null)}::text[],
        ${column((r) => r.undoes?.originSeq ?? null)}::bigint[], ${column((r) => r.atMs)}::bigint[],
        ${column((r) => r.gateId)}::uuid[], ${column((r) => r.gateName)}::text[],
        ${column((r) => r.unconfirmed)}::boolean[], ${column((r) => r.source)}::text[],
        ${column((r) => r.deviceId)}::uuid[], ${column((r) => r.deviceSeq)}::bigint[],
        ${column((r) => r.recordedBy ?? null)}::text[], ${column((r) => r.note ?? null)}::text[],
        ${column((r) => zonesOf(r)?.from ?? null)}::text[], ${column((r) => zonesOf(r)?.to ?? null)}::text[]
      ) with ordinality as r(serial, origin, origin_seq, cloud_ord, direction, undoes_origin, undoes_origin_seq,
                             at_ms, gate_id, gate_name, unconfirmed, source, device_id, device_seq, recorded_by,
                             note, from_zone, to_zone, ord)
    on conflict (event_id, origin, origin_seq) do nothing
    returning seq, serial, origin, origin_seq, direction, undoes_origin, undoes_origin_seq, at_ms, gate_id,
              unconfirmed, from_zone, to_zone`);
  const stored = parseRows(Appended, result);
  if (stored.length > 0) {
    const acc: Xor64 = { hi: 0, lo: 0 };
    for (const r of stored) {
      xorAdmissionRow(acc, {
        serial: r.serial,
        origin: r.origin,
        originSeq: r.origin_seq,
        direction: r.direction,
        undoes: undoesOf({ undoesOrigin: r.undoes_origin, undoesOriginSeq: r.undoes_origin_seq }),
        at: r.at_ms,
        gateId: r.gate_id,
        unconfirmed: r.unconfirmed,
        fromZone: r.from_zone,
        toZone: r.to_zone,
      });
    }
    // The event row is already this transaction's (locked by the numbering above).
    await executor.execute(sql`
      update events set admission_count = admission_count + ${stored.length},
                        admission_xor = admission_xor # ${signedBigint(acc)}::bigint
       where id = ${input.eventId}::uuid`);
  }
  return stored.map((r) => ({ seq: r.seq, origin: r.origin, originSeq: r.origin_seq, at: r.at_ms }));
}

/**
 * A ticket's whole admission history (what `/validate` folds). Like every reader of admissions it names
 * the tenant too: a record is the event's tenant's (appendAdmissions takes it from the event row).
 */
export async function admissionHistoryOf(
  executor: Executor,
  scope: { tenantId: string; eventId: string },
  serial: number,
): Promise<AdmissionRecord[]> {
  const rows = await executor
    .select()
    .from(admissions)
    .where(
      and(
        eq(admissions.eventId, scope.eventId),
        eq(admissions.tenantId, scope.tenantId),
        eq(admissions.serial, serial),
      ),
    );
  return rows.map(admissionRecordOf);
}

/** The columns of an admissions row a decision folds, as drizzle (or HISTORY_JSON_SQL) names them. */
export interface StoredAdmission {
  origin: string;
  originSeq: number;
  direction: 'in' | 'out' | 'undo';
  undoesOrigin: string | null;
  undoesOriginSeq: number | null;
  fromZone: string | null;
  toZone: string | null;
  atMs: number;
  gateId: string;
  gateName: string | null;
  unconfirmed: boolean;
}

/**
 * A ticket's admission rows as one JSON array of StoredAdmission (empty: none), for a query that reads
 * the ticket and its history in one statement; `ticket` is the row the history is of (tickets.*).
 */
export function historyJsonOf(ticket: {
  eventId: unknown;
  tenantId: unknown;
  serial: unknown;
}): SQL<unknown> {
  return sql`coalesce((select json_agg(json_build_object(
      'origin', a.origin, 'originSeq', a.origin_seq, 'direction', a.direction,
      'undoesOrigin', a.undoes_origin, 'undoesOriginSeq', a.undoes_origin_seq,
      'fromZone', a.from_zone, 'toZone', a.to_zone, 'atMs', a.at_ms, 'gateId', a.gate_id,
      'gateName', a.gate_name, 'unconfirmed', a.unconfirmed))
    from ${admissions} a
   where a.event_id = ${ticket.eventId} and a.tenant_id = ${ticket.tenantId} and a.serial = ${ticket.serial}),
  '[]'::json)`;
}

/** One stored record as the decision folds it. */
export function admissionRecordOf(r: StoredAdmission): AdmissionRecord {
  return {
    origin: r.origin,
    originSeq: Number(r.originSeq),
    direction: r.direction,
    ...(r.direction === 'undo'
      ? { undoes: undoesOf({ ...r, undoesOriginSeq: numberOrNull(r.undoesOriginSeq) }) }
      : {}),
    at: Number(r.atMs),
    gateId: r.gateId,
    gateName: r.gateName,
    unconfirmed: r.unconfirmed,
    ...storedZones(r),
  };
}

function numberOrNull(value: number | null): number | null {
  return value === null ? null : Number(value);
}

/** The records of an event with after < seq ≤ upTo, in sequence order, at most `limit` (manifest pages). */
export async function admissionsAfter(
  executor: Executor,
  scope: { tenantId: string; eventId: string },
  range: { after: number; upTo: number; limit: number },
): Promise<ManifestAdmission[]> {
  const rows = await executor
    .select()
    .from(admissions)
    .where(
      and(
        eq(admissions.eventId, scope.eventId),
        eq(admissions.tenantId, scope.tenantId),
        gt(admissions.seq, range.after),
        lte(admissions.seq, range.upTo),
      ),
    )
    .orderBy(asc(admissions.seq))
    .limit(range.limit);
  return rows.map((r) => ({
    seq: r.seq,
    serial: r.serial,
    origin: r.origin,
    originSeq: r.originSeq,
    direction: r.direction,
    ...(r.direction === 'undo' ? { undoes: undoesOf(r) ?? null } : {}),
    at: r.atMs,
    gateId: r.gateId,
    gateName: r.gateName,
    unconfirmed: r.unconfirmed,
    ...storedZones(r),
  }));
}

/**
 * The SQL condition "record `alias` is a standing movement": an entry or exit (not an undo record) that
 * no undo record of its event takes back — what shared/admission/history effectiveMovements keeps, as
 * every figure that counts admissions in SQL asks it (arrivals, attendance, analytics, refund rules).
 */
export function standingMovementSql(alias: string): SQL {
  const a = sql.raw(alias);
  return sql`(${a}.direction in ('in', 'out') and not exists (
    select 1 from admissions undo
     where undo.event_id = ${a}.event_id and undo.direction = 'undo'
       and undo.undoes_origin = ${a}.origin and undo.undoes_origin_seq = ${a}.origin_seq))`;
}

/**
 * True when any of these tickets has a standing admission record — an accepted entry or exit at a gate,
 * by online validation or manual check-in, not undone — in the cloud's history: the ticket has been used
 * at the door, whether or not its holder is inside now (the refund rules, ./refund-rules.ts).
 */
export async function anyAdmitted(
  executor: Executor,
  eventId: string,
  serials: readonly number[],
): Promise<boolean> {
  if (serials.length === 0) return false;
  const result = await executor.execute(sql`
    select 1 as found from admissions a
     where a.event_id = ${eventId}::uuid and a.serial = any(${sql.param([...serials])}::bigint[])
       and ${standingMovementSql('a')}
     limit 1`);
  return parseRows(z.object({ found: z.number() }), result).length > 0;
}
