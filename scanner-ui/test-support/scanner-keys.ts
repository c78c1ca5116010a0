/**
 * Types like a USB keyboard-wedge scanner. A real scanner's keys reach the page with the time the OS
 * received them (`KeyboardEvent.timeStamp`), so a busy machine delays them but does not stretch their
 * gaps. Playwright's `keyboard.type` cannot do that: each key is stamped when the browser gets it, and
 * on a loaded 2-core test machine its 5 ms gaps were measured at up to 145 ms. This helper sends the
 * keys through the DevTools protocol with explicit timestamps at the scanner's pace (Chromium uses
 * them as the events' timeStamp), Shift pressed around shifted characters as scanners do.
 */
import type { CDPSession, Page } from 'playwright-core';

export interface ScannerTypeOptions {
  /** Milliseconds between keys (default 5). */
  gapMs?: number;
  /** Suffix the scanner sends (default Enter). */
  suffix?: 'Enter' | 'Tab' | 'none';
}

const sessions = new WeakMap<Page, Promise<CDPSession>>();

function session(page: Page): Promise<CDPSession> {
  let existing = sessions.get(page);
  if (!existing) {
    existing = page.context().newCDPSession(page);
    sessions.set(page, existing);
  }
  return existing;
}

const SHIFTED = /[A-Z$%*+:!@#^&()_{}|"<>?~]/;

function keyCode(char: string): number {
  if (/[A-Za-z]/.test(char)) return char.toUpperCase().charCodeAt(0);
  if (/[0-9]/.test(char)) return char.charCodeAt(0);
  if (char === ' ') return 32;
  return 0;
}

type KeyEvent = Record<string, unknown> & { type: 'keyDown' | 'keyUp' | 'rawKeyDown' };

/** Sends `text` (and the suffix) as a scanner burst; resolves when the browser has taken every key. */
export async function typeLikeScanner(
  page: Page,
  text: string,
  options: ScannerTypeOptions = {},
): Promise<void> {
  const cdp = await session(page);
  const gap = options.gapMs ?? 5;
  const events: { offset: number; event: KeyEvent }[] = [];
  let offset = 0;
  for (const char of text) {
    const shifted = SHIFTED.test(char);
    if (shifted) {
      events.push({
        offset,
        event: {
          type: 'rawKeyDown',
          key: 'Shift',
          code: 'ShiftLeft',
          windowsVirtualKeyCode: 16,
          modifiers: 8,
        },
      });
    }
    const common = { key: char, windowsVirtualKeyCode: keyCode(char), modifiers: shifted ? 8 : 0 };
    events.push({
      offset: offset + 0.5,
      event: { type: 'keyDown', text: char, unmodifiedText: char, ...common },
    });
    events.push({ offset: offset + 1.5, event: { type: 'keyUp', ...common } });
    if (shifted) {
      events.push({
        offset: offset + 2,
        event: { type: 'keyUp', key: 'Shift', code: 'ShiftLeft', windowsVirtualKeyCode: 16 },
      });
    }
    offset += gap;
  }
  // The keys go to the browser at once, as the USB stack hands over keys that queued while the page
  // was busy (pacing them from Node would add Node's own stalls, which no scanner has). They are
  // stamped on the scanner's 5 ms grid ending a little after they can all have been delivered, so the
  // suffix — sent last, stamped by the browser on arrival — is never "late" after them, and latency
  // measured from the suffix is the page's own.
  const deliveryEstimate = events.length * 4;
  const startWall = Date.now() + deliveryEstimate - (events.at(-1)?.offset ?? 0);
  const sent = events.map(({ offset: at, event }) =>
    cdp.send('Input.dispatchKeyEvent', { ...event, timestamp: (startWall + at) / 1000 } as never),
  );
  await Promise.all(sent);
  if (options.suffix !== 'none') {
    const key = options.suffix ?? 'Enter';
    const code = key === 'Enter' ? 13 : 9;
    const down = key === 'Enter' ? { type: 'keyDown' as const, text: '\r' } : { type: 'rawKeyDown' as const };
    await cdp.send('Input.dispatchKeyEvent', {
      ...down,
      key,
      code: key,
      windowsVirtualKeyCode: code,
    } as never);
    await cdp.send('Input.dispatchKeyEvent', {
      type: 'keyUp',
      key,
      code: key,
      windowsVirtualKeyCode: code,
    } as never);
  }
}
