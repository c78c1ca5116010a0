/**
 * Keyboard-wedge scanner detection. A hand scanner plugged in as a USB keyboard "types" the code it
 * read, much faster and more evenly than a person can: a burst of characters a few milliseconds apart,
 * usually followed by Enter (or Tab). This module tells such a burst from a person typing by timing
 * alone, so the page needs no focused text box.
 *
 * Pure: it is fed (key, timestamp) pairs — `KeyboardEvent.key` and `KeyboardEvent.timeStamp`, which
 * Chromium stamps when the OS delivered the key, so a busy main thread does not stretch the gaps — and
 * a clock reading on the same timeline when the idle timer fires. No DOM, no timers in here: the
 * listener and its timer are `wedge-input.ts`.
 */
import { normaliseScannedText } from '../../shared/admission/scanned-text';
import { looksLikeWholeToken } from './token-shape';

export interface WedgeOptions {
  /** Fewest characters a burst must have to count as a scan (ticket tokens are 162–174). */
  minLength: number;
  /** Largest gap between two keys of a burst. Scanners: 1–20 ms; people: 80–300 ms. */
  maxGapMs: number;
  /**
   * Silence that ends a burst without Enter/Tab. A gap between maxGapMs and this is a hiccup (a busy
   * USB bus or event loop): tolerated inside a burst when rare, see maxHiccupShare.
   */
  idleEndMs: number;
  /** Share of a burst's gaps that may be hiccups (at least one is always allowed). */
  maxHiccupShare: number;
  /** When true, only bursts ended by Enter/Tab count (for scanners configured with a suffix). */
  requireTerminator: boolean;
  /** Longest burst kept; anything longer is not a ticket and is dropped (a stuck key, a paste storm). */
  maxLength: number;
  /**
   * Silence that ends a burst whose text is not yet a whole code (see `isWholeCode`): a busy page gets
   * keys in fits, and a fragment cut off at idleEndMs would be sent as a code of its own (INVALID), and
   * its rest as another. The fragment waits this long for its continuation instead.
   */
  fragmentWaitMs: number;
  /**
   * Silence that ends a burst once Enter/Tab is known to end this scanner's codes (it ended one, or
   * requireTerminator): Enter is then the authority, and a pause inside a burst never splits it.
   */
  suffixWaitMs: number;
  /** Whether the burst's text (normalised) is a whole code: by default, the shape of a ticket token. */
  isWholeCode: (text: string) => boolean;
}

export const DEFAULT_WEDGE_OPTIONS: Readonly<WedgeOptions> = Object.freeze({
  minLength: 8,
  maxGapMs: 35,
  idleEndMs: 75,
  maxHiccupShare: 0.1,
  requireTerminator: false,
  maxLength: 2048,
  fragmentWaitMs: 300,
  suffixWaitMs: 1_000,
  isWholeCode: looksLikeWholeToken,
});

/** What one key did. */
export interface WedgeStep {
  /**
   * The key continues a fast burst: the page should swallow it (preventDefault) so a focused button
   * does not fire on a scanned space or Enter. The first key of a burst is never swallowed.
   */
  consume: boolean;
  /** A complete scanned code, when this key ended a burst (or a new burst showed the last one ended). */
  code?: string;
  /**
   * What ended the burst: 'Enter'/'Tab', 'idle' (the idle timer found it silent), or 'gap' (the next
   * key came after the silence).
   */
  endedBy?: 'Enter' | 'Tab' | 'idle' | 'gap';
  /** Timestamp of the last key of the completed burst (start of scan-to-paint latency). */
  lastKeyAt?: number;
}

const NONE: WedgeStep = Object.freeze({ consume: false });

/** Keys that carry no character and must neither end nor extend a burst (scanners send Shift). */
function isModifier(key: string): boolean {
  return (
    key === 'Shift' ||
    key === 'CapsLock' ||
    key === 'Control' ||
    key === 'Alt' ||
    key === 'AltGraph' ||
    key === 'Meta' ||
    key === 'NumLock' ||
    key === 'Dead' ||
    key === 'Unidentified'
  );
}

