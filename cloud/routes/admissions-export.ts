/**
 * HTTP route for an event's admission records (issue 16): what got in and out, where and when — one item
 * per record of the cloud's admission history (gate uploads, online validation), as JSON pages or, with
 * `?format=csv`, one streamed CSV file of them all. Admin, venue staff and ops, like the attendance it
 * details. Another tenant's event is 404.
 */
import { createRoute } from '@hono/zod-openapi';
import { errorResponses } from '../http/answers';
import { actorOf, bearerAccess, createRouter, type RouteDeps, unwrap } from '../http/openapi';
import { idParams, PageQuery, pageOf, z } from '../http/schemas';
import { listEventAdmissions } from '../services/organiser/admissions';
import { ADMISSION_COLUMNS, csvChunks, pagesFrom } from '../services/organiser/csv';
import { MAX_PAGE_SIZE } from '../services/pagination';
import { csvAttachment, refusePagingWithCsv } from './csv-response';
import { ADMISSION_EXAMPLE, AdmissionItemSchema } from './organiser-schemas';

const AdmissionsQuery = PageQuery.extend({
  // Its own cursor (a record's place in the event's sequence), not an id like the other lists'.
  cursor: z
    .string()
    .max(64)
    .optional()
    .openapi({ description: 'The `nextCursor` of the previous page (opaque)' }),
  format: z.enum(['json', 'csv']).optional().openapi({
    description: 'csv: every record as one CSV file (no `limit`/`cursor` then)',
  }),
});

/** Routes under /api/v1 for an event's admission records. */
export function admissionExportRoutes(deps: RouteDeps) {
  const { services, limits } = deps;
  return createRouter().openapi(
    createRoute({
      method: 'get',
      path: '/events/{id}/admissions',
      operationId: 'listEventAdmissions',
      summary: 'An event’s admission records: entries and exits, gate, time, origin (JSON pages or CSV)',
      description:
        'One item per admission record — an accepted entry or exit — from gate uploads and online ' +
        'validation, in the order the cloud recorded them (`seq`); `at` is the corrected decision time ' +
        '(ISO 8601 UTC). `{items, nextCursor}` with `?limit=&cursor=`; `?format=csv` answers every record ' +
        'as one streamed CSV attachment (RFC 4180, a header row, formula-like text prefixed with an ' +
        'apostrophe).',
      ...bearerAccess(['reports'], ['admin', 'venue_staff', 'ops'], limits.read),
      request: { params: idParams('id'), query: AdmissionsQuery },
      responses: {
        200: {
          description: 'A page of admission records, or the CSV file',
          content: {
            'application/json': {
              schema: pageOf(AdmissionItemSchema, 'AdmissionRecordPage'),
              example: { items: [ADMISSION_EXAMPLE], nextCursor: null },
            },
            'text/csv': { schema: z.string().openapi({ description: 'One header row, one row per record' }) },
          },
        },
        ...errorResponses(404),
      },
    }),
    async (c) => {
      const eventId = c.req.valid('param').id;
      const { format, ...paging } = c.req.valid('query');
      const actor = actorOf(c);
      refusePagingWithCsv(c.req.valid('query'));
      if (format !== 'csv') {
        return c.json(unwrap(await listEventAdmissions(services, actor, eventId, paging)).page, 200);
      }
      const read = (cursor?: string) =>
        listEventAdmissions(services, actor, eventId, { limit: MAX_PAGE_SIZE, cursor });
      const pages = pagesFrom(unwrap(await read()).page, read);
      return csvAttachment(c, `admissions-${eventId}.csv`, csvChunks(ADMISSION_COLUMNS, pages));
    },
  );
}
