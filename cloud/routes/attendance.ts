/** HTTP route for an event's attendance (SPEC section 4, reports): admin, venue staff, or ops. */
import { type RouteDeps, unwrap } from '../http/openapi';
import { AttendanceSchema, eventAttendance } from '../services/attendance';
import { eventReportRoute } from './event-report';

/** `GET /events/:id/attendance` (admin, venue staff, ops). */
export function attendanceRoutes(deps: RouteDeps) {
  return eventReportRoute(deps, {
    name: 'attendance',
    summary: 'Who has come in: admitted, inside, per gate, per ticket type, per minute',
    roles: ['admin', 'venue_staff', 'ops'],
    answer: AttendanceSchema,
    description: 'The attendance',
    read: async (services, actor, eventId) =>
      unwrap(await eventAttendance(services, actor, eventId)).attendance,
  });
}
