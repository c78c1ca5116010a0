/**
 * The box office page (issue 17), `/box-office` (cloud/box-office-page/): where venue staff search an
 * event's tickets, check one in by hand and undo a mistaken admission. Like the operations page it
 * carries no data and needs no login to load: it asks for a bearer token, keeps it in sessionStorage and
 * calls the API with it. It shares the operations page's assets for what both need — the reasons' words
 * (/ops/assets/reasons.js, from shared/admission/reasons.ts), venue time (/ops/assets/venue-time.js) and
 * the icon — and its strict CSP: scripts and styles from this origin only, no inline code.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../http/context';
import { OPS_PAGE_CSP } from './operations';

const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../box-office-page');
const SCRIPT = 'text/javascript; charset=utf-8';
const PAGE_FILES = {
  'index.html': 'text/html; charset=utf-8',
  'box-office.js': SCRIPT,
  'check-in.js': SCRIPT,
  'api.js': SCRIPT,
  'words.js': SCRIPT,
  'box-office.css': 'text/css; charset=utf-8',
} as const;
type PageFile = keyof typeof PAGE_FILES;

const isPageFile = (name: string): name is PageFile => Object.hasOwn(PAGE_FILES, name);

/** Mounts the box office page and its assets on the root app (read once, then served from memory). */
export function mountBoxOfficePage(app: OpenAPIHono<AppEnv>): void {
  const cache = new Map<PageFile, string>();
  const serve = (name: PageFile) => {
    let body = cache.get(name);
    if (body === undefined) {
      body = readFileSync(join(PAGE_DIR, name), 'utf8');
      cache.set(name, body);
    }
    return new Response(body, {
      headers: {
        'content-type': PAGE_FILES[name],
        'content-security-policy': OPS_PAGE_CSP,
        'cache-control': 'no-cache',
        'referrer-policy': 'no-referrer',
        'x-content-type-options': 'nosniff',
      },
    });
  };
  app.get('/box-office', () => serve('index.html'));
  app.get('/box-office/assets/:file', (c) => {
    // Only the page's own files: never a path into the directory, never the index under another name.
    const name = c.req.param('file');
    return isPageFile(name) && name !== 'index.html' ? serve(name) : c.notFound();
  });
}
