/**
 * Desktop-only settings of the gate app (kiosk mode, start at login), kept as a small JSON file in
 * Electron's userData folder. The gate agent's own settings (cloud URL, enrollment, port) live in its
 * SQLite store; these are about the window and the machine's network, so they stay on the Electron side.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

const DesktopSettings = z.object({
  kiosk: z.boolean().default(false),
  openAtLogin: z.boolean().default(false),
  port: z.number().int().min(1024).max(65535).default(4100),
  /**
   * Gate-to-gate admissions on the venue LAN (the agent's --peer-listen, --peer-advertise, --peer), set
   * by the venue's IT in this file; absent = off.
   */
  peerListen: z.string().regex(HOST_PORT).optional(),
  peerAdvertise: z.string().regex(HOST_PORT).optional(),
  peers: z.array(z.string().regex(HOST_PORT)).max(64).default([]),
  /** The agent's ticket-list age thresholds (minutes: amber, red); absent = its defaults (10, 30). */
  staleAfterMinutes: z.number().int().min(1).max(10_080).optional(),
  veryStaleAfterMinutes: z.number().int().min(1).max(10_080).optional(),
});
export type DesktopSettings = z.infer<typeof DesktopSettings>;

/** Reads the settings; a missing or damaged file gives the defaults rather than stopping the gate. */
export async function loadDesktopSettings(file: string): Promise<DesktopSettings> {
  try {
    return DesktopSettings.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    return DesktopSettings.parse({});
  }
}

export async function saveDesktopSettings(file: string, settings: DesktopSettings): Promise<void> {
  await writeFile(file, `${JSON.stringify(DesktopSettings.parse(settings), null, 2)}\n`, { mode: 0o600 });
}
