/**
 * Field tables: a row of the sync protocol described once — each field's name, type, bounds and the
 * column it is stored in — and everything that must agree about that row derived from the one table:
 * the zod schema (the wire contract and the cloud's OpenAPI document), a fast validator for bulk rows,
 * the canonical hash input and the SQL column lists of both sides. Adding a field to a table changes all
 * of them at once; nothing here knows which row it describes (shared/sync-protocol/manifest-row.ts is
 * one such table).
 */
import { z } from 'zod';

interface FieldBase {
  /** Column name in the cloud's tables and the gate's SQLite (both use the same names). */
  readonly column: string;
  /**
   * How the cloud reads the field from a stored row, when not the bare column (e.g. a value the wire
   * form blanks). Also used in the cloud's checksum SQL, so both read the row the same way.
   */
  readonly cloudSql?: string;
  /** False for fields that say where a row sits rather than what it is (left out of the row hash). */
  readonly hashed?: boolean;
}

/** A safe integer in [min, max] (max absent: any safe integer from min). */
export interface IntField extends FieldBase {
  readonly kind: 'int';
  readonly min: number;
  readonly max?: number;
}

/** One of a fixed list of strings. */
export interface EnumField<V extends string = string> extends FieldBase {
  readonly kind: 'enum';
  readonly values: readonly [V, ...V[]];
}

/**
 * A string of at most `maxLength` UTF-16 units. An `optional` text field is present in a row only when it
 * holds a non-empty string (absent, null and '' all mean "none"); it enters the row hash only then, so a
 * field added this way leaves every row without it hashing as before.
 */
export interface TextField extends FieldBase {
  readonly kind: 'text';
  readonly maxLength: number;
  readonly optional?: true;
}

export type Field = IntField | EnumField | TextField;
export type FieldTable = Readonly<Record<string, Field>>;

/** The TypeScript type of one field's value. */
export type FieldValue<F extends Field> = F extends IntField
  ? number
  : F extends EnumField<infer V>
    ? V
    : string;

/** The names of a table's optional fields, as a union. */
export type OptionalFieldOf<T extends FieldTable> = {
  [K in keyof T]: T[K] extends { optional: true } ? K : never;
}[keyof T];

/** The TypeScript type of a row described by a table (optional fields may be absent). */
export type RowOf<T extends FieldTable> = {
  -readonly [K in Exclude<keyof T, OptionalFieldOf<T>>]: FieldValue<T[K]>;
} & { -readonly [K in OptionalFieldOf<T>]?: FieldValue<T[K]> };

/** The names of a table's fields that go into the row hash, as a union. */
export type HashedFieldOf<T extends FieldTable> = {
  [K in Extract<keyof T, string>]: T[K] extends { hashed: false } ? never : K;
}[Extract<keyof T, string>];

function zodOf(field: Field): z.ZodType {
  switch (field.kind) {
    case 'int': {
      // zod's int() already means a safe integer; a max only when the table names one, so the OpenAPI
      // document states exactly the table's bounds.
      const int = z.number().int().min(field.min);
      return field.max === undefined ? int : int.max(field.max);
    }
    case 'enum':
      return z.enum(field.values);
    case 'text':
      // An optional field's "none" may arrive as null (a NULL column) or '': the validator drops both.
      return field.optional ? z.string().max(field.maxLength).nullish() : z.string().max(field.maxLength);
  }
}

/** Whether a field may be absent from a row. */
function isOptional(field: Field): boolean {
  return field.kind === 'text' && field.optional === true;
}

/**
 * The zod shape of a table's rows. An optional field is typed as absent-or-string although the schema
 * also takes null: the protocol's row type, which the fast validator (which drops null) produces.
 */
type RowShape<T extends FieldTable> = {
  [K in keyof T]: K extends OptionalFieldOf<T>
    ? z.ZodOptional<z.ZodType<FieldValue<T[K]>>>
    : z.ZodType<FieldValue<T[K]>>;
};

