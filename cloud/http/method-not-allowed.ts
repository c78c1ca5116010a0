/**
 * The answer for a request no route takes: 405 METHOD_NOT_ALLOWED with an `Allow` header when the path
 * exists under other methods (RFC 9110 §15.5.6), the 404 envelope when it does not. The methods come
 * from the app's own route table, read once on the first miss (every route is mounted by then).
 */
import type { Hono, NotFoundHandler } from 'hono';
import { AppError } from '../errors';
import type { AppEnv } from './context';
import { errorResponse } from './errors';

interface RouteShape {
  pattern: RegExp;
  methods: Set<string>;
}

/** `/api/v1/events/:id/cancel` → a pattern for its concrete paths. */
function patternOf(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) =>
      segment.startsWith(':')
        ? '[^/]+'
        : segment === '*'
          ? '.*'
          : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return new RegExp(`^${source}/?$`);
}

function routeShapes(app: Hono<AppEnv>): RouteShape[] {
  const byPath = new Map<string, Set<string>>();
  for (const route of app.routes) {
    // Middleware (`app.use`) is registered as ALL; it is no resource.
    if (route.method === 'ALL') continue;
    const methods = byPath.get(route.path) ?? new Set<string>();
    methods.add(route.method);
    if (route.method === 'GET') methods.add('HEAD');
    byPath.set(route.path, methods);
  }
  return [...byPath].map(([path, methods]) => ({ pattern: patternOf(path), methods }));
}

/** The not-found handler of `app`: 405 + Allow for a known path, 404 otherwise. */
export function methodNotAllowedOr404(app: Hono<AppEnv>): NotFoundHandler<AppEnv> {
  let shapes: RouteShape[] | undefined;
  return (c) => {
    shapes ??= routeShapes(app);
    const allowed = new Set<string>();
    for (const shape of shapes) {
      if (shape.pattern.test(c.req.path)) for (const method of shape.methods) allowed.add(method);
    }
    if (allowed.size === 0 || allowed.has(c.req.method)) {
      return errorResponse(c, new AppError('NOT_FOUND', 'no such route'));
    }
    // CORS preflights are answered for every path before routing (app.ts).
    allowed.add('OPTIONS');
    c.header('Allow', [...allowed].sort().join(', '));
    return errorResponse(
      c,
      new AppError(
        'METHOD_NOT_ALLOWED',
        `${c.req.method} is not allowed here; allowed: ${[...allowed].sort().join(', ')}`,
      ),
    );
  };
}
