/** HTTP routes for an event's ticket types and their availability (SPEC section 4, "Ticket types"). */
import { createRoute } from '@hono/zod-openapi';
import { createdResponses, okResponses } from '../http/answers';
import { bearerAccess, createRouter, jsonBody, type RouteDeps, unwrap } from '../http/openapi';
import { HolderCodePolicy, idParams, pageOf, text, z } from '../http/schemas';
import { createTicketType, listTicketTypes, updateTicketType } from '../services/ticket-types';

const TicketType = z
  .object({
    id: z.uuid(),
    eventId: z.uuid(),
    name: z.string(),
    priceCents: z.number().int(),
    currency: z.string(),
    capacity: z.number().int(),
    sold: z.number().int(),
    held: z.number().int(),
    available: z.number().int(),
    gates: z.array(z.uuid()).nullable(),
    zones: z
      .array(z.uuid())
      .nullable()
      .openapi({ description: 'Zones its holders may enter; null = every zone that is not restricted' }),
    holderCode: HolderCodePolicy,
  })
  .openapi('TicketType');

const ticketTypeFields = {
  name: text(200),
  priceCents: z.number().int().min(0).max(100_000_000),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR'),
  capacity: z.number().int().min(0).max(1_000_000),
  gates: z.array(z.uuid()).max(100),
  zones: z.array(z.uuid()).max(100).openapi({
    description:
      'Zones of the event’s venue its holders may enter (a restricted zone only when listed); empty or absent = every zone that is not restricted',
  }),
  holderCode: HolderCodePolicy,
};

const CreateTicketType = z
  .strictObject({
    ...ticketTypeFields,
    gates: ticketTypeFields.gates.optional(),
    zones: ticketTypeFields.zones.optional(),
    holderCode: ticketTypeFields.holderCode.optional().openapi({ description: 'Default `allowed`' }),
  })
  .openapi('CreateTicketType');

const UpdateTicketType = z
  .strictObject({
    name: ticketTypeFields.name.optional(),
    priceCents: ticketTypeFields.priceCents.optional(),
    currency: ticketTypeFields.currency.optional(),
    capacity: ticketTypeFields.capacity.optional(),
    gates: ticketTypeFields.gates.nullable().optional(),
    zones: ticketTypeFields.zones.nullable().optional(),
    holderCode: ticketTypeFields.holderCode.optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'at least one field is required')
  .openapi('UpdateTicketType', { minProperties: 1, description: 'At least one field' });

/** Routes under /api/v1 for ticket types. */
export function ticketTypeRoutes(deps: RouteDeps) {
  const { services, limits } = deps;
  const admin = bearerAccess(['ticket types'], ['admin'], limits.read);
  const readers = bearerAccess(['ticket types'], ['admin', 'venue_staff', 'customer'], limits.read);
  return createRouter()
    .openapi(
      createRoute({
        method: 'post',
        path: '/events/{id}/ticket-types',
        summary: 'Add a ticket type',
        ...admin,
        request: {
          params: idParams('id'),
          body: jsonBody(CreateTicketType, {
            name: 'Standing',
            priceCents: 4500,
            currency: 'EUR',
            capacity: 2000,
            gates: ['0196f3a2-7c1e-7b3a-9f2d-4d5e6f708192'],
          }),
        },
        responses: createdResponses(TicketType, 'The ticket type', 404, 409),
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const { ticketType } = unwrap(
          await createTicketType(services, c.get('actor'), id, c.req.valid('json')),
        );
        return c.json(ticketType, 201);
      },
    )
    .openapi(
      createRoute({
        method: 'patch',
        path: '/events/{id}/ticket-types/{typeId}',
        summary: 'Change a ticket type (capacity never below sold + held)',
        ...admin,
        request: { params: idParams('id', 'typeId'), body: jsonBody(UpdateTicketType, { capacity: 2500 }) },
        responses: okResponses(TicketType, 'The ticket type', 404, 409),
      }),
      async (c) => {
        const { id, typeId } = c.req.valid('param');
        const { ticketType } = unwrap(
          await updateTicketType(services, c.get('actor'), id, typeId, c.req.valid('json')),
        );
        return c.json(ticketType, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/events/{id}/ticket-types',
        summary: 'List ticket types with availability',
        ...readers,
        request: { params: idParams('id') },
        responses: okResponses(pageOf(TicketType, 'TicketTypePage'), 'Ticket types', 404),
      }),
      async (c) => {
        const { items } = unwrap(await listTicketTypes(services, c.get('actor'), c.req.valid('param').id));
        return c.json({ items, nextCursor: null }, 200);
      },
    );
}
