/** HTTP routes for tickets, orders (refunds) and online validation (SPEC section 4). */
import { createRoute } from '@hono/zod-openapi';
import { ADMISSION_REASONS } from '../../shared/admission/reasons';
import { requireRole } from '../http/auth';
import {
  actorOf,
  createRouter,
  errorResponses,
  idParams,
  jsonBody,
  jsonResponse,
  PageQuery,
  pageOf,
  type RouteDeps,
  security,
  text,
  unwrap,
  z,
} from '../http/openapi';
import { refundOrder } from '../services/orders';
import { getTicket, listMyTickets, ticketQrSvg, transferTicket } from '../services/tickets';
import { validateOnline } from '../services/validation';

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
    issuedAt: z.string(),
  })
  .openapi('Ticket');

const Transfer = z
  .strictObject({ toUserId: z.string().regex(/^[A-Za-z0-9._:@|-]{1,128}$/, 'a user id') })
  .openapi('TransferRequest');

const Refund = z.strictObject({ reason: text(500).optional() }).openapi('RefundRequest');

const RefundResult = z
  .object({
    order: z.object({
      id: z.uuid(),
      status: z.enum(['paid', 'refunded']),
      totalCents: z.number().int(),
      currency: z.string(),
    }),
    revokedTickets: z.number().int(),
    alreadyRefunded: z.boolean(),
  })
  .openapi('RefundResult');

const Validate = z
  .strictObject({
    qr: z.string().min(1).max(1024),
    gateId: z.uuid(),
    direction: z.enum(['in', 'out']).optional(),
  })
  .openapi('ValidateRequest');

const ValidationResult = z
  .object({
    decision: z.enum(['accept', 'reject']),
    reason: z.enum(ADMISSION_REASONS),
    detail: z.string().optional(),
    ticket: z
      .object({
        id: z.uuid().optional(),
        serial: z.number().int(),
        typeNo: z.number().int(),
        typeName: z.string().optional(),
        generation: z.number().int(),
      })
      .optional(),
    alreadyUsed: z.object({ at: z.string(), gateId: z.uuid(), gateName: z.string().nullable() }).optional(),
    allowedGateIds: z.array(z.uuid()).optional(),
    scannedAt: z.string(),
  })
  .openapi('ValidationResult');

/** Routes under /api/v1 for tickets, refunds and validation. */
export function ticketRoutes(deps: RouteDeps) {
  const { services, limits } = deps;
  const holder = [requireRole('customer'), limits.read];
  const holderOrAdmin = [requireRole('customer', 'admin'), limits.read];
  return createRouter()
    .openapi(
      createRoute({
        method: 'get',
        path: '/me/tickets',
        tags: ['tickets'],
        summary: 'My tickets',
        security,
        middleware: holder,
        request: { query: PageQuery },
        responses: {
          200: jsonResponse(pageOf(Ticket, 'TicketPage'), 'A page of tickets'),
          ...errorResponses(),
        },
      }),
      async (c) => {
        const { page } = unwrap(await listMyTickets(services, actorOf(c), c.req.valid('query')));
        return c.json(page, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/tickets/{id}',
        tags: ['tickets'],
        summary: 'A ticket (its holder, or an admin)',
        security,
        middleware: holderOrAdmin,
        request: { params: idParams('id') },
        responses: { 200: jsonResponse(Ticket, 'The ticket'), ...errorResponses(404) },
      }),
      async (c) => {
        const { ticket } = unwrap(await getTicket(services, actorOf(c), c.req.valid('param').id));
        return c.json(ticket, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/tickets/{id}/qr.svg',
        tags: ['tickets'],
        summary: 'The ticket’s QR code as SVG',
        security,
        middleware: holderOrAdmin,
        request: { params: idParams('id') },
        responses: {
          200: { description: 'SVG image', content: { 'image/svg+xml': { schema: z.string() } } },
          ...errorResponses(404),
        },
      }),
      async (c) => {
        const { svg } = unwrap(await ticketQrSvg(services, actorOf(c), c.req.valid('param').id));
        c.header('Cache-Control', 'private, no-store');
        return c.body(svg, 200, { 'Content-Type': 'image/svg+xml' });
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/tickets/{id}/transfer',
        tags: ['tickets'],
        summary: 'Give a ticket to another user: new QR, the old one is revoked',
        security,
        middleware: holder,
        request: { params: idParams('id'), body: jsonBody(Transfer) },
        responses: {
          200: jsonResponse(Ticket, 'The ticket as the new holder sees it'),
          ...errorResponses(404, 409),
        },
      }),
      async (c) => {
        const { ticket } = unwrap(
          await transferTicket(services, actorOf(c), c.req.valid('param').id, c.req.valid('json')),
        );
        return c.json(ticket, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/orders/{id}/refund',
        tags: ['orders'],
        summary: 'Refund an order: tickets revoked, money returned (idempotent)',
        security,
        middleware: holderOrAdmin,
        request: {
          params: idParams('id'),
          body: { required: false, content: { 'application/json': { schema: Refund } } },
        },
        responses: { 200: jsonResponse(RefundResult, 'The refunded order'), ...errorResponses(404, 409) },
      }),
      async (c) => {
        const actor = actorOf(c);
        const body = c.req.valid('json') as z.infer<typeof Refund> | undefined;
        const result = unwrap(
          await refundOrder(services, {
            tenantId: actor.tenantId,
            orderId: c.req.valid('param').id,
            reason: body?.reason ?? (actor.role === 'admin' ? 'admin_refund' : 'customer_refund'),
            actor,
          }),
        );
        return c.json(
          {
            order: result.order,
            revokedTickets: result.revokedTickets,
            alreadyRefunded: result.alreadyRefunded,
          },
          200,
        );
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/validate',
        tags: ['validation'],
        summary: 'Validate a scanned QR online (same decision and reasons as a gate agent)',
        security,
        middleware: [requireRole('venue_staff'), limits.read],
        request: { body: jsonBody(Validate) },
        responses: { 200: jsonResponse(ValidationResult, 'The decision'), ...errorResponses(404) },
      }),
      async (c) => {
        const { validation } = unwrap(await validateOnline(services, actorOf(c), c.req.valid('json')));
        return c.json(validation, 200);
      },
    );
}
