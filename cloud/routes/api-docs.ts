/**
 * The API's own documentation outside /api/v1: the OpenAPI 3.1 document generated from the route
 * definitions (`/openapi.json`) and a self-contained docs page (`/docs`: no CDN, works offline).
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../http/context';

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

type OpenApiDocument = ReturnType<OpenAPIHono<AppEnv>['getOpenAPI31Document']>;

/** Mounts /openapi.json and /docs on the root app; call it after every route is mounted. */
export function mountApiDocs(app: OpenAPIHono<AppEnv>): void {
  app.doc31('/openapi.json', OPENAPI_INFO);
  app.get('/docs', (c) => {
    const document = app.getOpenAPI31Document(OPENAPI_INFO);
    c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    return c.html(renderDocs(document));
  });
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
  );

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const isMethod = (key: string): key is (typeof METHODS)[number] =>
  (METHODS as readonly string[]).includes(key);

function renderDocs(document: OpenApiDocument): string {
  const rows: string[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    // In the order the routes were defined (Object.keys), as the page always listed them.
    for (const method of Object.keys(item).filter(isMethod)) {
      const operation = item[method];
      if (!operation) continue;
      const { summary, responses } = operation;
      const statuses = Object.keys(responses ?? {}).join(' ');
      rows.push(
        `<tr><td class="m ${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(summary ?? '')}</td><td>${escapeHtml(statuses)}</td></tr>`,
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
