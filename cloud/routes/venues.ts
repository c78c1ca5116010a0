/** HTTP routes for venues and their gates (SPEC section 4, "Venues, gates, devices"). */
import { createRoute } from '@hono/zod-openapi';
import { createdResponses, okResponses } from '../http/answers';
import { bearerAccess, createRouter, jsonBody, type RouteDeps, unwrap } from '../http/openapi';
import { idParams, PageQuery, pageOf, Timestamp, text, z } from '../http/schemas';
import { createGate, createVenue, getVenue, listGates, listVenues, updateGate } from '../services/venues';

const Venue = z
  .object({ id: z.uuid(), name: z.string(), timezone: z.string(), createdAt: Timestamp })
  .openapi('Venue');
const Gate = z
  .object({
    id: z.uuid(),
    venueId: z.uuid(),
    name: z.string(),
    zone: z.string().nullable(),
    fromZoneId: z.uuid().nullable().openapi({ description: 'Where the passage starts; null = outside' }),
    toZoneId: z
      .uuid()
      .nullable()
      .openapi({ description: 'Where the passage leads; null = the venue’s first zone' }),
    createdAt: Timestamp,
  })
  .openapi('Gate');

const CreateVenue = z
  .strictObject({
    name: text(200),
    // The service accepts any zone this runtime knows (services/venues.ts isTimeZone); the document
    // lists the canonical ones, so a zone it offers is never refused.
    timezone: text(64).openapi({
      example: 'Europe/Berlin',
      description: 'An IANA time zone: the venue-local day of its reports',
      enum: [...new Set(['UTC', ...Intl.supportedValuesOf('timeZone')])],
    }),
  })
  .openapi('CreateVenue');
const PASSAGE =
  'A gate is a passage from one zone to another: fromZoneId (null or absent = outside) → toZoneId (null or ' +
  'absent = the venue’s first zone), both zones of this venue and different once the defaults are filled ' +
  'in (else 400). A scan in the exit direction moves the holder back along it; exits to outside are scanned ' +
  'that way.';
const ZoneRef = z.uuid().nullable();

const CreateGate = z
  .strictObject({
    name: text(200),
    zone: text(200).optional().openapi({ description: 'A free-text label; the passage is what decides' }),
    fromZoneId: ZoneRef.optional(),
    toZoneId: ZoneRef.optional(),
  })
  .openapi('CreateGate', { description: PASSAGE });

const UpdateGate = z
  .strictObject({
    name: text(200).optional(),
    zone: text(200).nullable().optional(),
    fromZoneId: ZoneRef.optional(),
    toZoneId: ZoneRef.optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'at least one field is required')
  .openapi('UpdateGate', { minProperties: 1, description: `At least one field. ${PASSAGE}` });

/** Routes under /api/v1 for venues and gates. */
export function venueRoutes(deps: RouteDeps) {
  const { services, limits } = deps;
  const admin = bearerAccess(['venues'], ['admin'], limits.read);
  const staff = bearerAccess(['venues'], ['admin', 'venue_staff'], limits.read);
  return createRouter()
    .openapi(
      createRoute({
        method: 'post',
        path: '/venues',
        summary: 'Create a venue',
        ...admin,
        request: { body: jsonBody(CreateVenue, { name: 'Riverside Arena', timezone: 'Europe/Berlin' }) },
        responses: createdResponses(Venue, 'The venue'),
      }),
      async (c) => {
        const { venue } = unwrap(await createVenue(services, c.get('actor'), c.req.valid('json')));
        return c.json(venue, 201);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/venues',
        summary: 'List venues',
        ...staff,
        request: { query: PageQuery },
        responses: okResponses(pageOf(Venue, 'VenuePage'), 'A page of venues'),
      }),
      async (c) => {
        const { page } = unwrap(await listVenues(services, c.get('actor'), c.req.valid('query')));
        return c.json(page, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/venues/{id}',
        summary: 'Get a venue',
        ...staff,
        request: { params: idParams('id') },
        responses: okResponses(Venue, 'The venue', 404),
      }),
      async (c) => {
        const { venue } = unwrap(await getVenue(services, c.get('actor'), c.req.valid('param').id));
        return c.json(venue, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/venues/{id}/gates',
        summary: 'Add a gate to a venue',
        ...admin,
        request: { params: idParams('id'), body: jsonBody(CreateGate, { name: 'North', zone: 'Floor' }) },
        responses: createdResponses(Gate, 'The gate', 404),
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const { gate } = unwrap(await createGate(services, c.get('actor'), id, c.req.valid('json')));
        return c.json(gate, 201);
      },
    )
    .openapi(
      createRoute({
        method: 'patch',
        path: '/venues/{id}/gates/{gateId}',
        summary: 'Change a gate (name, label, passage)',
        ...admin,
        request: {
          params: idParams('id', 'gateId'),
          body: jsonBody(UpdateGate, { toZoneId: '0196f3a2-7c1e-7b3a-9f2d-4d5e6f708193' }),
        },
        responses: okResponses(Gate, 'The gate', 404),
      }),
      async (c) => {
        const { id, gateId } = c.req.valid('param');
        const { gate } = unwrap(await updateGate(services, c.get('actor'), id, gateId, c.req.valid('json')));
        return c.json(gate, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/venues/{id}/gates',
        summary: 'List the gates of a venue',
        ...staff,
        request: { params: idParams('id'), query: PageQuery },
        responses: okResponses(pageOf(Gate, 'GatePage'), 'A page of gates', 404),
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const { page } = unwrap(await listGates(services, c.get('actor'), id, c.req.valid('query')));
        return c.json(page, 200);
      },
    );
}
