/**
 * Serves the scanner UI's built files (scanner-ui/dist/) at `/`. Written here rather than with
 * @hono/node-server's serveStatic, which only takes paths relative to the working directory: the agent
 * may be started from anywhere (Electron, a service manager). Until the UI is built, `/` explains that.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'hono';

export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../scanner-ui/dist', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Gate agent</title></head>
<body style="font-family: system-ui, sans-serif; margin: 3rem">
<h1>Gate agent is running</h1>
<p>The scanner UI is not built yet. Build it with <code>npm run build:ui</code> and reload this page.</p>
<p>The local API answers at <code>/api/status</code>, <code>/api/scan</code> and <code>/api/sync</code>; metrics at <code>/metrics</code>.</p>
</body></html>`;

/** A handler for GET requests outside /api: files under `uiDir`, index.html for `/`. */
export function staticUi(uiDir: string) {
  const root = normalize(uiDir);
  return async (c: Context) => {
    if (!existsSync(join(root, 'index.html'))) return c.html(NOT_BUILT);
    let path: string;
    try {
      path = decodeURIComponent(new URL(c.req.url).pathname);
    } catch {
      return c.text('bad path', 400);
    }
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(root, path));
    // Never outside the UI folder, whatever ".." or encoded separators the path holds.
    if (file !== root && !file.startsWith(root + sep)) return c.text('not found', 404);
    try {
      const info = await stat(file);
      if (!info.isFile()) return c.text('not found', 404);
      const body = await readFile(file);
      return c.body(body, 200, {
        'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'cache-control': 'no-cache',
      });
    } catch {
      return c.text('not found', 404);
    }
  };
}
