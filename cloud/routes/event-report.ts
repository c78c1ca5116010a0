/**
 * An event's read-only report as one operation, `GET /events/{id}/<report>`: who may read it, the read
 * rate limit, the answer's schema, and 404 for an event the caller may not see (the service says so).
 * The attendance and the operations view are such reports.
 */
import { createRoute } from '@hono/zod-openapi';
import {
  actorOf,
  bearerAccess,
  createRouter,
  errorResponses,
  idParams,
  jsonResponse,
  type RouteDeps,
  type z,
} from '../http/openapi';
import type { Actor, Role } from '../services/actor';
import type { ServiceContext } from '../services/context';

/** What tells one event report from another. */
export interface EventReport<Answer extends z.ZodType> {
  /** The path below the event, e.g. `attendance`. */
  name: string;
  summary: string;
  roles: Role[];
  answer: Answer;
  description: string;
  /** Reads the report; a failure (NOT_FOUND, FORBIDDEN) is thrown as its AppError (`unwrap`). */
  read(services: ServiceContext, actor: Actor, eventId: string): Promise<z.output<Answer>>;
  /** Response headers besides the JSON's own. */
  headers?: Record<string, string>;
}

/** The router of one event report. */
export function eventReportRoute<Answer extends z.ZodType>(
  { services, limits }: RouteDeps,
  report: EventReport<Answer>,
) {
  return createRouter().openapi(
    createRoute({
      method: 'get',
      path: `/events/{id}/${report.name}`,
      summary: report.summary,
      ...bearerAccess(['reports'], report.roles, limits.read),
      request: { params: idParams('id') },
      responses: { 200: jsonResponse(report.answer, report.description), ...errorResponses(404) },
    }),
    async (c) => {
      const answer = await report.read(services, actorOf(c), c.req.valid('param').id);
      for (const [name, value] of Object.entries(report.headers ?? {})) c.header(name, value);
      return c.json(answer, 200);
    },
  );
}
