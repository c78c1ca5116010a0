/**
 * The API's own documentation outside /api/v1: the OpenAPI 3.1 document generated from the route
 * definitions (`/openapi.json`, finished by http/openapi-document.ts) and the API reference at `/docs`:
 * Scalar's browser bundle, served from the installed @scalar/api-reference package by this process (no
 * CDN, no web fonts, no proxy: it works with no internet), with "try it" against this same cloud.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../http/context';
import { API_DESCRIPTION, finishDocument } from '../http/openapi-document';

export const OPENAPI_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'Gate validation cloud API',
    version: '1.0.0',
    description: API_DESCRIPTION,
    // The product is not open source; SPDX's LicenseRef- form names a licence of our own.
    license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
  },
  servers: [{ url: '/', description: 'This cloud (the reference page tries requests against it)' }],
};

/** Scalar's self-contained browser build, read from the package once on the first /docs request. */
function scalarBundle(): string {
  // The package exports its standalone build under this name (package.json "exports").
  return readFileSync(
    createRequire(import.meta.url).resolve('@scalar/api-reference/browser/standalone.js'),
    'utf8',
  );
}

/**
 * What the page configures: the document of this origin; no default web fonts (they come from
 * Scalar's font host), no request proxy (requests go straight to this origin), no telemetry or AI agent.
 */
const INIT_SCRIPT = `Scalar.createApiReference('#app', ${JSON.stringify({
  url: '/openapi.json',
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  hideDarkModeToggle: false,
  defaultOpenAllTags: false,
  persistAuth: false,
  showDeveloperTools: 'never',
  documentDownloadType: 'json',
})});\n`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gate validation cloud API — reference</title>
</head>
<body>
<noscript>The reference needs JavaScript; the document itself is at <a href="/openapi.json">/openapi.json</a>.</noscript>
<div id="app"></div>
<script src="/docs/assets/scalar.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>
`;

/**
 * Scripts from this origin only (no inline code); Vue's components set inline styles; requests ("try
 * it", the document) go to this origin only; images and fonts inline or from here.
 */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; " +
  "img-src 'self' data: blob:; font-src 'self' data:; worker-src 'self' blob:; base-uri 'none'; " +
  "form-action 'none'; frame-ancestors 'none'";

/** Mounts /openapi.json and /docs on the root app; call it after every route is mounted. */
export function mountApiDocs(app: OpenAPIHono<AppEnv>): void {
  let document: string | undefined;
  let bundle: string | undefined;
  app.get('/openapi.json', (c) => {
    // Generated once: the routes cannot change after the app is built.
    document ??= JSON.stringify(finishDocument(app.getOpenAPI31Document(OPENAPI_INFO)));
    return c.body(document, 200, { 'content-type': 'application/json; charset=utf-8' });
  });
  const headers = (type: string) => ({
    'content-type': type,
    'content-security-policy': DOCS_CSP,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  app.get('/docs', (c) => c.body(PAGE, 200, headers('text/html; charset=utf-8')));
  app.get('/docs/assets/scalar.js', (c) => {
    bundle ??= scalarBundle();
    return c.body(bundle, 200, headers('text/javascript; charset=utf-8'));
  });
  app.get('/docs/assets/init.js', (c) => c.body(INIT_SCRIPT, 200, headers('text/javascript; charset=utf-8')));
}
