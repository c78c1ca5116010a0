/**
 * `describe` for a browser suite: skipped where Debian's Chromium is not installed (a developer's
 * machine), an error in CI (see `chromiumAvailable`).
 */
import { describe } from 'vitest';
import { chromiumAvailable } from './browser';

export const describeInChromium = chromiumAvailable() ? describe : describe.skip;
