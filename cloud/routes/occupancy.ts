/** HTTP route for an event's live occupancy per zone (issue 18): admin, venue staff, or ops. */
import { type RouteDeps, unwrap } from '../http/openapi';
import { EventOccupancySchema, eventOccupancyReport } from '../services/occupancy';
import { eventReportRoute } from './event-report';

/** `GET /events/:id/occupancy` (admin, venue staff, ops); never cached, it is a live count. */
export function occupancyRoutes(deps: RouteDeps) {
  return eventReportRoute(deps, {
    name: 'occupancy',
    summary: 'How many people are in each zone of the venue right now, with each zone’s capacity',
    roles: ['admin', 'venue_staff', 'ops'],
    answer: EventOccupancySchema,
    description: 'The occupancy',
    read: async (services, actor, eventId) =>
      unwrap(await eventOccupancyReport(services, actor, eventId)).occupancy,
    headers: { 'Cache-Control': 'no-store' },
  });
}
