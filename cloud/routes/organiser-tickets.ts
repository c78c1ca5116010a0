/**
 * HTTP route for an event's tickets as the organiser and the box office look them up (issue 16): paged,
 * filtered by status, ticket type and whether the ticket was admitted, each with its admission summary
 * (inside now, first entry and its gate), and searched with `q` (issue 17: order id, serial, order
 * reference, holder name — ../services/organiser/ticket-search.ts). Admin and ops, and venue staff — the
 * box office answers "did this guest get in?" — all without QR tokens. Another tenant's event is 404.
 */
import { createRoute } from '@hono/zod-openapi';
import { errorResponses } from '../http/answers';
import { actorOf, bearerAccess, createRouter, type RouteDeps, unwrap } from '../http/openapi';
import { idParams, PageQuery, pageOf, z } from '../http/schemas';
import { MAX_QUERY_LENGTH } from '../services/organiser/ticket-search';
import { listEventTickets } from '../services/organiser/tickets';
import { EventTicketSchema, TICKET_EXAMPLE } from './organiser-schemas';

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const NO_CONTROL = /^[^\u0000-\u001f\u007f-\u009f]*$/;

/** What the box office types: trimmed, one visible character at least, bounded, no control characters. */
const SearchText = z
  .string()
  .trim()
  .min(1, 'type a name, an order reference or a serial number')
  .max(MAX_QUERY_LENGTH, `at most ${MAX_QUERY_LENGTH} characters`)
  .regex(NO_CONTROL, 'must not contain control characters')
  .openapi({
    description:
      'Search: the tickets this text names — a full order id (uuid); a serial number (digits); at ' +
      'least 4 hex digits from the start or the end of an order id, as read off a confirmation ' +
      '(hyphens optional, any case); or part of the holder’s name (case-insensitive). A ticket matches ' +
      'when any of them does; the other filters and paging apply as usual. Empty after trimming, ' +
      `longer than ${MAX_QUERY_LENGTH} characters or with control characters: 400.`,
    param: {
      examples: {
        serial: { summary: 'A serial number', value: '1042' },
        orderEnd: { summary: 'The last characters of an order id', value: '9f2d4d5e' },
        orderId: { summary: 'A full order id', value: '0196f3a2-7c1e-7b3a-9f2d-4d5e6f708192' },
        name: { summary: 'Part of a holder’s name', value: 'okafor' },
      },
    },
  });

const TicketsQuery = PageQuery.extend({
  status: z.enum(['valid', 'revoked']).optional().openapi({ description: 'Only tickets in this status' }),
  ticketTypeId: z.uuid().optional().openapi({
    description: 'Only tickets of this ticket type (a type of this event: 400 otherwise)',
  }),
  admitted: z.enum(['true', 'false']).optional().openapi({
    description: 'true: tickets with at least one recorded entry (gate or online); false: never admitted',
  }),
  q: SearchText.optional(),
});

/** Routes under /api/v1 for an event's tickets. */
export function organiserTicketRoutes(deps: RouteDeps) {
  const { services, limits } = deps;
  return createRouter().openapi(
    createRoute({
      method: 'get',
      path: '/events/{id}/tickets',
      operationId: 'listEventTickets',
      summary: 'An event’s tickets with their admission summary, filtered by status, type and admitted',
      description:
        'In issue order, `{items, nextCursor}` with `?limit=&cursor=`. Each ticket carries its admission ' +
        'summary from the cloud’s admission history (gate uploads and online validation): admitted, ' +
        'inside now, first entry time and gate, entry and exit counts. No QR tokens. `q` searches by ' +
        'order id, serial, order reference or holder name (the box office).',
      ...bearerAccess(['tickets'], ['admin', 'venue_staff', 'ops'], limits.read),
      request: { params: idParams('id'), query: TicketsQuery },
      responses: {
        200: {
          description: 'A page of tickets',
          content: {
            'application/json': {
              schema: pageOf(EventTicketSchema, 'EventTicketPage'),
              example: { items: [TICKET_EXAMPLE], nextCursor: null },
            },
          },
        },
        ...errorResponses(404),
      },
    }),
    async (c) => {
      const { status, ticketTypeId, admitted, q, ...paging } = c.req.valid('query');
      const filter = {
        status,
        ticketTypeId,
        q,
        admitted: admitted === undefined ? undefined : admitted === 'true',
      };
      const { page } = unwrap(
        await listEventTickets(services, actorOf(c), c.req.valid('param').id, filter, paging),
      );
      return c.json(page, 200);
    },
  );
}
