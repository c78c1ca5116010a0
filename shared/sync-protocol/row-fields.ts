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

/** A string of at most `maxLength` UTF-16 units. */
export interface TextField extends FieldBase {
  readonly kind: 'text';
  readonly maxLength: number;
}

export type Field = IntField | EnumField | TextField;
export type FieldTable = Readonly<Record<string, Field>>;

/** The TypeScript type of one field's value. */
export type FieldValue<F extends Field> = F extends IntField
  ? number
  : F extends EnumField<infer V>
    ? V
    : string;

/** The TypeScript type of a row described by a table. */
export type RowOf<T extends FieldTable> = { -readonly [K in keyof T]: FieldValue<T[K]> };

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
      return z.string().max(field.maxLength);
  }
}

/** The zod schema of a table's rows (unknown keys dropped, like every object schema of the protocol). */
export function rowSchema<T extends FieldTable>(
  table: T,
): z.ZodObject<{ [K in keyof T]: z.ZodType<FieldValue<T[K]>> }> {
  const shape = Object.fromEntries(Object.entries(table).map(([name, field]) => [name, zodOf(field)]));
  return z.object(shape) as z.ZodObject<{ [K in keyof T]: z.ZodType<FieldValue<T[K]>> }>;
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
    case 'text':
      return `typeof ${name} !== 'string' || ${name}.length > ${field.maxLength}`;
  }
}

/**
 * A validator accepting and rejecting exactly what `rowSchema(table)` does, returning a new row with only
 * the table's fields, in table order. It exists for speed: zod costs 4–8 µs per row, most of the time of
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
    `return { ${locals.map(({ name, local }) => `${name}: ${local}`).join(', ')} };`,
  ].join('\n');
  return new Function('value', body) as (value: unknown) => RowOf<T> | undefined;
}

/** The names of the fields that go into the row hash, in table order. */
export function hashedFields<T extends FieldTable>(table: T): HashedFieldOf<T>[] {
  return Object.keys(table).filter((name) => table[name]!.hashed !== false) as HashedFieldOf<T>[];
}

/**
 * The canonical hash input of a row: the hashed fields' values in table order, joined by '|'. Numbers
 * print in JavaScript's shortest form, which equals PostgreSQL's integer-to-text (the cloud's SQL).
 */
export function hashInputOf<T extends FieldTable>(
  table: T,
): (row: Pick<RowOf<T>, HashedFieldOf<T>>) => string {
  const names: readonly string[] = hashedFields(table);
  const [first, ...rest] = names;
  if (first === undefined) throw new Error('a row hash needs at least one field');
  return (row) => {
    const values = row as Record<string, unknown>;
    let input = String(values[first]);
    for (const name of rest) input += `|${values[name]}`;
    return input;
  };
}

/** The PostgreSQL type of a field's column (integers wider than 31 bits are bigint). */
export function pgTypeOf(field: Field): 'bigint' | 'integer' | 'text' {
  if (field.kind !== 'int') return 'text';
  return field.max === undefined || field.max > 0x7fff_ffff ? 'bigint' : 'integer';
}
