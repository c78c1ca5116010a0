/** HTTP routes for holds: tickets set aside for a buyer, and their release (SPEC section 4, "Purchase"). */
import { createRoute } from '@hono/zod-openapi';
import { createdResponses, noContentResponses } from '../http/answers';
import { bearerAccess, createRouter, jsonBody, type RouteDeps, unwrap } from '../http/openapi';
import { idParams, Timestamp, z } from '../http/schemas';
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
    expiresAt: Timestamp,
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
  .openapi('CreateReservation', {
    description:
      'At most 50 tickets per hold, all items together (400 otherwise), of ticket types of this event that share a currency.',
  });

/** Routes under /api/v1 for holds. */
export function reservationRoutes(deps: RouteDeps) {
  const { services, limits } = deps;
  const buyer = bearerAccess(['purchase'], ['customer'], limits.purchase);
  return createRouter()
    .openapi(
      createRoute({
        method: 'post',
        path: '/events/{id}/reservations',
        summary: 'Hold tickets for RESERVATION_TTL_SECONDS',
        ...buyer,
        request: {
          params: idParams('id'),
          body: jsonBody(CreateReservation, {
            items: [{ ticketTypeId: '0196f3a2-7c1e-7b3a-9f2d-6f7081920314', quantity: 2 }],
          }),
        },
        responses: createdResponses(Reservation, 'The hold', 404, 409),
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const { reservation } = unwrap(
          await createReservation(services, c.get('actor'), id, c.req.valid('json')),
        );
        return c.json(reservation, 201);
      },
    )
    .openapi(
      createRoute({
        method: 'delete',
        path: '/reservations/{id}',
        summary: 'Release a hold; its seats return at once',
        ...buyer,
        request: { params: idParams('id') },
        responses: noContentResponses('Released', 404, 409),
      }),
      async (c) => {
        unwrap(await releaseReservation(services, c.get('actor'), c.req.valid('param').id));
        return c.body(null, 204);
      },
    );
}