/** The zod schema of a table's rows (unknown keys dropped, like every object schema of the protocol). */
export function rowSchema<T extends FieldTable>(table: T): z.ZodObject<RowShape<T>> {
  const shape = Object.fromEntries(Object.entries(table).map(([name, field]) => [name, zodOf(field)]));
  return z.object(shape) as unknown as z.ZodObject<RowShape<T>>;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The JavaScript condition under which `name` (a local holding the field's value) is INVALID. */
function rejectionOf(name: string, field: Field): string {
  switch (field.kind) {
    case 'int': {
      const max = field.max ?? Number.MAX_SAFE_INTEGER;
      return `typeof ${name} !== 'number' || !Number.isSafeInteger(${name}) || ${name} < ${field.min} || ${name} > ${max}`;
    }
    case 'enum':
      return field.values.map((value) => `${name} !== ${JSON.stringify(value)}`).join(' && ');
    case 'text': {
      const bad = `typeof ${name} !== 'string' || ${name}.length > ${field.maxLength}`;
      return field.optional ? `${name} !== undefined && ${name} !== null && (${bad})` : bad;
    }
  }
}

/**
 * A validator accepting and rejecting exactly what `rowSchema(table)` does, returning a new row with only
 * the table's fields, in table order (an optional field undefined unless it holds a non-empty string). It exists for speed: zod costs 4–8 µs per row, most of the time of
 * parsing a 100,000-row snapshot. The checks are generated as straight-line code from the table (a loop
 * over per-field closures building the row key by key was ten times slower); the table is a constant of
 * this code base, and its names are checked to be identifiers before they are written into the code.
 */
export function rowValidator<T extends FieldTable>(table: T): (value: unknown) => RowOf<T> | undefined {
  const names = Object.keys(table);
  for (const name of names) {
    if (!IDENTIFIER.test(name)) throw new Error(`field name ${JSON.stringify(name)} is not an identifier`);
  }
  const locals = names.map((name, i) => ({ name, local: `f${i}` }));
  const body = [
    "if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;",
    ...locals.map(({ name, local }) => `const ${local} = value.${name};`),
    ...locals.map(({ name, local }) => `if (${rejectionOf(local, table[name]!)}) return undefined;`),
    `return { ${locals
      .map(({ name, local }) =>
        // An optional field's key is always there (a statement binding @name needs it), its value
        // undefined for "none": JSON drops it, SQLite binds NULL.
        isOptional(table[name]!) ? `${name}: ${local} || undefined` : `${name}: ${local}`,
      )
      .join(', ')} };`,
  ].join('\n');
  return new Function('value', body) as (value: unknown) => RowOf<T> | undefined;
}

/** The names of the fields that go into the row hash, in table order. */
export function hashedFields<T extends FieldTable>(table: T): HashedFieldOf<T>[] {
  return Object.keys(table).filter((name) => table[name]!.hashed !== false) as HashedFieldOf<T>[];
}

/**
 * The canonical hash input of a row: the hashed fields' values in table order, joined by '|'; an optional
 * field adds its '|value' only when it holds a non-empty string. Numbers print in JavaScript's shortest
 * form, which equals PostgreSQL's integer-to-text (the cloud's SQL).
 */
export function hashInputOf<T extends FieldTable>(
  table: T,
): (row: Pick<RowOf<T>, HashedFieldOf<T> & keyof RowOf<T>>) => string {
  const names: readonly string[] = hashedFields(table);
  const [first, ...rest] = names;
  if (first === undefined) throw new Error('a row hash needs at least one field');
  if (isOptional(table[first]!)) throw new Error('a row hash must start with a field every row has');
  const required = rest.filter((name) => !isOptional(table[name]!));
  const optional = rest.filter((name) => isOptional(table[name]!));
  if (rest.some((name, i) => i < required.length !== !isOptional(table[name]!))) {
    throw new Error('optional fields must come after every required field');
  }
  return (row) => {
    const values = row as Record<string, unknown>;
    let input = String(values[first]);
    for (const name of required) input += `|${values[name]}`;
    for (const name of optional) {
      const value = values[name];
      if (typeof value === 'string' && value !== '') input += `|${value}`;
    }
    return input;
  };
}

/**
 * The SQL text expression of a row's canonical hash input, given each field's SQL read: the same string
 * hashInputOf builds (an optional field's '|value' only when not NULL or '').
 */
export function hashInputSqlOf<T extends FieldTable>(table: T, readOf: (field: string) => string): string {
  return hashedFields(table)
    .map((name, i) => {
      const read = readOf(name);
      if (isOptional(table[name]!)) return `coalesce('|' || nullif(${read}, ''), '')`;
      return i === 0 ? read : `'|' || ${read}`;
    })
    .join(' || ');
}

/** The PostgreSQL type of a field's column (integers wider than 31 bits are bigint). */
export function pgTypeOf(field: Field): 'bigint' | 'integer' | 'text' {
  if (field.kind !== 'int') return 'text';
  return field.max === undefined || field.max > 0x7fff_ffff ? 'bigint' : 'integer';
}
