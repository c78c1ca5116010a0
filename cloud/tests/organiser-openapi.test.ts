/**
 * The organiser lists and exports describe themselves in /openapi.json (issue 16): operationId, a tag,
 * a description, bearer security and 401/403/404 answers, and a 200 example that its own schema accepts
 * with nothing extra (what the document linter checks: no example the schema would refuse).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ADMISSION_EXAMPLE,
  AdmissionItemSchema,
  EventOrderSchema,
  EventTicketSchema,
  ORDER_DETAIL_EXAMPLE,
  ORDER_EXAMPLE,
  OrderDetailSchema,
  TICKET_EXAMPLE,
} from '../routes/organiser-schemas';
import { createTestCloud, type TestCloud } from '../test-support/cloud';

let cloud: TestCloud;
// biome-ignore lint/suspicious/noExplicitAny: the document is read as plain JSON
let doc: any;

beforeAll(async () => {
  cloud = await createTestCloud();
  doc = (await cloud.call('GET', '/openapi.json')).body;
});

afterAll(async () => {
  await cloud?.close();
});

/** The schema with every nested object strict: an example with a field the schema lacks fails. */
function strict(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodObject) {
    const shape = Object.fromEntries(
      Object.entries(schema.shape).map(([k, v]) => [k, strict(v as z.ZodType)]),
    );
    return z.strictObject(shape);
  }
  if (schema instanceof z.ZodArray) return z.array(strict(schema.element as z.ZodType));
  if (schema instanceof z.ZodNullable) return strict(schema.unwrap() as z.ZodType).nullable();
  return schema;
}

describe('the organiser operations in /openapi.json', () => {
  it.each([
    ['/api/v1/orders/{id}', 'getOrder', 'orders', ORDER_DETAIL_EXAMPLE],
    ['/api/v1/events/{id}/orders', 'listEventOrders', 'orders', { items: [ORDER_EXAMPLE], nextCursor: null }],
    [
      '/api/v1/events/{id}/tickets',
      'listEventTickets',
      'tickets',
      { items: [TICKET_EXAMPLE], nextCursor: null },
    ],
    [
      '/api/v1/events/{id}/admissions',
      'listEventAdmissions',
      'reports',
      { items: [ADMISSION_EXAMPLE], nextCursor: null },
    ],
  ])('%s is %s, tagged, described, secured, with its example', (path, operationId, tag, example) => {
    const operation = doc.paths[path].get;
    expect(operation.operationId).toBe(operationId);
    expect(operation.tags).toEqual([tag]);
    expect(operation.description.length).toBeGreaterThan(40);
    expect(operation.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(operation.responses)).toEqual(
      expect.arrayContaining(['200', '400', '401', '403', '404']),
    );
    expect(operation.responses['200'].content['application/json'].example).toEqual(example);
  });

  it('has examples that their schemas accept with nothing extra', () => {
    const page = (item: z.ZodType) => z.strictObject({ items: z.array(strict(item)), nextCursor: z.null() });
    expect(strict(OrderDetailSchema).safeParse(ORDER_DETAIL_EXAMPLE).success).toBe(true);
    expect(page(EventOrderSchema).safeParse({ items: [ORDER_EXAMPLE], nextCursor: null }).success).toBe(true);
    expect(page(EventTicketSchema).safeParse({ items: [TICKET_EXAMPLE], nextCursor: null }).success).toBe(
      true,
    );
    expect(
      page(AdmissionItemSchema).safeParse({ items: [ADMISSION_EXAMPLE], nextCursor: null }).success,
    ).toBe(true);
    expect(strict(OrderDetailSchema).safeParse({ ...ORDER_DETAIL_EXAMPLE, qr: 'x' }).success).toBe(false);
  });

  it('documents the CSV form of the two exports', () => {
    for (const path of ['/api/v1/events/{id}/orders', '/api/v1/events/{id}/admissions']) {
      expect(Object.keys(doc.paths[path].get.responses['200'].content)).toEqual([
        'application/json',
        'text/csv',
      ]);
    }
  });
});
