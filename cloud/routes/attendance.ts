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
} from '../http/openapi';
import { AttendanceSchema, eventAttendance } from '../services/attendance';

/** `GET /events/:id/attendance` (admin, venue staff, ops). */
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
      responses: { 200: jsonResponse(AttendanceSchema, 'The attendance'), ...errorResponses(404) },
    }),
    async (c) => {
      const { attendance } = unwrap(await eventAttendance(services, actorOf(c), c.req.valid('param').id));
      return c.json(attendance, 200);
    },
  );
}
