/**
 * The admission row contract of manifest pages (issue 14): an admission record (shared/admission/history)
 * as the cloud serves it to every gate of the event — one accepted entry or exit made by a gate, by
 * online validation or by manual check-in — numbered in the event's ONE change sequence beside the
 * ticket changes, so it travels in the same pages, snapshots and deltas and is covered by the page's
 * summary.
 *
 * The summary's admission part is the count and the XOR of the records' hashes (first 8 bytes of SHA-256
 * of "serial|origin|originSeq|direction|at|gateId|unconfirmed"), like the ticket checksum: independent of
 * order, kept record by record. `gateName` is for the screen only and is not hashed (a gate renamed
 * later does not change history). The SQL below is the same hash over the cloud's `admissions` table.
 *
 * An undo record (shared/admission/undo.ts) is a row like any other with `direction: 'undo'` and
 * `undoes` naming the record it takes back; its hash input appends "|undoesOrigin|undoesOriginSeq", so
 * entries and exits hash exactly as before undo records existed.
 *
 * Zones (issue 18): an entry or exit at a venue with zones carries the move it made (`fromZone`,
 * `toZone`: a zone's UUID or "outside", both or neither); its hash input then appends
 * "|fromZone|toZone", so records without zones hash exactly as before zones existed.
 */
import { hash } from 'node:crypto';
import { z } from 'zod';
import { formatXor64, type Xor64 } from './manifest-row';

const epochMs = z.number().int().min(0).max(8.64e15);

/** Who made a record: a gate device's id (UUID) or `cloud`. */
export const AdmissionOriginSchema = z.union([z.uuid(), z.literal('cloud')]);

/** A zone a move starts or ends in: a venue zone's id, or OUTSIDE. */
export const ZoneRefSchema = z.union([z.uuid(), z.literal('outside')]);

/** One admission record in a manifest page. */
export const ManifestAdmission = z.object({
  /** Where the record sits in the event's change sequence. */
  seq: z.number().int().min(1),
  serial: z.number().int().min(1).max(0xffff_ffff),
  origin: AdmissionOriginSchema,
  /** Dense per (event, origin) from 1. */
  originSeq: z.number().int().min(1),
  direction: z.enum(['in', 'out', 'undo']),
  /** Only on an undo record: the entry or exit it takes back (null or absent otherwise). */
  undoes: z
    .object({ origin: AdmissionOriginSchema, originSeq: z.number().int().min(1) })
    .nullable()
    .optional(),
  /** Corrected time of the decision (the cloud's clock estimate), unix ms. */
  at: epochMs,
  gateId: z.uuid(),
  gateName: z.string().max(200).nullable(),
  /** Decided while the deciding gate reached neither the cloud nor all its peers. */
  unconfirmed: z.boolean(),
  /** Entries and exits at a venue with zones: the move made (both or neither; null or absent otherwise). */
  fromZone: ZoneRefSchema.nullable().optional(),
  toZone: ZoneRefSchema.nullable().optional(),
});
export type ManifestAdmission = z.infer<typeof ManifestAdmission>;

/** The hashed content of a record (everything but `seq` and `gateName`). */
export type AdmissionRowContent = Pick<
  ManifestAdmission,
  | 'serial'
  | 'origin'
  | 'originSeq'
  | 'direction'
  | 'at'
  | 'gateId'
  | 'unconfirmed'
  | 'undoes'
  | 'fromZone'
  | 'toZone'
>;

/** Count and checksum of the admission records a copy holds. */
export const AdmissionTotals = z.object({
  count: z.number().int().min(0),
  checksum: z.string().regex(/^[0-9a-f]{16}$/),
});
export type AdmissionTotals = z.infer<typeof AdmissionTotals>;

/** The canonical hash input of a record. */
export function admissionHashInput(row: AdmissionRowContent): string {
  const base = `${row.serial}|${row.origin.toLowerCase()}|${row.originSeq}|${row.direction}|${row.at}|${row.gateId.toLowerCase()}|${row.unconfirmed ? 1 : 0}`;
  if (row.direction !== 'undo') {
    return row.fromZone && row.toZone
      ? `${base}|${row.fromZone.toLowerCase()}|${row.toZone.toLowerCase()}`
      : base;
  }
  return `${base}|${row.undoes?.origin.toLowerCase() ?? ''}|${row.undoes?.originSeq ?? ''}`;
}

/** XORs one record's hash into `acc` (in place). */
export function xorAdmissionRow(acc: Xor64, row: AdmissionRowContent): void {
  const digest = hash('sha256', admissionHashInput(row), 'buffer');
  acc.hi = (acc.hi ^ digest.readUInt32BE(0)) >>> 0;
  acc.lo = (acc.lo ^ digest.readUInt32BE(4)) >>> 0;
}

/** Totals of a whole set of records (tests and full re-checks; gates keep them incrementally). */
export function admissionTotalsOf(rows: Iterable<AdmissionRowContent>): AdmissionTotals {
  const acc: Xor64 = { hi: 0, lo: 0 };
  let count = 0;
  for (const row of rows) {
    xorAdmissionRow(acc, row);
    count++;
  }
  return { count, checksum: formatXor64(acc) };
}

/** The totals of no records. */
export const EMPTY_ADMISSION_TOTALS: AdmissionTotals = { count: 0, checksum: '0000000000000000' };

/**
 * One `admissions` row's checksum term in PostgreSQL, a signed bigint: the first 8 bytes of the SHA-256 of
 * admissionHashInput(...). Columns: serial, origin, origin_seq, direction, at_ms, gate_id, unconfirmed, and
 * on undo rows undoes_origin, undoes_origin_seq (appended exactly when direction = 'undo', like
 * admissionHashInput), on other rows from_zone, to_zone (appended exactly when both are set). A writer
 * that inserts one record takes it from the row itself (`INSERT … RETURNING`, migration 0015).
 */
export const ADMISSION_XOR_TERM_SQL = `('x' || encode(substring(sha256(convert_to(serial || '|' || lower(origin) || '|' || origin_seq || '|' || direction || '|' || at_ms || '|' || lower(gate_id::text) || '|' || (case when unconfirmed then 1 else 0 end) || (case when direction = 'undo' then '|' || lower(undoes_origin) || '|' || undoes_origin_seq when from_zone is not null and to_zone is not null then '|' || lower(from_zone) || '|' || lower(to_zone) else '' end), 'UTF8')) from 1 for 8), 'hex'))::bit(64)::bigint`;

/**
 * The PostgreSQL aggregate over the cloud's `admissions` rows that equals admissionTotalsOf(...).checksum
 * as a signed bigint (NULL over no rows): what the cloud keeps on the event row.
 */
export const ADMISSION_XOR_SQL = `bit_xor(${ADMISSION_XOR_TERM_SQL})`;

/** The same aggregate as the 16-hex-digit checksum pages carry. */
export const ADMISSION_CHECKSUM_SQL = `lpad(to_hex(${ADMISSION_XOR_SQL}), 16, '0')`;