/**
 * Judges a finished run of keys: drops a slow start (a person's key just before the scanner fired,
 * or a first key the system delivered late), then requires enough characters and only rare hiccups.
 */
export function judgeBurst(
  chars: readonly string[],
  times: readonly number[],
  options: WedgeOptions,
): string | null {
  // A slow start: the burst begins at the first key followed by a run of scanner-fast gaps; anything
  // before it was typed by a person or delivered late.
  const run = 3;
  let first = 0;
  while (first < times.length - 1) {
    let fastRun = 0;
    for (let i = first + 1; i < times.length && i <= first + run; i++) {
      if (times[i]! - times[i - 1]! > options.maxGapMs) break;
      fastRun++;
    }
    if (fastRun >= Math.min(run, times.length - 1 - first)) break;
    first++;
  }
  // …unless the keys from an earlier one on are a whole code and the rest is not: the first keys of a
  // page that has just loaded reach it late, and dropping them would turn a ticket into a fragment.
  if (!options.isWholeCode(normaliseScannedText(chars.slice(first).join('')))) {
    for (let earlier = first - 1; earlier >= 0; earlier--) {
      if (options.isWholeCode(normaliseScannedText(chars.slice(earlier).join('')))) {
        first = earlier;
        break;
      }
    }
  }
  const length = chars.length - first;
  if (length < options.minLength) return null;
  let hiccups = 0;
  for (let i = first + 1; i < times.length; i++) if (times[i]! - times[i - 1]! > options.maxGapMs) hiccups++;
  const allowed = Math.max(1, Math.floor((length - 1) * options.maxHiccupShare));
  if (hiccups > allowed) return null;
  // Caps Lock inverts the case a scanner types: shared/admission reads such a code as upper case.
  return normaliseScannedText(chars.slice(first).join(''));
}

export class WedgeDetector {
  private readonly options: WedgeOptions;
  private chars: string[] = [];
  private times: number[] = [];
  private fastRun = 0;
  /** A burst ended with Enter/Tab has been seen: this scanner sends a suffix. */
  private suffixSeen = false;

  constructor(options: Partial<WedgeOptions> = {}) {
    const merged = { ...DEFAULT_WEDGE_OPTIONS, ...options };
    // A station that sets a long idleEndMs (?wedgeIdleMs=) never waits less for a fragment or a suffix.
    merged.fragmentWaitMs = Math.max(merged.fragmentWaitMs, merged.idleEndMs);
    merged.suffixWaitMs = Math.max(merged.suffixWaitMs, merged.idleEndMs);
    this.options = merged;
    const { minLength, maxGapMs, idleEndMs, maxLength, maxHiccupShare } = merged;
    if (
      !(
        minLength >= 2 &&
        maxGapMs > 0 &&
        idleEndMs > maxGapMs &&
        maxLength >= minLength &&
        maxHiccupShare >= 0
      )
    ) {
      throw new RangeError(
        'WedgeDetector: need minLength ≥ 2, 0 < maxGapMs < idleEndMs, maxLength ≥ minLength',
      );
    }
  }

  get idleEndMs(): number {
    return this.options.idleEndMs;
  }

  /**
   * The silence that ends the burst in hand: long once the scanner is known to end codes with Enter/Tab
   * (Enter decides), brief for a whole code, longer for a fragment that may have more coming.
   */
  get silenceEndMs(): number {
    const { options } = this;
    if (this.suffixSeen || options.requireTerminator) return options.suffixWaitMs;
    return options.isWholeCode(normaliseScannedText(this.chars.join('')))
      ? options.idleEndMs
      : options.fragmentWaitMs;
  }

  /** True while characters are buffered (the caller should arm the idle timer). */
  get pending(): boolean {
    return this.chars.length > 0;
  }

  /** Timestamp of the last buffered key (undefined when nothing is buffered). */
  get lastKeyAt(): number | undefined {
    return this.times.at(-1);
  }

  /** Forgets the current burst (focus moved to a text field, the window lost focus, …). */
  reset(): void {
    this.chars = [];
    this.times = [];
    this.fastRun = 0;
  }

