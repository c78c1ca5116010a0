/**
 * HTTP routes for the organiser's reports (SPEC section 4, reports; section 8): the reconciliation of
 * an event (run now, read the latest as JSON or CSV) and venue and customer analytics. Readable by the
 * tenant's admin and by ops (every tenant); customers and venue staff get 403, another tenant's ids 404.
 */
import { createRoute } from '@hono/zod-openapi';
import { AppError } from '../errors';
import {
  actorOf,
  bearerAccess,
  createRouter,
  errorResponses,
  idParams,
  jsonResponse,
  type RouteDeps,
  unwrap,
  z,
} from '../http/openapi';
import {
  CUSTOMER_ID,
  CustomerAnalyticsSchema,
  customerAnalytics,
  VenueAnalyticsSchema,
  venueAnalytics,
} from '../services/analytics';
import {
  latestReport,
  ReconciliationReportSchema,
  ReconciliationRunSchema,
  reportToCsv,
  requestReconciliation,
} from '../services/reconciliation';

// The service's schema as an OpenAPI component of its own: zod-openapi refers to a nullable schema's
// component only by a name given with `.openapi()`, which works on schemas made after this module loaded.
const RunSchema = z.object(ReconciliationRunSchema.shape).openapi('ReconciliationRun');

const LatestReportSchema = z
  .object({
    run: RunSchema,
    // A union rather than .nullable(): zod-openapi renders a nullable $ref as allOf[$ref, {type:[object,null]}],
    // which null cannot pass (allOf needs the $ref too); anyOf states it.
    newerRun: z.union([RunSchema, z.null()]).openapi({
      description: 'A run asked for after this report (pending, running or failed), if any',
    }),
    report: ReconciliationReportSchema,
  })
  .openapi('LatestReconciliation');

const FormatQuery = z.object({
  format: z.enum(['json', 'csv']).optional().openapi({ description: 'csv: the report as one sectioned CSV' }),
});

// `from` must be before `to` when both are given (400 otherwise): the route's description says so.
const RangeQuery = z.object({
  from: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Events starting at or after' }),
  to: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Events starting before' }),
});

const CustomerParams = z.object({
  id: z.string().regex(CUSTOMER_ID, 'not a user id').openapi({ example: 'user-42' }),
});

/** Reconciliation and analytics routes. */
export function reportRoutes(deps: RouteDeps) {
  const { services, limits } = deps;
  const readers = bearerAccess(['reports'], ['admin', 'ops'], limits.read);
  return createRouter()
    .openapi(
      createRoute({
        method: 'post',
        path: '/events/{id}/reconciliation',
        summary: 'Reconcile an event now (answers at once; the report is computed by a background job)',
        ...readers,
        request: { params: idParams('id') },
        responses: {
          202: jsonResponse(RunSchema, 'The run (a run already pending or running is answered instead)'),
          ...errorResponses(404),
        },
      }),
      async (c) => {
        const { run } = unwrap(await requestReconciliation(services, actorOf(c), c.req.valid('param').id));
        return c.json(run, 202);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/events/{id}/reconciliation',
        summary: 'The latest reconciliation report of an event (JSON, or CSV with ?format=csv)',
        description:
          '404 `RECONCILIATION_NOT_READY` when no run has finished yet (the message says whether one is pending).',
        ...readers,
        request: { params: idParams('id'), query: FormatQuery },
        responses: {
          200: {
            description: 'The latest done report',
            content: {
              'application/json': { schema: LatestReportSchema },
              'text/csv': { schema: z.string().openapi({ description: 'Sectioned CSV (RFC 4180)' }) },
            },
          },
          ...errorResponses(404),
        },
      }),
      async (c) => {
        const eventId = c.req.valid('param').id;
        const latest = unwrap(await latestReport(services, actorOf(c), eventId));
        if (!latest.report || !latest.run) {
          const pending = latest.newerRun;
          throw new AppError(
            'RECONCILIATION_NOT_READY',
            pending
              ? `no reconciliation report yet: run ${pending.id} is ${pending.status}`
              : 'no reconciliation report yet: request one with POST /api/v1/events/{id}/reconciliation',
          );
        }
        if (c.req.valid('query').format === 'csv') {
          const day = (latest.run.finishedAt ?? latest.report.generatedAt).slice(0, 10);
          return c.body(reportToCsv(latest.report), 200, {
            'Content-Type': 'text/csv; charset=utf-8',
            'Content-Disposition': `attachment; filename="reconciliation-${eventId}-${day}.csv"`,
          });
        }
        return c.json({ run: latest.run, newerRun: latest.newerRun, report: latest.report }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/analytics/venues/{id}',
        summary: 'Venue analytics: events, tickets sold, revenue per currency, attendance, peak entry minute',
        description:
          'Events starting in [from, to); `from` must be before `to` when both are given (400 otherwise).',
        ...readers,
        request: { params: idParams('id'), query: RangeQuery },
        responses: { 200: jsonResponse(VenueAnalyticsSchema, 'The venue’s figures'), ...errorResponses(404) },
      }),
      async (c) => {
        const { from, to } = c.req.valid('query');
        const { analytics } = unwrap(
          await venueAnalytics(services, actorOf(c), c.req.valid('param').id, {
            ...(from ? { from: new Date(from) } : {}),
            ...(to ? { to: new Date(to) } : {}),
          }),
        );
        return c.json(analytics, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get',
        path: '/analytics/customers/{id}',
        summary: 'Customer analytics: orders and spend, tickets held, attendance',
        ...readers,
        request: { params: CustomerParams },
        responses: {
          200: jsonResponse(CustomerAnalyticsSchema, 'The customer’s figures'),
          ...errorResponses(404),
        },
      }),
      async (c) => {
        const { analytics } = unwrap(await customerAnalytics(services, actorOf(c), c.req.valid('param').id));
        return c.json(analytics, 200);
      },
    );
}
