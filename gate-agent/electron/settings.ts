/**
 * Desktop-only settings of the gate app (kiosk mode, start at login), kept as a small JSON file in
 * Electron's userData folder. The gate agent's own settings (cloud URL, enrollment, port) live in its
 * SQLite store; these are about the window, so they stay on the Electron side.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';

const DesktopSettings = z.object({
  kiosk: z.boolean().default(false),
  openAtLogin: z.boolean().default(false),
  port: z.number().int().min(1024).max(65535).default(4100),
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
