/**
 * The manifest row contract, in one place: a ticket as the gates hold it (one row per ticket; a
 * revocation is a tombstone), its fields and bounds, its zod schema and fast validator, its hash and the
 * copy checksum in both forms, and the SQL the cloud reads rows and checksums with. Everything is derived
 * from MANIFEST_ROW_FIELDS: a field added there reaches the wire schema, the gate's validator and
 * statements, the row hash and the cloud's SQL together.
 *
 * The checksum of a copy is the XOR of its rows' hashes (first 8 bytes of SHA-256 of the canonical hash
 * input, e.g. "17|1|1|valid|q3…"), so it is independent of order and a gate keeps it row by row: XOR the
 * old row out, the new one in.
 */
import { hash } from 'node:crypto';
import { HOLDER_KEY_BOX_MAX_LENGTH } from '../crypto/holder-key-box';
import { HOLDER_NAME_BOX_MAX_LENGTH } from '../crypto/holder-name-box';
import {
  type Field,
  type FieldTable,
  hashedFields,
  hashInputOf,
  hashInputSqlOf,
  pgTypeOf,
  type RowOf,
  rowSchema,
  rowValidator,
} from './row-fields';

/** The fields of a manifest row, in wire order. Column names are the same in the cloud and the gate. */
export const MANIFEST_ROW_FIELDS = {
  /** The change that last wrote the row: where it sits in the event's change sequence, not what it is. */
  seq: { kind: 'int', column: 'seq', min: 1, hashed: false },
  serial: { kind: 'int', column: 'serial', min: 1, max: 0xffff_ffff },
  typeNo: { kind: 'int', column: 'type_no', min: 0, max: 0xffff },
  generation: { kind: 'int', column: 'generation', min: 0, max: 0xffff },
  status: { kind: 'enum', column: 'status', values: ['valid', 'revoked'] },
  /**
   * shared/crypto ticketTokenDigest of the ticket's current token; '' when revoked, since a revoked
   * ticket binds no token (the cloud keeps the old digest in its tables and blanks it here).
   */
  digest: {
    kind: 'text',
    column: 'digest',
    maxLength: 32,
    cloudSql: "case when status = 'revoked' then '' else digest end",
  },
  /**
   * The holder's name sealed to the ticket's current code (shared/crypto/holder-name-box.ts, "hn1"),
   * present only when the ticket has a name: a gate opens it when the code is scanned and never holds
   * the name itself. Absent on revoked rows (a revoked ticket binds no code). Optional, so a row without
   * a name hashes exactly as before the field existed.
   */
  nameBox: {
    kind: 'text',
    column: 'name_box',
    maxLength: HOLDER_NAME_BOX_MAX_LENGTH,
    optional: true,
    cloudSql: "case when status = 'revoked' then null else name_box end",
  },
  /**
   * The holder's device binding sealed with the event key (shared/crypto/holder-key-box.ts, "hk1", issue
   * 20): present only while the ticket is claimed in a wallet, so a gate can verify the rotating code
   * offline. Absent on revoked rows. Optional: a row without it hashes exactly as before the field existed.
   */
  holderKey: {
    kind: 'text',
    column: 'holder_key',
    maxLength: HOLDER_KEY_BOX_MAX_LENGTH,
    optional: true,
    cloudSql: "case when status = 'revoked' then null else holder_key end",
  },
} as const satisfies FieldTable;

export type ManifestRowField = keyof typeof MANIFEST_ROW_FIELDS;

/** A ticket row as of change `seq`. A ticket is one row; revocation is a tombstone (status). */
export const ManifestTicket = rowSchema(MANIFEST_ROW_FIELDS);
export type ManifestTicket = RowOf<typeof MANIFEST_ROW_FIELDS>;

/** The fields that make up a row's hash (every field but `seq`). */
export type ManifestRowContent = Omit<ManifestTicket, 'seq'>;

/**
 * Checks one ticket row of a page exactly as ManifestTicket would (same bounds, unknown keys dropped),
 * at a fraction of zod's cost: a snapshot carries 100,000 of them. Undefined when the row is invalid.
 */
export const parseManifestTicket = rowValidator(MANIFEST_ROW_FIELDS);

/** The hashed fields in hash order. */
export const MANIFEST_HASHED_FIELDS = hashedFields(MANIFEST_ROW_FIELDS);