  /**
   * Feeds one keydown. `repeat` (auto-repeat of a held key) is never part of a scan: a held key
   * repeats every ~33 ms, which would otherwise look like a burst.
   */
  feed(key: string, at: number, repeat = false): WedgeStep {
    if (isModifier(key)) return NONE;
    // Whatever this key is, if the burst in hand had gone quiet before it, silence ended that burst —
    // exactly as the idle timer would have had it fired first, so the outcome never depends on which of
    // the two the page happened to see first.
    const ended = this.flush(at, 'gap');
    if (repeat) {
      this.reset();
      return ended;
    }
    const last = this.times.at(-1);
    const gap = last === undefined ? Number.POSITIVE_INFINITY : at - last;
    const fast = gap <= this.options.maxGapMs;
    // Swallow keys of a burst in progress so a focused button does not fire on a scanned space or Enter.
    const consume = fast || (last !== undefined && this.fastRun >= 4);

    if (key === 'Enter' || key === 'Tab') {
      const code = judgeBurst(this.chars, this.times, this.options);
      this.reset();
      if (code === null) return ended;
      this.suffixSeen = true;
      return { consume: true, code, endedBy: key, lastKeyAt: at };
    }

    if (key.length !== 1) {
      // Arrows, Escape, F-keys, Backspace: a person is at the keyboard.
      this.reset();
      return ended;
    }

    this.chars.push(key);
    this.times.push(at);
    this.fastRun = fast ? this.fastRun + 1 : 0;
    if (this.chars.length > this.options.maxLength) {
      this.reset();
      return ended;
    }
    if (ended.code !== undefined) return ended;
    return consume ? { consume: true } : NONE;
  }

  /**
   * Ends the burst in hand if it has been silent for more than `silenceEndMs` at `now` (a reading on
   * the keys' timeline): called by the idle timer, and by `feed` for every key.
   */
  flush(now: number, endedBy: 'idle' | 'gap' = 'idle'): WedgeStep {
    const last = this.times.at(-1);
    if (last === undefined || now - last <= this.silenceEndMs) return NONE;
    const step = this.finish(endedBy);
    this.reset();
    return step ?? NONE;
  }

  private finish(endedBy: 'idle' | 'gap'): WedgeStep | undefined {
    if (this.options.requireTerminator) return undefined;
    const code = judgeBurst(this.chars, this.times, this.options);
    return code === null ? undefined : { consume: false, code, endedBy, lastKeyAt: this.times.at(-1)! };
  }
}

/**
 * Station settings from the page URL, for scanners that need them: `wedgeGapMs`, `wedgeIdleMs`,
 * `wedgeMinLength` (numbers) and `wedgeSuffix=required`. Values that are not sensible numbers are
 * ignored; the detector's constructor rejects contradictory ones.
 */
export function wedgeOptionsFromQuery(search: string): Partial<WedgeOptions> {
  const params = new URLSearchParams(search);
  const options: Partial<WedgeOptions> = {};
  const number = (name: string, min: number, max: number): number | undefined => {
    const raw = params.get(name);
    if (raw === null || raw.trim() === '') return undefined;
    const value = Number(raw);
    return Number.isFinite(value) && value >= min && value <= max ? value : undefined;
  };
  const gap = number('wedgeGapMs', 1, 200);
  const idle = number('wedgeIdleMs', 2, 2_000);
  const minLength = number('wedgeMinLength', 2, 512);
  if (gap !== undefined) options.maxGapMs = gap;
  if (idle !== undefined) options.idleEndMs = idle;
  if (minLength !== undefined) options.minLength = Math.round(minLength);
  if (params.get('wedgeSuffix') === 'required') options.requireTerminator = true;
  return options;
}

/** A detector with the URL's settings, or the defaults when they contradict each other. */
export function createWedgeDetector(search: string): WedgeDetector {
  try {
    return new WedgeDetector(wedgeOptionsFromQuery(search));
  } catch {
    return new WedgeDetector();
  }
}
