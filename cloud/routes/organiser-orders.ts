/**
 * HTTP routes an organiser looks for on orders (issue 16): one order with its tickets and payment and
 * refund facts (its customer, the tenant's admin, ops), and an event's orders as a paged list or, with
 * `?format=csv`, one CSV file of every order matching the filter (admin, ops). Another tenant's order or
 * event, or another customer's order, is 404 like a missing one.
 */
import { createRoute } from '@hono/zod-openapi';
import { errorResponses } from '../http/answers';
import { actorOf, bearerAccess, createRouter, type RouteDeps, unwrap } from '../http/openapi';
import { idParams, PageQuery, pageOf, z } from '../http/schemas';
import { csvChunks, ORDER_COLUMNS, pagesFrom } from '../services/organiser/csv';
import { listEventOrders, orderDetail } from '../services/organiser/orders';
import { MAX_PAGE_SIZE } from '../services/pagination';
import { csvAttachment, refusePagingWithCsv } from './csv-response';
import {
  EventOrderSchema,
  ORDER_DETAIL_EXAMPLE,
  ORDER_EXAMPLE,
  OrderDetailSchema,
} from './organiser-schemas';

const OrdersQuery = PageQuery.extend({
  status: z.enum(['paid', 'refunded']).optional().openapi({ description: 'Only orders in this status' }),
  format: z.enum(['json', 'csv']).optional().openapi({
    description: 'csv: every matching order as one CSV file (no `limit`/`cursor` then)',
  }),
});

const OrderPageSchema = pageOf(EventOrderSchema, 'EventOrderPage');

/** Routes under /api/v1 for reading orders. */
export function organiserOrderRoutes(deps: RouteDeps) {
  const { services, limits } = deps;
  return createRouter()
    .openapi(
      createRoute({
        method: 'get',
        path: '/orders/{id}',
        operationId: 'getOrder',
        summary: 'An order with its tickets and its payment and refund facts',
        description:
          'The order, its tickets (serial, type, status, current holder) and what happened to the money: ' +
          'status, total, payment id, refund time, who refunded, the reason and any admin override. A ' +
          'customer reads only their own orders; an admin those of the tenant; ops any. No QR tokens.',
        ...bearerAccess(['orders'], ['customer', 'admin', 'ops'], limits.read),
        request: { params: idParams('id') },
        responses: {
          200: {
            description: 'The order',
            content: { 'application/json': { schema: OrderDetailSchema, example: ORDER_DETAIL_EXAMPLE } },
          },
          ...errorResponses(404),
        },
      }),
      async (c) => {
        const { order } = unwrap(await orderDetail(services, actorOf(c), c.req.valid('param').id));
        return c.json(order, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/events/{id}/orders',
        operationId: 'listEventOrders',
        summary: 'An event’s orders (JSON pages, or all of them as CSV with ?format=csv)',
        description:
          'Oldest first, `{items, nextCursor}` with `?limit=&cursor=`; `status` filters paid or refunded ' +
          'orders. `?format=csv` answers every matching order as one streamed CSV attachment (RFC 4180, ' +
          'a header row, the columns of the JSON items in snake_case, text that a spreadsheet would run ' +
          'as a formula prefixed with an apostrophe).',
        ...bearerAccess(['orders'], ['admin', 'ops'], limits.read),
        request: { params: idParams('id'), query: OrdersQuery },
        responses: {
          200: {
            description: 'A page of orders, or the CSV file',
            content: {
              'application/json': {
                schema: OrderPageSchema,
                example: { items: [ORDER_EXAMPLE], nextCursor: null },
              },
              'text/csv': {
                schema: z.string().openapi({ description: 'One header row, one row per order' }),
              },
            },
          },
          ...errorResponses(404),
        },
      }),
      async (c) => {
        const eventId = c.req.valid('param').id;
        const { status, format, ...paging } = c.req.valid('query');
        refusePagingWithCsv(c.req.valid('query'));
        const actor = actorOf(c);
        const read = (page: { limit?: number; cursor?: string }) =>
          listEventOrders(services, actor, eventId, { status }, page);
        if (format !== 'csv') return c.json(unwrap(await read(paging)).page, 200);
        const first = unwrap(await read({ limit: MAX_PAGE_SIZE })).page;
        const pages = pagesFrom(first, (cursor) => read({ limit: MAX_PAGE_SIZE, cursor }));
        return csvAttachment(c, `orders-${eventId}.csv`, csvChunks(ORDER_COLUMNS, pages));
      },
    );
}
