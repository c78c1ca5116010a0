/**
 * The event operations view (issue 9): `GET /api/v1/events/:id/operations` (JSON; admin of the tenant,
 * or ops) and the small static page an organiser looks at, `/ops/events/:id` (cloud/ops-page/). The page
 * carries no data and needs no login to load: it asks for a bearer token, keeps it in sessionStorage and
 * fetches the JSON with it. Strict CSP: scripts and styles from this origin only, no inline code.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { REASON_LABELS } from '../../shared/admission/reasons';
import { OCCUPANCY_WARNING_RATIO } from '../../shared/admission/zones';
import type { AppEnv } from '../http/context';
import { type RouteDeps, unwrap } from '../http/openapi';
import { EventOperationsSchema, eventOperations } from '../services/operations';
import { eventReportRoute } from './event-report';

/** `GET /events/:id/operations` (admin, ops); never cached, it is a live view. */
export function operationsRoutes(deps: RouteDeps) {
  return eventReportRoute(deps, {
    name: 'operations',
    summary: 'Event operations: every gate and device (online, manifest age, backlog), admissions, rejects',
    roles: ['admin', 'ops'],
    answer: EventOperationsSchema,
    description: 'The operations view',
    read: async (services, actor, eventId) =>
      unwrap(await eventOperations(services, actor, eventId)).operations,
    headers: { 'Cache-Control': 'no-store' },
  });
}

const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../ops-page');
const PAGE_FILES = {
  'index.html': 'text/html; charset=utf-8',
  'ops.js': 'text/javascript; charset=utf-8',
  'ops.css': 'text/css; charset=utf-8',
  'arrivals.js': 'text/javascript; charset=utf-8',
  'occupancy.js': 'text/javascript; charset=utf-8',
  'venue-time.js': 'text/javascript; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
} as const;
type PageFile = keyof typeof PAGE_FILES;

/** No inline script or style, nothing from elsewhere; data only from this origin's API. */
export const OPS_PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The reasons' words from their one source, as the module the page's script imports (`./reasons.js`). */
const REASON_LABELS_MODULE = `export const REASON_LABELS = ${JSON.stringify(REASON_LABELS)};\n`;

/** The occupancy warning threshold from its one source, as the module `./occupancy-rules.js`. */
const OCCUPANCY_RULES_MODULE = `export const OCCUPANCY_WARNING_RATIO = ${JSON.stringify(OCCUPANCY_WARNING_RATIO)};\n`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Mounts the operations page and its assets on the root app (read once, then served from memory). */
export function mountOpsPage(app: OpenAPIHono<AppEnv>): void {
  const cache = new Map<PageFile, string>();
  const file = (name: PageFile) => {
    let body = cache.get(name);
    if (body === undefined) {
      body = readFileSync(join(PAGE_DIR, name), 'utf8');
      cache.set(name, body);
    }
    return body;
  };
  const headers = (name: PageFile) => ({
    'content-type': PAGE_FILES[name],
    'content-security-policy': OPS_PAGE_CSP,
    'cache-control': 'no-cache',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  });
  app.get('/ops/events/:id', (c) => {
    // Anything but an event id is a 404 like any other unknown path.
    if (!UUID.test(c.req.param('id'))) return c.notFound();
    return c.body(file('index.html'), 200, headers('index.html'));
  });
  app.get('/ops/assets/ops.js', (c) => c.body(file('ops.js'), 200, headers('ops.js')));
  app.get('/ops/assets/reasons.js', (c) => c.body(REASON_LABELS_MODULE, 200, headers('ops.js')));
  app.get('/ops/assets/ops.css', (c) => c.body(file('ops.css'), 200, headers('ops.css')));
  app.get('/ops/assets/arrivals.js', (c) => c.body(file('arrivals.js'), 200, headers('arrivals.js')));
  app.get('/ops/assets/occupancy.js', (c) => c.body(file('occupancy.js'), 200, headers('occupancy.js')));
  app.get('/ops/assets/occupancy-rules.js', (c) => c.body(OCCUPANCY_RULES_MODULE, 200, headers('ops.js')));
  app.get('/ops/assets/venue-time.js', (c) => c.body(file('venue-time.js'), 200, headers('venue-time.js')));
  // The page links its icon; browsers that ask for /favicon.ico anyway get the same picture, not a 404.
  app.get('/ops/assets/favicon.svg', (c) => c.body(file('favicon.svg'), 200, headers('favicon.svg')));
  app.get('/favicon.ico', (c) => c.body(file('favicon.svg'), 200, headers('favicon.svg')));
}
