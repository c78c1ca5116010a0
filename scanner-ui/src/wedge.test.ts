/**
 * Keyboard-wedge detection from keystroke timings. The timings model what the page receives: a USB
 * HID scanner at 2–12 ms per key with a Shift keydown before each upper-case letter or shifted symbol
 * (the pattern of common handheld scanners in US-keyboard mode), and people at 80–300 ms per key.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tokenLikeCode } from '../test-support/codes';
import { DEFAULT_WEDGE_OPTIONS, judgeBurst, WedgeDetector, type WedgeStep } from './wedge';

type Key = [key: string, at: number, repeat?: boolean];

/** A token's shape: a fragment of it, or the text without its first keys, is not (token-shape.ts). */
const TOKEN = tokenLikeCode(21);

/** A deterministic jitter source (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SHIFTED = /[A-Z$%*+:]/;

/** What a scanner sends for `text`: Shift before shifted characters, 2–12 ms apart. */
function scannerKeys(text: string, start: number, seed = 1, gap: [number, number] = [2, 12]): Key[] {
  const next = random(seed);
  const keys: Key[] = [];
  let at = start;
  for (const char of text) {
    if (SHIFTED.test(char)) {
      keys.push(['Shift', at]);
      at += 1;
    }
    keys.push([char, at]);
    at += gap[0] + next() * (gap[1] - gap[0]);
  }
  return keys;
}

function humanKeys(text: string, start: number, seed = 2): Key[] {
  const next = random(seed);
  const keys: Key[] = [];
  let at = start;
  for (const char of text) {
    if (SHIFTED.test(char)) keys.push(['Shift', at - 40]);
    keys.push([char, at]);
    at += 80 + next() * 220;
  }
  return keys;
}

/** Runs keys through a detector the way the page does, flushing on idle between keys and at the end. */
function run(keys: Key[], detector = new WedgeDetector()): { codes: string[]; steps: WedgeStep[] } {
  const codes: string[] = [];
  const steps: WedgeStep[] = [];
  let lastAt = keys[0]?.[1] ?? 0;
  for (const [key, at, repeat] of keys) {
    // The idle timer fires idleEndMs after the previous key if nothing came in between.
    if (at - lastAt >= detector.idleEndMs) {
      const flushed = detector.flush(lastAt + detector.idleEndMs + 5);
      if (flushed.code) codes.push(flushed.code);
    }
    const step = detector.feed(key, at, repeat);
    steps.push(step);
    if (step.code) codes.push(step.code);
    lastAt = at;
  }
  const flushed = detector.flush(lastAt + 1_000);
  if (flushed.code) codes.push(flushed.code);
  return { codes, steps };
}

