/**
 * The Electron security rules that can be checked without an Electron binary (this machine cannot
 * download one): IPC is accepted only on allow-listed channels from our own window's main frame showing
 * our own page; the CSP allows nothing but our files and the camera; desktop settings survive damage.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { IpcMainInvokeEvent, WebContents } from 'electron';
import { describe, expect, it } from 'vitest';
import { ALLOWED_CHANNELS, IPC_CHANNELS } from './ipc-channels';
import { CONTENT_SECURITY_POLICY, isTrustedSender, secureWebPreferences } from './security-policy';
import { loadDesktopSettings, saveDesktopSettings } from './settings';

const page = '/opt/gate/resources/app.asar/scanner-ui/dist/index.html';
const mainFrame = { url: `${pathToFileURL(page).href}` };
const own = { id: 7, mainFrame } as unknown as WebContents;

function event(overrides: { senderId?: number; frame?: { url: string } | null }): IpcMainInvokeEvent {
  const frame = overrides.frame === undefined ? mainFrame : overrides.frame;
  return {
    sender: { id: overrides.senderId ?? 7, mainFrame },
    senderFrame: frame,
  } as unknown as IpcMainInvokeEvent;
}

describe('IPC sender check', () => {
  it('accepts every allow-listed channel from our own window and page', () => {
    for (const channel of Object.values(IPC_CHANNELS)) {
      expect(isTrustedSender(event({}), channel, own, [page])).toBe(true);
    }
  });

  it('refuses unknown channels, other windows, sub-frames, other pages and a missing window', () => {
    expect(ALLOWED_CHANNELS.has('agent:eval')).toBe(false);
    expect(isTrustedSender(event({}), 'agent:eval', own, [page])).toBe(false);
    expect(isTrustedSender(event({ senderId: 8 }), IPC_CHANNELS.scan, own, [page])).toBe(false);
    expect(isTrustedSender(event({ frame: { url: mainFrame.url } }), IPC_CHANNELS.scan, own, [page])).toBe(
      false,
    );
    expect(isTrustedSender(event({ frame: null }), IPC_CHANNELS.scan, own, [page])).toBe(false);
    const elsewhere = { id: 7, mainFrame: { url: 'https://evil.example/' } } as unknown as WebContents;
    const navigated = {
      sender: elsewhere,
      senderFrame: elsewhere.mainFrame,
    } as unknown as IpcMainInvokeEvent;
    expect(isTrustedSender(navigated, IPC_CHANNELS.scan, elsewhere, [page])).toBe(false);
    expect(isTrustedSender(event({}), IPC_CHANNELS.scan, undefined, [page])).toBe(false);
  });
});

describe('window hardening', () => {
  it('isolates the renderer and sandboxes it, with no Node', () => {
    expect(secureWebPreferences('/p.cjs')).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
    });
  });

  it('has a CSP that allows only our own files, no inline script, no framing', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
  });
});

describe('desktop settings', () => {
  it('round-trips, and a damaged file gives the defaults instead of stopping the gate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gate-settings-'));
    const file = join(dir, 'desktop-settings.json');
    const defaults = { kiosk: false, openAtLogin: false, port: 4100, peers: [] };
    expect(await loadDesktopSettings(file)).toEqual(defaults);
    const lan = { peerListen: '10.0.0.21:4300', peers: ['10.0.0.22:4300'] };
    await saveDesktopSettings(file, { kiosk: true, openAtLogin: true, port: 4200, ...lan });
    expect(await loadDesktopSettings(file)).toEqual({ kiosk: true, openAtLogin: true, port: 4200, ...lan });
    writeFileSync(file, '{ not json');
    expect(await loadDesktopSettings(file)).toEqual(defaults);
    // A peer address that is not host:port is refused as a whole: the gate starts on the defaults.
    writeFileSync(file, JSON.stringify({ kiosk: true, peerListen: 'not an address' }));
    expect(await loadDesktopSettings(file)).toEqual(defaults);
  });
});
