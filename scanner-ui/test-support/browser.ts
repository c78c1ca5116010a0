/**
 * Launching Debian's Chromium for the scanner UI's browser tests and benchmark (never a downloaded
 * browser), with the fake camera when a test needs one.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

const BASE_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

/**
 * True when Chromium is installed. Browser suites skip without it on a developer's machine; in CI
 * (CI=true, where .ci/run installs it) a missing browser is an error, never a silent skip.
 */
export function chromiumAvailable(): boolean {
  const available = existsSync(CHROMIUM_PATH);
  if (!available && process.env.CI === 'true') {
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}; CI must run the browser tests`);
  }
  return available;
}

export interface LaunchOptions {
  /** A .y4m or .mjpeg file served as the camera (Chromium's fake capture device). */
  fakeCameraFile?: string;
  /** Without a fake camera, refuse camera permission so pages do not wait on a prompt. */
  extraArgs?: string[];
}

export function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const args = [...BASE_ARGS, ...(options.extraArgs ?? [])];
  if (options.fakeCameraFile) {
    args.push(
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${options.fakeCameraFile}`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args });
}
