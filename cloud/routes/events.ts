/** HTTP routes for events and their ticket types (SPEC section 4, "Events and ticket types"). */
import { createRoute } from '@hono/zod-openapi';
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
import {
  cancelEvent,
  createEvent,
  deleteEvent,
  getEvent,
  listEvents,
  publishEvent,
  updateEvent,
} from '../services/events';
import { createTicketType, listTicketTypes, updateTicketType } from '../services/ticket-types';

const Instant = z.iso.datetime({ offset: true }).openapi({ example: '2027-06-01T18:00:00Z' });

const Event = z
  .object({
    id: z.uuid(),
    venueId: z.uuid(),
    name: z.string(),
    startsAt: z.string(),
    endsAt: z.string(),
    doorsOpenAt: z.string().nullable(),
    status: z.enum(['draft', 'published', 'cancelled']),
    cancelReason: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Event');

const CreateEvent = z
  .strictObject({
    venueId: z.uuid(),
    name: text(200),
    startsAt: Instant,
    endsAt: Instant,
    doorsOpenAt: Instant.optional(),
  })
  .openapi('CreateEvent');

const UpdateEvent = z
  .strictObject({
    name: text(200).optional(),
    startsAt: Instant.optional(),
    endsAt: Instant.optional(),
    doorsOpenAt: Instant.nullable().optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'at least one field is required')
  .openapi('UpdateEvent');

const CancelEvent = z.strictObject({ reason: text(500) }).openapi('CancelEvent');

const CancelResult = z
  .object({ event: Event, revokedTickets: z.number().int(), refundsQueued: z.number().int() })
  .openapi('CancelResult');

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
  })
  .openapi('TicketType');

const ticketTypeFields = {
  name: text(200),
  priceCents: z.number().int().min(0).max(100_000_000),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR'),
  capacity: z.number().int().min(0).max(1_000_000),
  gates: z.array(z.uuid()).max(100),
};

const CreateTicketType = z
  .strictObject({ ...ticketTypeFields, gates: ticketTypeFields.gates.optional() })
  .openapi('CreateTicketType');

const UpdateTicketType = z
  .strictObject({
    name: ticketTypeFields.name.optional(),
    priceCents: ticketTypeFields.priceCents.optional(),
    currency: ticketTypeFields.currency.optional(),
    capacity: ticketTypeFields.capacity.optional(),
    gates: ticketTypeFields.gates.nullable().optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'at least one field is required')
  .openapi('UpdateTicketType');

/** Routes under /api/v1 for events and ticket types. */
export function eventRoutes(deps: RouteDeps) {
  const { services, limits } = deps;
  const admin = [requireRole('admin'), limits.read];
  const readers = [requireRole('admin', 'venue_staff', 'customer'), limits.read];
  return createRouter()
    .openapi(
      createRoute({
        method: 'post',
        path: '/events',
        tags: ['events'],
        summary: 'Create a draft event',
        security,
        middleware: admin,
        request: { body: jsonBody(CreateEvent) },
        responses: { 201: jsonResponse(Event, 'The draft event'), ...errorResponses(404) },
      }),
      async (c) => {
        const { event } = unwrap(await createEvent(services, actorOf(c), c.req.valid('json')));
        return c.json(event, 201);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/events',
        tags: ['events'],
        summary: 'List events (customers and staff see published and cancelled ones)',
        security,
        middleware: readers,
        request: { query: PageQuery },
        responses: { 200: jsonResponse(pageOf(Event, 'EventPage'), 'A page of events'), ...errorResponses() },
      }),
      async (c) => {
        const { page } = unwrap(await listEvents(services, actorOf(c), c.req.valid('query')));
        return c.json(page, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/events/{id}',
        tags: ['events'],
        summary: 'Get an event',
        security,
        middleware: readers,
        request: { params: idParams('id') },
        responses: { 200: jsonResponse(Event, 'The event'), ...errorResponses(404) },
      }),
      async (c) => {
        const { event } = unwrap(await getEvent(services, actorOf(c), c.req.valid('param').id));
        return c.json(event, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'patch',
        path: '/events/{id}',
        tags: ['events'],
        summary: 'Change an event’s name or times',
        security,
        middleware: admin,
        request: { params: idParams('id'), body: jsonBody(UpdateEvent) },
        responses: { 200: jsonResponse(Event, 'The event'), ...errorResponses(404, 409) },
      }),
      async (c) => {
        const { event } = unwrap(
          await updateEvent(services, actorOf(c), c.req.valid('param').id, c.req.valid('json')),
        );
        return c.json(event, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'delete',
        path: '/events/{id}',
        tags: ['events'],
        summary: 'Delete an event that never sold a ticket',
        security,
        middleware: admin,
        request: { params: idParams('id') },
        responses: { 204: { description: 'Deleted' }, ...errorResponses(404, 409) },
      }),
      async (c) => {
        unwrap(await deleteEvent(services, actorOf(c), c.req.valid('param').id));
        return c.body(null, 204);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/events/{id}/publish',
        tags: ['events'],
        summary: 'Put a draft on sale',
        security,
        middleware: admin,
        request: { params: idParams('id') },
        responses: { 200: jsonResponse(Event, 'The published event'), ...errorResponses(404, 409) },
      }),
      async (c) => {
        const { event } = unwrap(await publishEvent(services, actorOf(c), c.req.valid('param').id));
        return c.json(event, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/events/{id}/cancel',
        tags: ['events'],
        summary: 'Cancel an event: revoke every ticket, refund every paid order',
        security,
        middleware: admin,
        request: { params: idParams('id'), body: jsonBody(CancelEvent) },
        responses: { 200: jsonResponse(CancelResult, 'The cancelled event'), ...errorResponses(404, 409) },
      }),
      async (c) => {
        const result = unwrap(
          await cancelEvent(services, actorOf(c), c.req.valid('param').id, c.req.valid('json')),
        );
        return c.json(
          { event: result.event, revokedTickets: result.revokedTickets, refundsQueued: result.refundsQueued },
          200,
        );
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/events/{id}/ticket-types',
        tags: ['ticket types'],
        summary: 'Add a ticket type',
        security,
        middleware: admin,
        request: { params: idParams('id'), body: jsonBody(CreateTicketType) },
        responses: { 201: jsonResponse(TicketType, 'The ticket type'), ...errorResponses(404, 409) },
      }),
      async (c) => {
        const { ticketType } = unwrap(
          await createTicketType(services, actorOf(c), c.req.valid('param').id, c.req.valid('json')),
        );
        return c.json(ticketType, 201);
      },
    )
    .openapi(
      createRoute({
        method: 'patch',
        path: '/events/{id}/ticket-types/{typeId}',
        tags: ['ticket types'],
        summary: 'Change a ticket type (capacity never below sold + held)',
        security,
        middleware: admin,
        request: { params: idParams('id', 'typeId'), body: jsonBody(UpdateTicketType) },
        responses: { 200: jsonResponse(TicketType, 'The ticket type'), ...errorResponses(404, 409) },
      }),
      async (c) => {
        const { id, typeId } = c.req.valid('param');
        const { ticketType } = unwrap(
          await updateTicketType(services, actorOf(c), id, typeId, c.req.valid('json')),
        );
        return c.json(ticketType, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/events/{id}/ticket-types',
        tags: ['ticket types'],
        summary: 'List ticket types with availability',
        security,
        middleware: readers,
        request: { params: idParams('id') },
        responses: {
          200: jsonResponse(pageOf(TicketType, 'TicketTypePage'), 'Ticket types'),
          ...errorResponses(404),
        },
      }),
      async (c) => {
        const { items } = unwrap(await listTicketTypes(services, actorOf(c), c.req.valid('param').id));
        return c.json({ items, nextCursor: null }, 200);
      },
    );
}
