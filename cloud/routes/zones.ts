/** HTTP routes for the zones of a venue (issue 18): the areas people are counted in, in order. */
import { createRoute } from '@hono/zod-openapi';
import { createdResponses, okResponses } from '../http/answers';
import { bearerAccess, createRouter, jsonBody, type RouteDeps, unwrap } from '../http/openapi';
import { idParams, pageOf, Timestamp, text, z } from '../http/schemas';
import { createZone, listZones, updateZone } from '../services/zones';

const Zone = z
  .object({
    id: z.uuid(),
    venueId: z.uuid(),
    name: z.string(),
    capacity: z.number().int().nullable(),
    restricted: z.boolean(),
    reentry: z.boolean(),
    position: z.number().int(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .openapi('Zone');

const zoneFields = {
  name: text(200).openapi({ description: 'Unique in the venue, whatever the case' }),
  capacity: z.number().int().min(0).max(10_000_000).nullable().openapi({
    description:
      'Most people inside at once; null = no limit. May be set below the number inside now: the zone is then full (no entry) and nobody inside is affected.',
  }),
  restricted: z
    .boolean()
    .openapi({ description: 'Entered only by ticket types that list the zone (a VIP lounge, backstage)' }),
  reentry: z
    .boolean()
    .openapi({ description: 'False: a holder who was in the zone once may not enter it again' }),
};

const CreateZone = z
  .strictObject({
    name: zoneFields.name,
    capacity: zoneFields.capacity.optional(),
    restricted: zoneFields.restricted.optional().openapi({ description: 'Default false' }),
    reentry: zoneFields.reentry.optional().openapi({ description: 'Default true' }),
  })
  .openapi('CreateZone', { description: 'A new zone goes at the end of the venue’s order' });

const UpdateZone = z
  .strictObject({
    name: zoneFields.name.optional(),
    capacity: zoneFields.capacity.optional(),
    restricted: zoneFields.restricted.optional(),
    reentry: zoneFields.reentry.optional(),
    position: z.number().int().min(0).max(10_000).optional().openapi({
      description:
        'Move the zone to this 0-based place (the last place when beyond it). The zone at 0 is where gates without a toZoneId lead: 409 PASSAGE_CONFLICT when that would make a gate lead into the zone it starts from.',
    }),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'at least one field is required')
  .openapi('UpdateZone', { minProperties: 1, description: 'At least one field' });

/** Routes under /api/v1 for venue zones. */
export function zoneRoutes(deps: RouteDeps) {
  const { services, limits } = deps;
  const admin = bearerAccess(['venues'], ['admin'], limits.read);
  const staff = bearerAccess(['venues'], ['admin', 'venue_staff'], limits.read);
  return createRouter()
    .openapi(
      createRoute({
        method: 'post',
        path: '/venues/{id}/zones',
        summary: 'Add a zone to a venue',
        ...admin,
        request: {
          params: idParams('id'),
          body: jsonBody(CreateZone, { name: 'VIP lounge', capacity: 80, restricted: true }),
        },
        responses: createdResponses(Zone, 'The zone', 404, 409),
      }),
      async (c) => {
        const { id } = c.req.valid('param');
        const { zone } = unwrap(await createZone(services, c.get('actor'), id, c.req.valid('json')));
        return c.json(zone, 201);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/venues/{id}/zones',
        summary: 'List the zones of a venue in order (the first is where default gates lead)',
        ...staff,
        request: { params: idParams('id') },
        responses: okResponses(pageOf(Zone, 'ZonePage'), 'The zones', 404),
      }),
      async (c) => {
        const { items } = unwrap(await listZones(services, c.get('actor'), c.req.valid('param').id));
        return c.json({ items, nextCursor: null }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'patch',
        path: '/venues/{id}/zones/{zoneId}',
        summary: 'Change a zone (name, capacity, restricted, re-entry, position)',
        ...admin,
        request: { params: idParams('id', 'zoneId'), body: jsonBody(UpdateZone, { capacity: 60 }) },
        responses: okResponses(Zone, 'The zone', 404, 409),
      }),
      async (c) => {
        const { id, zoneId } = c.req.valid('param');
        const { zone } = unwrap(await updateZone(services, c.get('actor'), id, zoneId, c.req.valid('json')));
        return c.json(zone, 200);
      },
    );
}
