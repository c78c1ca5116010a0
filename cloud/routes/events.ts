/** HTTP routes for events: drafts, edits, publication, deletion, cancellation (SPEC section 4, "Events"). */
import { createRoute } from '@hono/zod-openapi';
import { createdResponses, noContentResponses, okResponses } from '../http/answers';
import { bearerAccess, createRouter, jsonBody, type RouteDeps, unwrap } from '../http/openapi';
import { idParams, PageQuery, pageOf, Timestamp, text, z } from '../http/schemas';
import {
  cancelEvent,
  createEvent,
  deleteEvent,
  getEvent,
  listEvents,
  publishEvent,
  updateEvent,
} from '../services/events';

const Instant = z.iso.datetime({ offset: true }).openapi({ example: '2027-06-01T18:00:00Z' });

const Event = z
  .object({
    id: z.uuid(),
    venueId: z.uuid(),
    name: z.string(),
    startsAt: Timestamp,
    endsAt: Timestamp,
    doorsOpenAt: Timestamp.nullable(),
    exitAllAt: Timestamp.nullable().openapi({
      description: 'When everyone still inside is checked out (recorded as exits); null = never',
    }),
    status: z.enum(['draft', 'published', 'cancelled']),
    cancelReason: z.string().nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .openapi('Event');

const TIME_ORDER =
  'endsAt must be after startsAt, doorsOpenAt (when given) not after startsAt, and exitAllAt (when given) after startsAt (else 400).';

const CreateEvent = z
  .strictObject({
    venueId: z.uuid(),
    name: text(200),
    startsAt: Instant,
    endsAt: Instant,
    doorsOpenAt: Instant.optional(),
    exitAllAt: Instant.nullable().optional(),
  })
  .openapi('CreateEvent', { description: TIME_ORDER });

const UpdateEvent = z
  .strictObject({
    name: text(200).optional(),
    startsAt: Instant.optional(),
    endsAt: Instant.optional(),
    doorsOpenAt: Instant.nullable().optional(),
    exitAllAt: Instant.nullable().optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'at least one field is required')
  .openapi('UpdateEvent', {
    minProperties: 1,
    description: `At least one field. With the event's other times: ${TIME_ORDER}`,
  });

const CancelEvent = z.strictObject({ reason: text(500) }).openapi('CancelEvent');

const CancelResult = z
  .object({ event: Event, revokedTickets: z.number().int(), refundsQueued: z.number().int() })
  .openapi('CancelResult');

/** Routes under /api/v1 for events. */
export function eventRoutes(deps: RouteDeps) {
  const { services, limits } = deps;
  const admin = bearerAccess(['events'], ['admin'], limits.read);
  const readers = bearerAccess(['events'], ['admin', 'venue_staff', 'customer'], limits.read);
  const eventId = idParams('id');
  return createRouter()
    .openapi(
      createRoute({
        method: 'post',
        path: '/events',
        summary: 'Create a draft event',
        ...admin,
        request: {
          body: jsonBody(CreateEvent, {
            venueId: '0196f3a2-7c1e-7b3a-9f2d-3c4b5a6d7e8f',
            name: 'Summer Night',
            startsAt: '2027-06-01T19:00:00Z',
            endsAt: '2027-06-01T23:00:00Z',
            doorsOpenAt: '2027-06-01T18:00:00Z',
          }),
        },
        responses: createdResponses(Event, 'The draft event', 404),
      }),
      async (c) => {
        const { event } = unwrap(await createEvent(services, c.get('actor'), c.req.valid('json')));
        return c.json(event, 201);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/events',
        summary: 'List events (customers and staff see published and cancelled ones)',
        ...readers,
        request: { query: PageQuery },
        responses: okResponses(pageOf(Event, 'EventPage'), 'A page of events'),
      }),
      async (c) => {
        const { page } = unwrap(await listEvents(services, c.get('actor'), c.req.valid('query')));
        return c.json(page, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/events/{id}',
        summary: 'Get an event',
        ...readers,
        request: { params: eventId },
        responses: okResponses(Event, 'The event', 404),
      }),
      async (c) => {
        const { event } = unwrap(await getEvent(services, c.get('actor'), c.req.valid('param').id));
        return c.json(event, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'patch',
        path: '/events/{id}',
        summary: 'Change an event’s name or times',
        ...admin,
        request: { params: eventId, body: jsonBody(UpdateEvent, { name: 'Summer Night (second show)' }) },
        responses: okResponses(Event, 'The event', 404, 409),
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const { event } = unwrap(await updateEvent(services, c.get('actor'), id, c.req.valid('json')));
        return c.json(event, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'delete',
        path: '/events/{id}',
        summary: 'Delete an event that never sold a ticket',
        ...admin,
        request: { params: eventId },
        responses: noContentResponses('Deleted', 404, 409),
      }),
      async (c) => {
        unwrap(await deleteEvent(services, c.get('actor'), c.req.valid('param').id));
        return c.body(null, 204);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/events/{id}/publish',
        summary: 'Put a draft on sale',
        ...admin,
        request: { params: eventId },
        responses: okResponses(Event, 'The published event', 404, 409),
      }),
      async (c) => {
        const { event } = unwrap(await publishEvent(services, c.get('actor'), c.req.valid('param').id));
        return c.json(event, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/events/{id}/cancel',
        summary: 'Cancel an event: revoke every ticket, refund every paid order',
        ...admin,
        request: { params: eventId, body: jsonBody(CancelEvent, { reason: 'The headliner is ill' }) },
        responses: okResponses(CancelResult, 'The cancelled event', 404, 409),
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const { event, revokedTickets, refundsQueued } = unwrap(
          await cancelEvent(services, c.get('actor'), id, c.req.valid('json')),
        );
        return c.json({ event, revokedTickets, refundsQueued }, 200);
      },
    );
}
