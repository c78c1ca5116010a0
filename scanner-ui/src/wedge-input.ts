/**
 * Keyboard-wedge input: feeds the page's keydowns to the detector (wedge.ts) and ends a burst that went
 * quiet. Both judge by ONE timeline — the keys' own timestamps and a `Scheduler` whose `now()` is on
 * the same clock — so a busy page cannot split a burst that its keys say is whole, and a test drives it
 * deterministically with a manual scheduler.
 *
 * `WedgeInput` is the logic (no DOM); `listenForWedgeKeys` attaches it to a document.
 */
import type { Scheduler } from './scheduler';
import { TaskSlot } from './scheduler';
import type { WedgeDetector, WedgeStep } from './wedge';

/**
 * How long after a burst's last key, on the keys' timeline, it is taken as complete when no Enter/Tab
 * came. The detector needs only idleEndMs of silence; this wait also outlasts the page being slow to
 * receive keys (measured above 80 ms on a loaded machine), since a key still on its way but stamped
 * earlier would otherwise be cut off. Once the scanner has shown it ends codes with Enter/Tab, silence
 * is only a fallback and may wait much longer.
 */
export const IDLE_WAIT_MS = 200;
export const SUFFIX_WAIT_MS = 1_000;
/** Most the wait grows when keys reach the page late (three times the worst lag of the burst). */
const MAX_LAG_ALLOWANCE_MS = 1_000;

/** The parts of a keydown the wedge reads. */
export interface WedgeKey {
  key: string;
  /** `KeyboardEvent.timeStamp`: on the scheduler's timeline. */
  timeStamp: number;
  repeat: boolean;
}

/** A burst the detector took for a scan. */
export interface WedgeScan {
  code: string;
  /** Timestamp of the key that completed the scan (start of scan-to-paint). */
  lastKeyAt: number;
  endedBy: NonNullable<WedgeStep['endedBy']>;
}

/** The idle timer ended a burst at `at` (`code` null: the burst was not a scan). */
export interface WedgeFlush {
  at: number;
  code: string | null;
}

export interface WedgeInputOptions {
  detector: WedgeDetector;
  scheduler: Scheduler;
  onScan(scan: WedgeScan): void;
  /** Whenever keys start or stop being buffered: 'burst' while a burst is in hand. */
  onState?(state: 'idle' | 'burst'): void;
  /** Whenever the idle timer ended a burst (the page reports it so a test need not guess when). */
  onFlush?(flush: WedgeFlush): void;
}

export class WedgeInput {
  private readonly flushSlot: TaskSlot;
  private scannerSendsSuffix = false;
  private burstLag = 0;
  private state: 'idle' | 'burst' = 'idle';

  constructor(private readonly options: WedgeInputOptions) {
    this.flushSlot = new TaskSlot(options.scheduler);
  }

  /** Feeds one keydown; `consume` says the page should swallow it (it continues a burst). */
  key(event: WedgeKey): { consume: boolean } {
    const step = this.options.detector.feed(event.key, event.timeStamp, event.repeat);
    if (step.endedBy === 'Enter' || step.endedBy === 'Tab') this.scannerSendsSuffix = true;
    this.report(step, event.timeStamp);
    // How far behind the keys' own timestamps the page is running: a loaded machine delivers keys
    // late, and waiting that much longer keeps a late key from being taken for the end of the burst.
    if (this.options.detector.pending)
      this.burstLag = Math.max(this.burstLag, this.options.scheduler.now() - event.timeStamp);
    this.afterChange();
    return { consume: step.consume };
  }

  /**
   * Ends the burst in hand without more keys: a shortcut, Escape, a key typed into a field, the window
   * losing focus. A burst that had already gone quiet by `at` still counts, as if its timer had fired.
   */
  interrupt(at: number = this.options.scheduler.now()): void {
    this.report(this.options.detector.flush(at, 'gap'), at);
    this.options.detector.reset();
    this.afterChange();
  }

  private report(step: WedgeStep, at: number): void {
    if (step.code !== undefined && step.endedBy !== undefined)
      this.options.onScan({ code: step.code, lastKeyAt: step.lastKeyAt ?? at, endedBy: step.endedBy });
  }

  /** Re-arms (or drops) the idle timer and reports a change of state. */
  private afterChange(): void {
    const { detector } = this.options;
    const lastKeyAt = detector.lastKeyAt;
    if (lastKeyAt === undefined) {
      this.burstLag = 0;
      this.flushSlot.disarm();
    } else {
      const wait = Math.max(this.scannerSendsSuffix ? SUFFIX_WAIT_MS : IDLE_WAIT_MS, detector.idleEndMs + 1);
      const due = lastKeyAt + wait + Math.min(MAX_LAG_ALLOWANCE_MS, 3 * Math.max(0, this.burstLag));
      this.flushSlot.armAt(due, () => this.flush());
    }
    const state = lastKeyAt === undefined ? 'idle' : 'burst';
    if (state !== this.state) {
      this.state = state;
      this.options.onState?.(state);
    }
  }

  private flush(): void {
    const at = this.options.scheduler.now();
    const step = this.options.detector.flush(at);
    if (!this.options.detector.pending) this.options.onFlush?.({ at, code: step.code ?? null });
    this.report(step, at);
    this.afterChange();
  }
}

/** A field where the keyboard is meant for typing: the wedge stays out of it. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (typeof HTMLElement === 'undefined' || !(target instanceof HTMLElement)) return false;
  if (
    target.isContentEditable ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement
  )
    return true;
  if (target instanceof HTMLInputElement) {
    return !['radio', 'checkbox', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes(
      target.type,
    );
  }
  return false;
}

export interface WedgeKeyHandlers {
  /** Every keydown, before the wedge looks at it (the station unlocks audio here). */
  onKeyDown?(): void;
  /** Escape: the steward dismisses the verdict. */
  onEscape?(): void;
}

/**
 * Reads keys on `document` in the capture phase (no text box needs focus) and leaves alone those typed
 * into a field, shortcuts, and input-method composition.
 */
export function listenForWedgeKeys(
  document: Document,
  window: Window,
  input: WedgeInput,
  handlers: WedgeKeyHandlers = {},
): void {
  document.addEventListener(
    'keydown',
    (event) => {
      handlers.onKeyDown?.();
      if (event.isComposing || isTypingTarget(event.target)) return input.interrupt(event.timeStamp);
      // A shortcut, not a scanner (AltGr arrives as Ctrl+Alt and may be part of a code).
      if (event.metaKey || (event.ctrlKey && !event.altKey)) return input.interrupt(event.timeStamp);
      if (event.key === 'Escape') {
        input.interrupt(event.timeStamp);
        handlers.onEscape?.();
        return;
      }
      if (input.key(event).consume) {
        event.preventDefault();
        event.stopPropagation();
      }
    },
    { capture: true },
  );
  window.addEventListener('blur', () => input.interrupt());
}
