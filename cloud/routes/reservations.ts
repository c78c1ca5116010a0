/** HTTP routes for holds and purchases (SPEC section 4, "Purchase"). */
import { createRoute } from '@hono/zod-openapi';
import { AppError } from '../errors';
import { requireRole } from '../http/auth';
import {
  actorOf,
  createRouter,
  errorResponses,
  idParams,
  jsonBody,
  jsonResponse,
  type RouteDeps,
  security,
  text,
  unwrap,
  z,
} from '../http/openapi';
import { purchaseReservation } from '../services/orders';
import { createReservation, releaseReservation } from '../services/reservations';

const ReservationItem = z.object({
  ticketTypeId: z.uuid(),
  quantity: z.number().int(),
  unitPriceCents: z.number().int(),
});

const Reservation = z
  .object({
    id: z.uuid(),
    eventId: z.uuid(),
    status: z.enum(['active', 'purchased', 'released', 'expired', 'cancelled']),
    expiresAt: z.string(),
    items: z.array(ReservationItem),
    totalCents: z.number().int(),
    currency: z.string(),
  })
  .openapi('Reservation');

const CreateReservation = z
  .strictObject({
    items: z
      .array(z.strictObject({ ticketTypeId: z.uuid(), quantity: z.number().int().min(1).max(50) }))
      .min(1)
      .max(20),
  })
  .refine(
    (body) => body.items.reduce((sum, item) => sum + item.quantity, 0) <= 50,
    'items: at most 50 tickets per hold',
  )
  .openapi('CreateReservation');

const Purchase = z.strictObject({ paymentToken: text(200) }).openapi('PurchaseRequest');

const PurchaseResult = z
  .object({
    order: z.object({
      id: z.uuid(),
      status: z.enum(['paid', 'refunded']),
      totalCents: z.number().int(),
      currency: z.string(),
    }),
    tickets: z.array(z.object({ id: z.uuid(), ticketTypeId: z.uuid(), qr: z.string() })),
  })
  .openapi('PurchaseResult');

// Printable ASCII, bounded: the key is stored and compared, never interpreted.
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{8,200}$/;

/** Routes under /api/v1 for reservations and purchases. */
export function reservationRoutes(deps: RouteDeps) {
  const { services, limits } = deps;
  const buyer = [requireRole('customer'), limits.purchase];
  return createRouter()
    .openapi(
      createRoute({
        method: 'post',
        path: '/events/{id}/reservations',
        tags: ['purchase'],
        summary: 'Hold tickets for RESERVATION_TTL_SECONDS',
        security,
        middleware: buyer,
        request: { params: idParams('id'), body: jsonBody(CreateReservation) },
        responses: { 201: jsonResponse(Reservation, 'The hold'), ...errorResponses(404, 409) },
      }),
      async (c) => {
        const { reservation } = unwrap(
          await createReservation(services, actorOf(c), c.req.valid('param').id, c.req.valid('json')),
        );
        return c.json(reservation, 201);
      },
    )
    .openapi(
      createRoute({
        method: 'delete',
        path: '/reservations/{id}',
        tags: ['purchase'],
        summary: 'Release a hold; its seats return at once',
        security,
        middleware: buyer,
        request: { params: idParams('id') },
        responses: { 204: { description: 'Released' }, ...errorResponses(404, 409) },
      }),
      async (c) => {
        unwrap(await releaseReservation(services, actorOf(c), c.req.valid('param').id));
        return c.body(null, 204);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/reservations/{id}/purchase',
        tags: ['purchase'],
        summary: 'Buy a hold (Idempotency-Key required: the same key returns the same order)',
        security,
        middleware: buyer,
        request: {
          params: idParams('id'),
          headers: z.object({
            'idempotency-key': z
              .string()
              .optional()
              .openapi({ description: '8–200 printable ASCII characters' }),
          }),
          body: jsonBody(Purchase),
        },
        responses: {
          201: jsonResponse(PurchaseResult, 'The order and its tickets (also for a replayed key)'),
          ...errorResponses(402, 404, 409, 410, 422),
        },
      }),
      async (c) => {
        const key = c.req.valid('header')['idempotency-key'];
        if (key === undefined)
          throw new AppError('IDEMPOTENCY_KEY_REQUIRED', 'the Idempotency-Key header is required');
        if (!IDEMPOTENCY_KEY.test(key)) {
          throw new AppError('VALIDATION_FAILED', 'Idempotency-Key: 8 to 200 printable ASCII characters');
        }
        const { purchase, replayed } = unwrap(
          await purchaseReservation(services, actorOf(c), c.req.valid('param').id, {
            paymentToken: c.req.valid('json').paymentToken,
            idempotencyKey: key,
          }),
        );
        if (replayed) c.header('Idempotent-Replayed', 'true');
        return c.json(purchase, 201);
      },
    );
}
