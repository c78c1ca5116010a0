/**
 * Operations routes outside /api/v1: health (live and ready), Prometheus metrics (ops role), the
 * OpenAPI 3.1 document generated from the route definitions, and a self-contained docs page (no CDN,
 * works offline).
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/context';
import type { Metrics } from '../http/metrics';

export interface OpsDeps {
  /** Throws when a dependency is not usable; each entry is checked by /health/ready. */
  readinessChecks: Record<string, () => Promise<void>>;
  metrics: Metrics;
  /** Authentication + ops role for /metrics. */
  opsOnly: MiddlewareHandler<AppEnv>[];
}

export const OPENAPI_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'Gate validation cloud API',
    version: '1.0.0',
    description:
      'Ticket sales, holds, purchases, transfers, refunds and online validation. Errors use one envelope.',
  },
  servers: [{ url: '/' }],
};

/** Mounts the ops routes on the root app. */
export function mountOpsRoutes(app: OpenAPIHono<AppEnv>, deps: OpsDeps): void {
  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.get('/health/live', (c) => c.json({ status: 'ok' }));
  app.get('/health/ready', async (c) => {
    const checks: Record<string, 'ok' | 'down'> = {};
    let ready = true;
    for (const [name, check] of Object.entries(deps.readinessChecks)) {
      try {
        await withTimeout(check(), 2_000);
        checks[name] = 'ok';
      } catch (error) {
        ready = false;
        checks[name] = 'down';
        c.get('logger').warn({ err: error, check: name }, 'readiness check failed');
      }
    }
    return c.json({ status: ready ? 'ok' : 'unavailable', checks }, ready ? 200 : 503);
  });
  for (const middleware of deps.opsOnly) app.use('/metrics', middleware);
  app.get('/metrics', async (c) => {
    const body = await deps.metrics.registry.metrics();
    return c.body(body, 200, { 'Content-Type': deps.metrics.registry.contentType });
  });
  app.doc31('/openapi.json', OPENAPI_INFO);
  app.get('/docs', (c) => {
    const document = app.getOpenAPI31Document(OPENAPI_INFO);
    c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    return c.html(renderDocs(document as unknown as DocsDocument));
  });
}

interface DocsDocument {
  info: { title: string; description?: string };
  paths?: Record<
    string,
    Record<string, { summary?: string; tags?: string[]; responses?: Record<string, unknown> }>
  >;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
  );

function renderDocs(document: DocsDocument): string {
  const rows: string[] = [];
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(operations)) {
      const statuses = Object.keys(operation.responses ?? {}).join(' ');
      rows.push(
        `<tr><td class="m ${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(operation.summary ?? '')}</td><td>${escapeHtml(statuses)}</td></tr>`,
      );
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(document.info.title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}.m{font-weight:700}
.get{color:#0a6}.post{color:#06c}.patch{color:#a60}.delete{color:#c00}code{font-size:13px}</style></head>
<body><h1>${escapeHtml(document.info.title)}</h1><p>${escapeHtml(document.info.description ?? '')}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Authenticate with
<code>Authorization: Bearer &lt;JWT&gt;</code>. Errors: <code>{"error":{"code","message","requestId"}}</code>.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>Summary</th><th>Responses</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table></body></html>`;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