describe('WedgeDetector', () => {
  it('recognises a scanner burst without Enter once it goes quiet', () => {
    const { codes } = run(scannerKeys(TOKEN, 1_000));
    expect(codes).toEqual([TOKEN]);
  });

  it('recognises a burst with an Enter suffix at the Enter, and swallows the Enter', () => {
    const keys = scannerKeys(TOKEN, 1_000);
    const last = keys.at(-1)![1];
    keys.push(['Enter', last + 6]);
    const { codes, steps } = run(keys);
    expect(codes).toEqual([TOKEN]);
    expect(steps.at(-1)).toMatchObject({ code: TOKEN, endedBy: 'Enter', consume: true, lastKeyAt: last + 6 });
  });

  it('accepts a Tab suffix too', () => {
    const keys = scannerKeys(TOKEN, 0);
    keys.push(['Tab', keys.at(-1)![1] + 4]);
    expect(run(keys).steps.at(-1)).toMatchObject({ code: TOKEN, endedBy: 'Tab' });
  });

  it('does not take a person typing the same text as a scan', () => {
    const keys = humanKeys(TOKEN.slice(0, 40), 0);
    keys.push(['Enter', keys.at(-1)![1] + 200]);
    const { codes, steps } = run(keys);
    expect(codes).toEqual([]);
    expect(steps.every((step) => !step.consume)).toBe(true); // nothing a person types is swallowed
  });

  it('does not take a fast typist with key rollover (some gaps under 35 ms) as a scan', () => {
    const next = random(7);
    const keys: Key[] = [];
    let at = 0;
    for (const char of 'THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG') {
      keys.push([char, at]);
      at += next() < 0.3 ? 15 + next() * 20 : 60 + next() * 120; // 30 % rollover pairs
    }
    expect(run(keys).codes).toEqual([]);
  });

  it('a person typing, then a scanner burst right after: only the burst, without the typed keys', () => {
    const typed = humanKeys('ABC12', 0);
    const burstStart = typed.at(-1)![1] + 70; // the scanner fires 70 ms after the last typed key
    const keys = [...typed, ...scannerKeys(TOKEN, burstStart, 3)];
    keys.push(['Enter', keys.at(-1)![1] + 5]);
    expect(run(keys).codes).toEqual([TOKEN]);
  });

  it('a slow first key (delivered late) is dropped rather than glued to the burst', () => {
    const keys = scannerKeys(TOKEN, 200, 4);
    keys.unshift(['X', 80]);
    expect(run(keys).codes).toEqual([TOKEN]);
  });

  it('a slow start that belongs to the token is kept: the first keys of a fresh page arrive late', () => {
    const keys = scannerKeys(TOKEN.slice(2), 200, 17);
    keys.unshift([TOKEN[0]!, 100], [TOKEN[1]!, 150]);
    keys.push(['Enter', keys.at(-1)![1] + 5]);
    expect(run(keys).codes).toEqual([TOKEN]);
  });

  it('reads lower case (Caps Lock on) as upper case (shared/admission/scanned-text)', () => {
    const keys = scannerKeys(TOKEN.toLowerCase(), 0, 5);
    expect(run(keys).codes).toEqual([TOKEN]);
  });

  it('a code that begins with a space keeps it (space is a base45 digit)', () => {
    const code = ` ${TOKEN.slice(1)}`;
    const keys = scannerKeys(code, 0, 10);
    keys.push(['Enter', keys.at(-1)![1] + 4]);
    expect(run(keys).codes).toEqual([code]);
  });

  it('keeps spaces and shifted symbols of base45, ignoring Shift/CapsLock keydowns', () => {
    const text = 'AB $%*+-./:CD 12';
    const keys = scannerKeys(text, 0, 6);
    keys.splice(3, 0, ['CapsLock', keys[2]![1] + 1]);
    keys.push(['Enter', keys.at(-1)![1] + 5]);
    expect(run(keys).codes).toEqual([text]);
  });

  it('survives a rare hiccup inside a burst (a 60 ms stall) in one piece', () => {
    const keys = scannerKeys(TOKEN, 0, 8);
    for (let i = 90; i < keys.length; i++) keys[i]![1] += 60;
    keys.push(['Enter', keys.at(-1)![1] + 5]);
    expect(run(keys).codes).toEqual([TOKEN]);
  });

  it('an interrupted burst never yields the whole code; fragments are dropped when Enter is required', () => {
    const keys = scannerKeys(TOKEN, 0, 9);
    const cut = keys.findIndex(([key]) => key === TOKEN[60]);
    for (let i = cut; i < keys.length; i++) keys[i]![1] += 400;
    const { codes } = run(keys);
    expect(codes).not.toContain(TOKEN);
    expect(codes.join('')).toBe(TOKEN); // each fragment is sent, and the agent will answer INVALID
    const strict = run(keys, new WedgeDetector({ requireTerminator: true }));
    expect(strict.codes).toEqual([]);
  });

  it('a suffix that comes after the burst went quiet: silence ended it, the burst is not lost', () => {
    // The page's idle timer and a late Enter may reach the detector in either order; both orders
    // must give the same scan (the Enter is then not swallowed: it is not part of the burst).
    const keys = scannerKeys(TOKEN, 0, 11);
    const last = keys.at(-1)![1];
    const detector = new WedgeDetector();
    for (const [key, at] of keys) detector.feed(key, at);
    expect(detector.feed('Enter', last + DEFAULT_WEDGE_OPTIONS.idleEndMs + 20)).toEqual({
      consume: false,
      code: TOKEN,
      endedBy: 'gap',
      lastKeyAt: last,
    });
    const timerFirst = new WedgeDetector();
    for (const [key, at] of keys) timerFirst.feed(key, at);
    expect(timerFirst.flush(last + DEFAULT_WEDGE_OPTIONS.idleEndMs + 10)).toMatchObject({
      code: TOKEN,
      endedBy: 'idle',
    });
    expect(timerFirst.feed('Enter', last + DEFAULT_WEDGE_OPTIONS.idleEndMs + 20)).toEqual({ consume: false });
  });

  it('an arrow key or a held key after the burst went quiet does not lose the burst', () => {
    const keys = scannerKeys(TOKEN, 0, 12);
    const after = keys.at(-1)![1] + 200;
    for (const [next, repeat] of [
      ['ArrowDown', false],
      ['a', true],
    ] as const) {
      const detector = new WedgeDetector();
      for (const [key, at] of keys) detector.feed(key, at);
      expect(detector.feed(next, after, repeat)).toMatchObject({ code: TOKEN, endedBy: 'gap' });
      expect(detector.pending).toBe(false);
    }
  });

  it('the idle timer ends a burst only once it has been silent for longer than idleEndMs', () => {
    const keys = scannerKeys(TOKEN, 0, 13);
    const last = keys.at(-1)![1];
    const detector = new WedgeDetector();
    for (const [key, at] of keys) detector.feed(key, at);
    expect(detector.lastKeyAt).toBe(last);
    expect(detector.flush(last + DEFAULT_WEDGE_OPTIONS.idleEndMs)).toEqual({ consume: false });
    expect(detector.pending).toBe(true);
    expect(detector.flush(last + DEFAULT_WEDGE_OPTIONS.idleEndMs + 1)).toMatchObject({ code: TOKEN });
    expect(detector.pending).toBe(false);
    expect(detector.lastKeyAt).toBeUndefined();
  });

  it('ignores bursts shorter than the minimum length', () => {
    expect(run(scannerKeys('ABC1234', 0)).codes).toEqual([]);
    expect(run(scannerKeys('ABC12345', 0)).codes).toEqual(['ABC12345']);
  });

  it('ignores auto-repeat of a held key', () => {
    const keys: Key[] = [['a', 0]];
    for (let i = 1; i < 40; i++) keys.push(['a', 500 + i * 33, true]);
    expect(run(keys).codes).toEqual([]);
  });

  it('a non-character key (arrow, Backspace) breaks a burst', () => {
    const keys = scannerKeys('ABCDEF', 0);
    keys.push(['Backspace', keys.at(-1)![1] + 5]);
    keys.push(...scannerKeys('GHIJ', keys.at(-1)![1] + 5));
    expect(run(keys).codes).toEqual([]);
  });

  it('two scans in a row, 150 ms apart, both count', () => {
    const other = tokenLikeCode(22);
    const first = scannerKeys(TOKEN, 0);
    const second = scannerKeys(other, first.at(-1)![1] + 150);
    expect(run([...first, ...second]).codes).toEqual([TOKEN, other]);
  });

  it('a fragment that is not a whole token waits fragmentWaitMs for its continuation', () => {
    const keys = scannerKeys(TOKEN, 0, 14);
    const cut = keys.findIndex(([key]) => key === TOKEN[60]);
    for (let i = cut; i < keys.length; i++) keys[i]![1] += 250; // the page stalled 250 ms mid-burst
    expect(run(keys).codes).toEqual([TOKEN]);
    // Short codes of another kind 150 ms apart are one burst now: neither is a whole token.
    const first = scannerKeys('FIRST-CODE-1', 0);
    const second = scannerKeys('SECOND-CODE-2', first.at(-1)![1] + 150);
    expect(run([...first, ...second]).codes).toEqual(['FIRST-CODE-1SECOND-CODE-2']);
    // A detector told that every code is whole ends them at idleEndMs, as before.
    const anyCode = new WedgeDetector({ isWholeCode: () => true });
    expect(run([...first, ...second], anyCode).codes).toEqual(['FIRST-CODE-1', 'SECOND-CODE-2']);
  });

  it('once a code has ended with Enter, a pause never splits a burst: Enter decides', () => {
    const detector = new WedgeDetector();
    const keys = scannerKeys(TOKEN, 0, 15);
    keys.push(['Enter', keys.at(-1)![1] + 5]);
    const again = scannerKeys(TOKEN, keys.at(-1)![1] + 2_000, 16);
    // A 600 ms stall after 165 characters: a whole token's length, so no fragment wait holds it.
    const cut = again.findIndex(
      (_, index) => again.slice(0, index).filter(([key]) => key !== 'Shift').length === 165,
    );
    for (let i = cut; i < again.length; i++) again[i]![1] += 600;
    again.push(['Enter', again.at(-1)![1] + 5]);
    expect(run([...keys, ...again], detector).codes).toEqual([TOKEN, TOKEN]);
    // A scanner not yet known to send Enter: silence after a whole-looking code ends it.
    expect(run(again, new WedgeDetector()).codes).toEqual([TOKEN.slice(0, 165)]);
  });

  it('rejects contradictory options at construction', () => {
    expect(() => new WedgeDetector({ maxGapMs: 80, idleEndMs: 50 })).toThrow(RangeError);
    expect(() => new WedgeDetector({ minLength: 0 })).toThrow(RangeError);
  });

  it('property: any base45 code sent at scanner speed with Enter comes out exactly', () => {
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:'.split('');
    fc.assert(
      fc.property(
        fc
          .array(fc.constantFrom(...alphabet), { minLength: 8, maxLength: 200 })
          .map((chars) => chars.join('')),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 30 }),
        (code, seed, maxGap) => {
          const keys = scannerKeys(code, 10_000, seed, [1, maxGap]);
          keys.push(['Enter', keys.at(-1)![1] + 3]);
          expect(run(keys).codes).toEqual([code]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: a person typing (80–300 ms between keys) never produces a scan', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...'ABC123 $-.'.split('')), fc.integer({ min: 80, max: 300 })), {
          minLength: 1,
          maxLength: 60,
        }),
        (typed) => {
          let at = 0;
          const keys: Key[] = typed.map(([char, gap]) => {
            at += gap;
            return [char, at];
          });
          keys.push(['Enter', at + 100]);
          expect(run(keys).codes).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('judgeBurst drops a slow prefix of any length', () => {
    const chars = 'xyzABCDEFGHIJ'.split('');
    const times = [0, 150, 300, 420, 425, 430, 436, 441, 446, 452, 457, 463];
    times.push(468);
    expect(judgeBurst(chars, times, DEFAULT_WEDGE_OPTIONS)).toBe('ABCDEFGHIJ');
  });
});

describe('wedge settings from the URL', () => {
  it('reads sensible values and ignores the rest', async () => {
    const { wedgeOptionsFromQuery } = await import('./wedge');
    expect(
      wedgeOptionsFromQuery('?wedgeGapMs=50&wedgeIdleMs=120&wedgeMinLength=12&wedgeSuffix=required'),
    ).toEqual({
      maxGapMs: 50,
      idleEndMs: 120,
      minLength: 12,
      requireTerminator: true,
    });
    expect(wedgeOptionsFromQuery('?wedgeGapMs=abc&wedgeIdleMs=-5&wedgeMinLength=&wedgeSuffix=yes')).toEqual(
      {},
    );
  });

  it('falls back to the defaults when the settings contradict each other', async () => {
    const { createWedgeDetector } = await import('./wedge');
    expect(createWedgeDetector('?wedgeGapMs=100&wedgeIdleMs=50').idleEndMs).toBe(
      DEFAULT_WEDGE_OPTIONS.idleEndMs,
    );
    expect(createWedgeDetector('?wedgeGapMs=40&wedgeIdleMs=150').idleEndMs).toBe(150);
  });
});
