/**
 * The event operations view (issue 9): `GET /api/v1/events/:id/operations` (JSON; admin of the tenant,
 * or ops) and the small static page an organiser looks at, `/ops/events/:id` (cloud/ops-page/). The page
 * carries no data and needs no login to load: it asks for a bearer token, keeps it in sessionStorage and
 * fetches the JSON with it. Strict CSP: scripts and styles from this origin only, no inline code.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { requireRole } from '../http/auth';
import type { AppEnv } from '../http/context';
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
import { EventOperationsSchema, eventOperations } from '../services/operations';

/** `GET /events/:id/operations` (admin, ops). */
export function operationsRoutes(deps: RouteDeps) {
  const { services, limits } = deps;
  return createRouter().openapi(
    createRoute({
      method: 'get',
      path: '/events/{id}/operations',
      tags: ['reports'],
      summary: 'Event operations: every gate and device (online, manifest age, backlog), admissions, rejects',
      security,
      middleware: [requireRole('admin', 'ops'), limits.read],
      request: { params: idParams('id') },
      responses: { 200: jsonResponse(EventOperationsSchema, 'The operations view'), ...errorResponses(404) },
    }),
    async (c) => {
      const { operations } = unwrap(await eventOperations(services, actorOf(c), c.req.valid('param').id));
      c.header('Cache-Control', 'no-store');
      return c.json(operations, 200);
    },
  );
}

const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../ops-page');
const PAGE_FILES = {
  'index.html': 'text/html; charset=utf-8',
  'ops.js': 'text/javascript; charset=utf-8',
  'ops.css': 'text/css; charset=utf-8',
} as const;
type PageFile = keyof typeof PAGE_FILES;

/** No inline script or style, nothing from elsewhere; data only from this origin's API. */
export const OPS_PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Mounts the operations page and its two assets on the root app (read once, then served from memory). */
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
  app.get('/ops/assets/ops.css', (c) => c.body(file('ops.css'), 200, headers('ops.css')));
}
