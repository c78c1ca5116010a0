/**
 * HTTP route for an event's tickets as the organiser and the box office look them up (issue 16): paged,
 * filtered by status, ticket type and whether the ticket was admitted, each with its admission summary
 * (inside now, first entry and its gate). Admin and ops, and venue staff — the box office answers "did
 * this guest get in?" — all without QR tokens. Another tenant's event is 404.
 */
import { createRoute } from '@hono/zod-openapi';
import { errorResponses } from '../http/answers';
import { actorOf, bearerAccess, createRouter, type RouteDeps, unwrap } from '../http/openapi';
import { idParams, PageQuery, pageOf, z } from '../http/schemas';
import { listEventTickets } from '../services/organiser/tickets';
import { EventTicketSchema, TICKET_EXAMPLE } from './organiser-schemas';

const TicketsQuery = PageQuery.extend({
  status: z.enum(['valid', 'revoked']).optional().openapi({ description: 'Only tickets in this status' }),
  ticketTypeId: z.uuid().optional().openapi({
    description: 'Only tickets of this ticket type (a type of this event: 400 otherwise)',
  }),
  admitted: z.enum(['true', 'false']).optional().openapi({
    description: 'true: tickets with at least one recorded entry (gate or online); false: never admitted',
  }),
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
        'inside now, first entry time and gate, entry and exit counts. No QR tokens.',
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
      const { status, ticketTypeId, admitted, ...paging } = c.req.valid('query');
      const filter = {
        status,
        ticketTypeId,
        admitted: admitted === undefined ? undefined : admitted === 'true',
      };
      const { page } = unwrap(
        await listEventTickets(services, actorOf(c), c.req.valid('param').id, filter, paging),
      );
      return c.json(page, 200);
    },
  );
}
