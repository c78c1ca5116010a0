/**
 * Hardening of every window of the gate app (Electron security checklist): the CSP on every response,
 * permissions limited to the camera, navigation and new windows blocked. The policy itself (web
 * preferences, CSP, IPC sender rule) is in security-policy.ts.
 */
import { pathToFileURL } from 'node:url';
import { type Session, shell, type WebContents } from 'electron';
import { CONTENT_SECURITY_POLICY } from './security-policy';

/** Adds the CSP header and allows only the camera (getUserMedia), nothing else. */
export function hardenSession(session: Session): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
  session.setPermissionRequestHandler((_contents, permission, callback) => callback(permission === 'media'));
  session.setPermissionCheckHandler((_contents, permission) => permission === 'media');
}

/** Blocks navigation away from our pages and every new window; http(s) links open in the OS browser. */
export function hardenContents(contents: WebContents, allowedPages: readonly string[]): void {
  const allowed = new Set(allowedPages.map((page) => pathToFileURL(page).href));
  contents.on('will-navigate', (event, url) => {
    if (!allowed.has(url.split('#')[0]!)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
}
