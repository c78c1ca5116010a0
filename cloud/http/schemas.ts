/**
 * Schema pieces the route modules build their requests and answers from: ids, human text, the page
 * query and the page shape of every list (SPEC section 4).
 */
import { z } from '@hono/zod-openapi';

export const Uuid = z.uuid();

/** An instant as the API answers it: ISO 8601 in UTC (`toISOString`), stated as `format: date-time`. */
export const Timestamp = z.iso.datetime().openapi({ example: '2027-06-01T18:00:00.000Z' });

// C0/C1 control characters (NUL above all: PostgreSQL text cannot hold it) have no place in a name, and a
// name needs one visible character. A pattern rather than a refinement, so the document states it too.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const HUMAN_TEXT = /^(?=.*\S)[^\u0000-\u001f\u007f-\u009f]*$/;

/** Human text (names, reasons): trimmed, bounded, no control characters. */
export function text(max: number) {
  return z.string().trim().min(1).max(max).regex(HUMAN_TEXT, 'must not contain control characters');
}

/**
 * A ticket holder's name as a client sends it (issue 17). The service normalises it (NFC, trimmed, '' →
 * null) and answers 400 saying why when it is no name: over 100 characters or with control characters.
 */
export const HolderNameInput = z
  .string()
  .max(1000)
  .nullable()
  .openapi({
    description:
      'The holder’s name, shown at the door to check ID against: trimmed and NFC-normalised, at most 100 ' +
      'characters, no control characters or line breaks; null or "" for none. Gates receive it only sealed ' +
      'to the ticket’s code.',
    example: 'Zoë Ångström',
  });

/** The algorithm of a holder's wallet key (issue 20). */
export const HolderKeyAlg = z.enum(['Ed25519', 'ES256']).openapi({
  description: 'Ed25519, or ECDSA P-256 with SHA-256 (ES256)',
});

/** A ticket type's holder-code policy (issue 20). */
export const HolderCodePolicy = z.enum(['allowed', 'required']).openapi({
  description:
    '`required`: only the wallet’s holder-bound rotating code admits, a static code is refused as ' +
    'HOLDER_CODE_REQUIRED; `allowed`: the static code (a print) admits too',
});

/** `:id`-style path parameter schema. */
export function idParams<K extends string>(...names: K[]) {
  const shape = {} as Record<K, typeof Uuid>;
  for (const name of names) shape[name] = Uuid;
  return z.object(shape);
}

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z
    .string()
    .regex(/^([A-Za-z0-9_-]{48})?$/, 'not a cursor returned by this API')
    .optional()
    .openapi({ description: 'The `nextCursor` of the previous page (opaque)' }),
});

/** `{items, nextCursor}` list schema of an item schema. */
export function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() }).openapi(name);
}

export { z };
