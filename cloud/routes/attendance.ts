/** HTTP route for an event's attendance (SPEC section 4, reports): admin, venue staff, or ops. */
import { createRoute } from '@hono/zod-openapi';
import { requireRole } from '../http/auth';
import {
  actorOf,
  createRouter,
  errorResponses,
  idParams,
  jsonResponse,
  type RouteDeps,
  security,
  unwrap,
  z,
} from '../http/openapi';
import { eventAttendance } from '../services/attendance';

const Attendance = z
  .object({
    eventId: z.uuid(),
    admitted: z.number().int().openapi({ description: 'Distinct tickets admitted at least once' }),
    inside: z.number().int().openapi({ description: 'Tickets whose last accepted scan was an entry' }),
    byGate: z.array(
      z.object({ gateId: z.uuid(), gateName: z.string().nullable(), admitted: z.number().int() }),
    ),
    byTicketType: z.array(
      z.object({ typeNo: z.number().int(), name: z.string().nullable(), admitted: z.number().int() }),
    ),
    perMinute: z.array(z.object({ minute: z.string(), entries: z.number().int() })),
  })
  .openapi('Attendance');

export function attendanceRoutes(deps: RouteDeps) {
  const { services, limits } = deps;
  return createRouter().openapi(
    createRoute({
      method: 'get',
      path: '/events/{id}/attendance',
      tags: ['reports'],
      summary: 'Who has come in: admitted, inside, per gate, per ticket type, per minute',
      security,
      middleware: [requireRole('admin', 'venue_staff', 'ops'), limits.read],
      request: { params: idParams('id') },
      responses: { 200: jsonResponse(Attendance, 'The attendance'), ...errorResponses(404) },
    }),
    async (c) => {
      const { attendance } = unwrap(await eventAttendance(services, actorOf(c), c.req.valid('param').id));
      return c.json(attendance, 200);
    },
  );
}
