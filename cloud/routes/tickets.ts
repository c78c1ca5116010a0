/**
 * HTTP routes for tickets: the holder's list, one ticket, its QR image, its holder name (issue 17),
 * transfers (SPEC section 4); binding the holder's wallet device is ./holder-keys.ts.
 */
import { createRoute } from '@hono/zod-openapi';
import { errorResponses, okResponses } from '../http/answers';
import { bearerAccess, createRouter, jsonBody, type RouteDeps, unwrap } from '../http/openapi';
import {
  HolderCodePolicy,
  HolderKeyAlg,
  HolderNameInput,
  idParams,
  PageQuery,
  pageOf,
  Timestamp,
  z,
} from '../http/schemas';
import { setHolderName } from '../services/holder-names';
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
    holderName: z.string().nullable().openapi({ description: 'The holder’s name; null when none was given' }),
    holderKey: z
      .object({ alg: HolderKeyAlg, bindingNo: z.number().int(), boundAt: Timestamp })
      .nullable()
      .openapi({
        description:
          'The wallet device bound to the ticket (its public key stays with the cloud and the gates); null ' +
          'while none is — a transfer clears it',
      }),
    holderCode: HolderCodePolicy,
    issuedAt: Timestamp,
  })
  .openapi('Ticket');

const Transfer = z
  .strictObject({
    toUserId: z.string().regex(/^[A-Za-z0-9._:@|-]{1,128}$/, 'a user id'),
    holderName: HolderNameInput.optional().openapi({
      description:
        'The new holder’s name. Without it the ticket has no name after the transfer: the previous ' +
        'holder’s name never passes to the new holder.',
    }),
  })
  .openapi('TransferRequest', { description: 'Another user than the holder (400 for yourself)' });

const HolderNameChange = z
  .strictObject({ holderName: HolderNameInput })
  .openapi('HolderNameChange', { description: 'The new holder name, or null to remove it' });

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
        request: {
          params: idParams('id'),
          body: jsonBody(Transfer, { toUserId: 'user-42', holderName: 'Ada Lovelace' }),
        },
        responses: okResponses(Ticket, 'The ticket as the new holder sees it', 404, 409),
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const { ticket } = unwrap(await transferTicket(services, c.get('actor'), id, c.req.valid('json')));
        return c.json(ticket, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'patch',
        path: '/tickets/{id}',
        summary: 'Set or remove the ticket’s holder name (its holder, or an admin)',
        description:
          'The name is normalised (trimmed, NFC) and sealed to the ticket’s current code for the gates, which ' +
          'receive the new box as a ticket change. A ticket of someone else answers 404, as if it did not ' +
          'exist; a revoked ticket (refunded, cancelled) 409 TICKET_NOT_EDITABLE.',
        ...holderOrAdmin,
        request: {
          params: idParams('id'),
          body: jsonBody(HolderNameChange, { holderName: 'Zoë Ångström' }),
        },
        responses: okResponses(Ticket, 'The ticket with its new name', 404, 409),
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const { ticket } = unwrap(await setHolderName(services, c.get('actor'), id, c.req.valid('json')));
        return c.json(ticket, 200);
      },
    );
}