/**
 * The canonical hash input of a row: "serial|typeNo|generation|status|digest", then "|nameBox" and
 * "|holderKey" for each the row has (their prefixes "hn1." and "hk1." keep the two apart).
 */
export const manifestHashInput = hashInputOf(MANIFEST_ROW_FIELDS);

/** The SHA-256 of the row's canonical input; both hash forms below read its first 8 bytes. */
function rowDigest(row: ManifestRowContent): Buffer {
  // One-shot crypto.hash: about 1.5 µs per row against 10 µs for a Hash object (measured on snapshots).
  return hash('sha256', manifestHashInput(row), 'buffer');
}

/** One row's contribution to the checksum as an unsigned 64-bit integer (tests and full re-checks). */
export function manifestRowHash(row: ManifestRowContent): bigint {
  return rowDigest(row).readBigUInt64BE(0);
}

/** A 64-bit XOR accumulator as two unsigned 32-bit halves: no BigInt per row on a 100,000-row snapshot. */
export interface Xor64 {
  hi: number;
  lo: number;
}

/** XORs one row's hash into `acc` (in place): the same operation adds and removes a row. */
export function xorManifestRow(acc: Xor64, row: ManifestRowContent): void {
  const digest = rowDigest(row);
  acc.hi = (acc.hi ^ digest.readUInt32BE(0)) >>> 0;
  acc.lo = (acc.lo ^ digest.readUInt32BE(4)) >>> 0;
}

/** Formats an XOR accumulator as the 16-hex-digit checksum pages carry. */
export function formatChecksum(xor: bigint): string {
  return (xor & 0xffff_ffff_ffff_ffffn).toString(16).padStart(16, '0');
}

/** The 16-hex-digit form of a two-halves accumulator, identical to formatChecksum. */
export function formatXor64(acc: Xor64): string {
  return acc.hi.toString(16).padStart(8, '0') + acc.lo.toString(16).padStart(8, '0');
}

/** Parses the 16-hex-digit checksum pages carry (and gates keep) into an accumulator. */
export function parseXor64(checksum: string): Xor64 {
  return {
    hi: Number.parseInt(checksum.slice(0, 8), 16) >>> 0,
    lo: Number.parseInt(checksum.slice(8, 16), 16) >>> 0,
  };
}

/** The checksum of an empty copy. */
export const EMPTY_MANIFEST_CHECKSUM = formatChecksum(0n);

/** The checksum of a whole copy (for tests and full re-checks; gates keep it incrementally). */
export function manifestChecksum(rows: Iterable<ManifestRowContent>): string {
  let xor = 0n;
  for (const row of rows) xor ^= manifestRowHash(row);
  return formatChecksum(xor);
}

// ---------------------------------------------------------------------------------------------------
// SQL (column names shared by the cloud's tickets / ticket_changes and the gate's tickets)
// ---------------------------------------------------------------------------------------------------

const FIELD_NAMES = Object.keys(MANIFEST_ROW_FIELDS) as ManifestRowField[];

/** The column of each field, in wire order. */
export const MANIFEST_ROW_COLUMNS: readonly { field: ManifestRowField; column: string }[] = FIELD_NAMES.map(
  (field) => ({ field, column: MANIFEST_ROW_FIELDS[field].column }),
);

/** How the cloud reads a field from a row of its `tickets` or `ticket_changes` table. */
export function manifestFieldCloudSql(field: ManifestRowField): string {
  const spec: Field = MANIFEST_ROW_FIELDS[field];
  return spec.cloudSql ?? spec.column;
}

/** The PostgreSQL type of a field's column. */
export function manifestFieldPgType(field: ManifestRowField): 'bigint' | 'integer' | 'text' {
  return pgTypeOf(MANIFEST_ROW_FIELDS[field]);
}

/**
 * The PostgreSQL aggregate over cloud rows (`tickets` or any relation with the same columns) that equals
 * manifestChecksum of the rows the gates hold: the XOR of the first 8 bytes of SHA-256 of the canonical
 * input, as 16 hex digits (NULL over no rows).
 */
export const MANIFEST_CHECKSUM_SQL = `lpad(to_hex(bit_xor(('x' || encode(substring(sha256(convert_to(${hashInputSqlOf(
  MANIFEST_ROW_FIELDS,
  (field) => manifestFieldCloudSql(field as ManifestRowField),
)}, 'UTF8')) from 1 for 8), 'hex'))::bit(64)::bigint)), 16, '0')`;
