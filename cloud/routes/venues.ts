/** HTTP routes for venues and their gates (SPEC section 4, "Venues, gates, devices"). */
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
import { createGate, createVenue, getVenue, listGates, listVenues } from '../services/venues';

const Venue = z
  .object({ id: z.uuid(), name: z.string(), timezone: z.string(), createdAt: z.string() })
  .openapi('Venue');
const Gate = z
  .object({
    id: z.uuid(),
    venueId: z.uuid(),
    name: z.string(),
    zone: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('Gate');

const CreateVenue = z
  .strictObject({
    name: text(200),
    timezone: text(64).openapi({ example: 'Europe/Berlin' }),
  })
  .openapi('CreateVenue');
const CreateGate = z
  .strictObject({
    name: text(200),
    zone: text(200).optional(),
  })
  .openapi('CreateGate');

/** Routes under /api/v1 for venues and gates. */
export function venueRoutes(deps: RouteDeps) {
  const { services, limits } = deps;
  const admin = [requireRole('admin'), limits.read];
  const staff = [requireRole('admin', 'venue_staff'), limits.read];
  return createRouter()
    .openapi(
      createRoute({
        method: 'post',
        path: '/venues',
        tags: ['venues'],
        summary: 'Create a venue',
        security,
        middleware: admin,
        request: { body: jsonBody(CreateVenue) },
        responses: { 201: jsonResponse(Venue, 'The venue'), ...errorResponses() },
      }),
      async (c) => {
        const { venue } = unwrap(await createVenue(services, actorOf(c), c.req.valid('json')));
        return c.json(venue, 201);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/venues',
        tags: ['venues'],
        summary: 'List venues',
        security,
        middleware: staff,
        request: { query: PageQuery },
        responses: { 200: jsonResponse(pageOf(Venue, 'VenuePage'), 'A page of venues'), ...errorResponses() },
      }),
      async (c) => {
        const { page } = unwrap(await listVenues(services, actorOf(c), c.req.valid('query')));
        return c.json(page, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/venues/{id}',
        tags: ['venues'],
        summary: 'Get a venue',
        security,
        middleware: staff,
        request: { params: idParams('id') },
        responses: { 200: jsonResponse(Venue, 'The venue'), ...errorResponses(404) },
      }),
      async (c) => {
        const { venue } = unwrap(await getVenue(services, actorOf(c), c.req.valid('param').id));
        return c.json(venue, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/venues/{id}/gates',
        tags: ['venues'],
        summary: 'Add a gate to a venue',
        security,
        middleware: admin,
        request: { params: idParams('id'), body: jsonBody(CreateGate) },
        responses: { 201: jsonResponse(Gate, 'The gate'), ...errorResponses(404) },
      }),
      async (c) => {
        const { gate } = unwrap(
          await createGate(services, actorOf(c), c.req.valid('param').id, c.req.valid('json')),
        );
        return c.json(gate, 201);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/venues/{id}/gates',
        tags: ['venues'],
        summary: 'List the gates of a venue',
        security,
        middleware: staff,
        request: { params: idParams('id'), query: PageQuery },
        responses: { 200: jsonResponse(pageOf(Gate, 'GatePage'), 'A page of gates'), ...errorResponses(404) },
      }),
      async (c) => {
        const { page } = unwrap(
          await listGates(services, actorOf(c), c.req.valid('param').id, c.req.valid('query')),
        );
        return c.json(page, 200);
      },
    );
}
