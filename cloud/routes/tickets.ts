/** HTTP routes for tickets: the holder's list, one ticket, its QR image, transfers (SPEC section 4). */
import { createRoute } from '@hono/zod-openapi';
import { errorResponses, okResponses } from '../http/answers';
import { bearerAccess, createRouter, jsonBody, type RouteDeps, unwrap } from '../http/openapi';
import { idParams, PageQuery, pageOf, Timestamp, z } from '../http/schemas';
import { getTicket, listMyTickets, ticketQrSvg, transferTicket } from '../services/tickets';

const Ticket = z
  .object({
    id: z.uuid(),
    eventId: z.uuid(),
    ticketTypeId: z.uuid(),
    orderId: z.uuid(),
    serial: z.number().int(),
    generation: z.number().int(),
    status: z.enum(['valid', 'revoked']),
    qr: z.string(),
    issuedAt: Timestamp,
  })
  .openapi('Ticket');

const Transfer = z
  .strictObject({ toUserId: z.string().regex(/^[A-Za-z0-9._:@|-]{1,128}$/, 'a user id') })
  .openapi('TransferRequest', { description: 'Another user than the holder (400 for yourself)' });

/** Routes under /api/v1 for tickets. */
export function ticketRoutes(deps: RouteDeps) {
  const { services, limits } = deps;
  const holder = bearerAccess(['tickets'], ['customer'], limits.read);
  const holderOrAdmin = bearerAccess(['tickets'], ['customer', 'admin'], limits.read);
  return createRouter()
    .openapi(
      createRoute({
        method: 'get',
        path: '/me/tickets',
        summary: 'My tickets',
        ...holder,
        request: { query: PageQuery },
        responses: okResponses(pageOf(Ticket, 'TicketPage'), 'A page of tickets'),
      }),
      async (c) => {
        const { page } = unwrap(await listMyTickets(services, c.get('actor'), c.req.valid('query')));
        return c.json(page, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/tickets/{id}',
        summary: 'A ticket (its holder, or an admin)',
        ...holderOrAdmin,
        request: { params: idParams('id') },
        responses: okResponses(Ticket, 'The ticket', 404),
      }),
      async (c) => {
        const { ticket } = unwrap(await getTicket(services, c.get('actor'), c.req.valid('param').id));
        return c.json(ticket, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/tickets/{id}/qr.svg',
        summary: 'The ticket’s QR code as SVG',
        ...holderOrAdmin,
        request: { params: idParams('id') },
        responses: {
          200: { description: 'SVG image', content: { 'image/svg+xml': { schema: z.string() } } },
          ...errorResponses(404),
        },
      }),
      async (c) => {
        const { svg } = unwrap(await ticketQrSvg(services, c.get('actor'), c.req.valid('param').id));
        c.header('Cache-Control', 'private, no-store');
        return c.body(svg, 200, { 'Content-Type': 'image/svg+xml' });
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/tickets/{id}/transfer',
        summary: 'Give a ticket to another user: new QR, the old one is revoked',
        ...holder,
        request: { params: idParams('id'), body: jsonBody(Transfer, { toUserId: 'user-42' }) },
        responses: okResponses(Ticket, 'The ticket as the new holder sees it', 404, 409),
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const { ticket } = unwrap(await transferTicket(services, c.get('actor'), id, c.req.valid('json')));
        return c.json(ticket, 200);
      },
    );
}
