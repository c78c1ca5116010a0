/**
 * The quarantine of scan uploads (docs/CONTRACT.md §8.3): an uploaded row the cloud will not count is
 * kept in `device_scans` with `quarantined = 1`, a reason code and the row as the device sent it, and is
 * still acknowledged — one bad row must never block a gate's queue, and nothing a gate sends is dropped
 * unseen. A quarantined row counts nowhere (attendance, operations, analytics, reconciliation read
 * `quarantined = 0`) and becomes no admission record.
 *
 * What a device sent must be storable whatever it is: PostgreSQL's text and jsonb cannot hold U+0000 or
 * a lone UTF-16 surrogate, and a value nested thousands deep overflows the stack of the JSON
 * serialiser. Either used to fail the insert and answer 500 (the gate then retried the same batch
 * forever), so the raw row is made storable here first: such characters become U+FFFD and nesting is cut
 * at MAX_RAW_DEPTH.
 */

/** Why a row is in quarantine: the code that starts its `quarantine_reason`. */
export const QUARANTINE_REASONS = {
  /** The row does not match the scan record schema (details follow the code). */
  INVALID_ROW: 'the row is not a valid scan record',
  /** The row names a gate other than the uploading device's. */
  WRONG_GATE: 'gateId is not this device’s gate',
  /** The row names an event the device does not serve (another tenant's, another venue's, a draft). */
  EVENT_NOT_SERVED: 'eventId is not an event this device serves',
  /** The row's scan id is already stored under another sequence number of this device. */
  DUPLICATE_ID: 'the scan id is already stored under another sequence number',
} as const;
export type QuarantineReason = keyof typeof QUARANTINE_REASONS;

/** The longest `quarantine_reason` kept. */
const MAX_REASON_LENGTH = 500;

/**
 * How deep a quarantined row's raw JSON is kept (the row itself is level 1; a valid scan record has no
 * deeper values). A value below this depth is replaced by RAW_TOO_DEEP.
 */
export const MAX_RAW_DEPTH = 8;
/** What stands in a quarantined row's raw JSON for a value nested deeper than MAX_RAW_DEPTH. */
export const RAW_TOO_DEEP = `[nested deeper than ${MAX_RAW_DEPTH} levels: not kept]`;

/** The `quarantine_reason` of a row: `CODE: explanation` (and the details, when there are any). */
export function quarantineReason(code: QuarantineReason, details?: string): string {
  const text = `${code}: ${details ? details : QUARANTINE_REASONS[code]}`;
  return storableString(text.slice(0, MAX_REASON_LENGTH));
}

/** A UTF-16 surrogate without its other half (no UTF-8 form; jsonb refuses its `\\uD800` escape). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text PostgreSQL can store: NUL and lone surrogates become U+FFFD. */
export function storableString(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD').replaceAll('\u0000', '\uFFFD');
}

/**
 * A JSON value (as JSON.parse gives it) that PostgreSQL's jsonb can store and JSON.stringify can write:
 * every string and key made storable, nesting cut at MAX_RAW_DEPTH. Never recurses deeper than that.
 */
export function storableJson(value: unknown, depth = 1): unknown {
  if (typeof value === 'string') return storableString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_RAW_DEPTH) return RAW_TOO_DEEP;
  if (Array.isArray(value)) return value.map((item) => storableJson(item, depth + 1));
  // fromEntries defines own properties: a "__proto__" key stays a key, not the prototype.
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [storableString(key), storableJson(item, depth + 1)]),
  );
}
