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
 * How long the page waits before it looks whether a burst without Enter/Tab has ended: after the last
 * key's timestamp AND after that key reached the page. The detector needs only its `silenceEndMs`
 * between timestamps (brief for a whole code); the wait after arrival outlasts the page being slow to
 * receive keys (measured above 80 ms on a loaded machine), since a key still on its way, stamped within
 * the burst, would otherwise be cut off. A fragment, or a burst from a scanner that has shown it ends
 * codes with Enter/Tab, makes the detector wait longer, and the timer with it.
 */
export const IDLE_WAIT_MS = 200;
/** Most the wait after arrival grows when keys reach the page late or in fits (twice the worst seen). */
const MAX_DELIVERY_ALLOWANCE_MS = 1_000;

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

/**
 * How the keys of the burst in hand reached the page: the worst lag behind their own timestamps, and
 * the worst stall — how much longer two keys took to arrive than their timestamps say they were apart.
 * A loaded machine delivers keys late and in fits; the page waits that much longer before it takes
 * silence for the end of a burst.
 */
class KeyDelivery {
  private lastStamp: number | undefined;
  lastArrival: number | undefined;
  private worst = 0;

  note(stamp: number, arrival: number): void {
    if (this.lastStamp !== undefined && this.lastArrival !== undefined)
      this.worst = Math.max(this.worst, arrival - this.lastArrival - (stamp - this.lastStamp));
    this.worst = Math.max(this.worst, arrival - stamp);
    this.lastStamp = stamp;
    this.lastArrival = arrival;
  }

  /** Extra wait after the last arrival. */
  get allowance(): number {
    return Math.min(MAX_DELIVERY_ALLOWANCE_MS, 2 * this.worst);
  }

  reset(): void {
    this.lastStamp = undefined;
    this.lastArrival = undefined;
    this.worst = 0;
  }
}

export class WedgeInput {
  private readonly flushSlot: TaskSlot;
  private readonly delivery = new KeyDelivery();
  private state: 'idle' | 'burst' = 'idle';

  constructor(private readonly options: WedgeInputOptions) {
    this.flushSlot = new TaskSlot(options.scheduler);
  }

  /** Feeds one keydown; `consume` says the page should swallow it (it continues a burst). */
  key(event: WedgeKey): { consume: boolean } {
    const step = this.options.detector.feed(event.key, event.timeStamp, event.repeat);
    this.report(step, event.timeStamp);
    if (step.endedBy !== undefined) this.delivery.reset(); // a new burst may have begun with this key
    // Any key, a Shift included, shows the keys are still flowing.
    if (this.options.detector.pending) this.delivery.note(event.timeStamp, this.options.scheduler.now());
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
      this.delivery.reset();
      this.flushSlot.disarm();
    } else {
      const wait = Math.max(IDLE_WAIT_MS, detector.silenceEndMs + 1);
      const arrival = this.delivery.lastArrival ?? this.options.scheduler.now();
      const due = Math.max(lastKeyAt + wait, arrival + wait + this.delivery.allowance);
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
