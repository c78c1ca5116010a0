/**
 * HTTP routes for orders (SPEC section 4, "Purchase" and refunds): buying a hold, which makes the order
 * and its tickets, and refunding an order. Both answer the same Order.
 */
import { createRoute } from '@hono/zod-openapi';
import { AppError } from '../errors';
import { createdResponses, okResponses } from '../http/answers';
import { bearerAccess, createRouter, jsonBody, type RouteDeps, unwrap } from '../http/openapi';
import { idParams, text, z } from '../http/schemas';
import { purchaseReservation, refundOrder } from '../services/orders';

/** An order as every order route answers it (inline in the OpenAPI document, not a named schema). */
const Order = z.object({
  id: z.uuid(),
  status: z.enum(['paid', 'refunded']),
  totalCents: z.number().int(),
  currency: z.string(),
});

const Purchase = z.strictObject({ paymentToken: text(200) }).openapi('PurchaseRequest');

const PurchaseResult = z
  .object({
    order: Order,
    tickets: z.array(z.object({ id: z.uuid(), ticketTypeId: z.uuid(), qr: z.string() })),
  })
  .openapi('PurchaseResult');

const Refund = z.strictObject({ reason: text(500).optional() }).openapi('RefundRequest');

const RefundResult = z
  .object({ order: Order, revokedTickets: z.number().int(), alreadyRefunded: z.boolean() })
  .openapi('RefundResult');

// Printable ASCII, bounded: the key is stored and compared, never interpreted.
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{8,200}$/;

const IdempotencyKeyHeader = z.object({
  'idempotency-key': z.string().optional().openapi({ description: '8–200 printable ASCII characters' }),
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
        request: { params: idParams('id'), headers: IdempotencyKeyHeader, body: jsonBody(Purchase) },
        responses: createdResponses(
          PurchaseResult,
          'The order and its tickets (also for a replayed key)',
          402,
          404,
          409,
          410,
          422,
        ),
      }),
      async (c) => {
        const key = idempotencyKey(c.req.valid('header')['idempotency-key']);
        const { purchase, replayed } = unwrap(
          await purchaseReservation(services, c.get('actor'), c.req.valid('param').id, {
            paymentToken: c.req.valid('json').paymentToken,
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
        ...bearerAccess(['orders'], ['customer', 'admin'], limits.read),
        request: {
          params: idParams('id'),
          body: { required: false, content: { 'application/json': { schema: Refund } } },
        },
        responses: okResponses(RefundResult, 'The refunded order', 404, 409),
      }),
      async (c) => {
        const actor = c.get('actor');
        // Without a body the validator hands over {} (the body is optional).
        const { reason } = c.req.valid('json');
        const { order, revokedTickets, alreadyRefunded } = unwrap(
          await refundOrder(services, {
            tenantId: actor.tenantId,
            orderId: c.req.valid('param').id,
            reason: reason ?? (actor.role === 'admin' ? 'admin_refund' : 'customer_refund'),
            actor,
          }),
        );
        return c.json({ order, revokedTickets, alreadyRefunded }, 200);
      },
    );
}
