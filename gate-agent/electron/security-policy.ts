/**
 * The security policy of the gate app's windows, as plain data and pure checks (no Electron runtime
 * needed, so it is unit-tested headless): the renderer's web preferences, its CSP, and the rule for
 * which IPC messages are handled.
 */
import { pathToFileURL } from 'node:url';
import type { BrowserWindowConstructorOptions, IpcMainInvokeEvent, WebContents } from 'electron';
import { ALLOWED_CHANNELS } from './ipc-channels';

/** The only CSP the renderer gets: our own files, no inline script, camera frames only as blobs. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: mediastream:",
  // The QR decoder runs in a Web Worker loaded from our own files.
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function secureWebPreferences(preloadPath: string): BrowserWindowConstructorOptions['webPreferences'] {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    spellcheck: false,
    // A camera-only station has no user gesture before the first verdict, whose sound must still play.
    autoplayPolicy: 'no-user-gesture-required',
  };
}

/**
 * True when an IPC message may be handled: an allow-listed channel, sent by the main frame of our own
 * window showing one of our own pages (not an iframe, not a page navigated elsewhere).
 */
export function isTrustedSender(
  event: IpcMainInvokeEvent,
  channel: string,
  ownContents: WebContents | undefined,
  allowedPages: readonly string[],
): boolean {
  if (!ALLOWED_CHANNELS.has(channel)) return false;
  if (!ownContents || event.sender.id !== ownContents.id) return false;
  const frame = event.senderFrame;
  if (!frame || frame !== event.sender.mainFrame) return false;
  const url = frame.url.split('#')[0];
  return allowedPages.some((page) => pathToFileURL(page).href === url);
}
