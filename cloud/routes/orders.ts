/**
 * HTTP routes for orders (SPEC section 4, "Purchase" and refunds): buying a hold, which makes the order
 * and its tickets, and refunding an order. Both answer the same Order.
 */
import { createRoute } from '@hono/zod-openapi';
import { AppError } from '../errors';
import { createdResponses, okResponses } from '../http/answers';
import { bearerAccess, createRouter, jsonBody, type RouteDeps, unwrap } from '../http/openapi';
import { HolderNameInput, idParams, text, z } from '../http/schemas';
import { purchaseReservation, refundOrder } from '../services/orders';

/** An order as every order route answers it (inline in the OpenAPI document, not a named schema). */
const Order = z.object({
  id: z.uuid(),
  status: z.enum(['paid', 'refunded']),
  totalCents: z.number().int(),
  currency: z.string(),
});

const Purchase = z
  .strictObject({
    paymentToken: text(200),
    holderNames: z
      .array(HolderNameInput)
      .max(100)
      .optional()
      .openapi({
        description:
          'One holder name per ticket bought, in the order of the hold’s items (null for a ticket without ' +
          'one); a list of another length is a 400',
        example: ['Zoë Ångström', null],
      }),
  })
  .openapi('PurchaseRequest');

const PurchaseResult = z
  .object({
    order: Order,
    tickets: z.array(
      z.object({ id: z.uuid(), ticketTypeId: z.uuid(), qr: z.string(), holderName: z.string().nullable() }),
    ),
  })
  .openapi('PurchaseResult');

const Refund = z
  .strictObject({
    reason: text(500).optional(),
    override: z
      .boolean()
      .optional()
      .openapi({
        description:
          'Admins only (403 for anyone else): refund although the doors have opened or a ticket was admitted. ' +
          'Requires `reason`; the order records the rule set aside and who refunded.',
      }),
  })
  .refine((body) => !body.override || body.reason !== undefined, 'reason: required with override')
  .openapi('RefundRequest');

const RefundResult = z
  .object({
    order: Order,
    revokedTickets: z.number().int(),
    alreadyRefunded: z.boolean(),
    override: z.enum(['doors_open', 'admitted']).nullable().openapi({
      description: 'The refund rule an admin override set aside for this refund, or null',
    }),
  })
  .openapi('RefundResult');

// Printable ASCII, bounded: the key is stored and compared, never interpreted.
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{8,200}$/;

// Optional to the validator so that a missing key answers IDEMPOTENCY_KEY_REQUIRED (not a generic 400);
// the document states it as required, with the same bounds the handler checks.
const IdempotencyKeyHeader = z.object({
  'idempotency-key': z
    .string()
    .min(8)
    .max(200)
    .regex(IDEMPOTENCY_KEY)
    .optional()
    .openapi({
      param: { required: true },
      description: '8–200 printable ASCII characters; the same key returns the same order',
      example: 'order-2027-06-01-7f3c9a',
    }),
});

/** The Idempotency-Key of a purchase: required, and bounded printable ASCII. */
function idempotencyKey(header: string | undefined): string {
  if (header === undefined) {
    throw new AppError('IDEMPOTENCY_KEY_REQUIRED', 'the Idempotency-Key header is required');
  }
  if (!IDEMPOTENCY_KEY.test(header)) {
    throw new AppError('VALIDATION_FAILED', 'Idempotency-Key: 8 to 200 printable ASCII characters');
  }
  return header;
}

/** Routes under /api/v1 for purchases and refunds. */
export function orderRoutes(deps: RouteDeps) {
  const { services, limits } = deps;
  return createRouter()
    .openapi(
      createRoute({
        method: 'post',
        path: '/reservations/{id}/purchase',
        summary: 'Buy a hold (Idempotency-Key required: the same key returns the same order)',
        ...bearerAccess(['purchase'], ['customer'], limits.purchase),
        request: {
          params: idParams('id'),
          headers: IdempotencyKeyHeader,
          body: jsonBody(Purchase, { paymentToken: 'tok_visa', holderNames: ['Zoë Ångström', null] }),
        },
        responses: createdResponses(
          PurchaseResult,
          'The order and its tickets (also for a replayed key)',
          402,
          404,
          409,
          410,
          422,
          502,
        ),
      }),
      async (c) => {
        const key = idempotencyKey(c.req.valid('header')['idempotency-key']);
        const { purchase, replayed } = unwrap(
          await purchaseReservation(services, c.get('actor'), c.req.valid('param').id, {
            paymentToken: c.req.valid('json').paymentToken,
            holderNames: c.req.valid('json').holderNames,
            idempotencyKey: key,
          }),
        );
        if (replayed) c.header('Idempotent-Replayed', 'true');
        return c.json(purchase, 201);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/orders/{id}/refund',
        summary: 'Refund an order: tickets revoked, money returned (idempotent)',
        description:
          'Refundable until the doors open (doorsOpenAt, else startsAt) and while no ticket of the order has ' +
          'been admitted; a customer only their own order with every ticket still theirs. After that only an ' +
          'admin, with {"override": true, "reason": …} (recorded with the order): 409 `ORDER_NOT_REFUNDABLE` ' +
          'otherwise.',
        ...bearerAccess(['orders'], ['customer', 'admin'], limits.read),
        request: {
          params: idParams('id'),
          body: {
            required: false,
            content: {
              'application/json': {
                schema: Refund,
                example: { override: true, reason: 'Flight cancelled; refund approved by the box office' },
              },
            },
          },
        },
        responses: okResponses(RefundResult, 'The refunded order', 404, 409, 502),
      }),
      async (c) => {
        const actor = c.get('actor');
        // Without a body the validator hands over {} (the body is optional).
        const { reason, override } = c.req.valid('json');
        const orderId = c.req.valid('param').id;
        const refunded = unwrap(
          await refundOrder(services, {
            tenantId: actor.tenantId,
            orderId,
            reason: reason ?? (actor.role === 'admin' ? 'admin_refund' : 'customer_refund'),
            actor,
            override: override === true,
          }),
        );
        if (refunded.override && !refunded.alreadyRefunded) {
          c.get('logger').warn(
            { orderId, refundedBy: actor.userId, rule: refunded.override, reason },
            'refund override',
          );
        }
        const { order, revokedTickets, alreadyRefunded } = refunded;
        return c.json({ order, revokedTickets, alreadyRefunded, override: refunded.override }, 200);
      },
    );
}
