/**
 * The verdict panel: paints ACCEPT / REJECT / NOT CHECKED full-screen with its sound, clears it after
 * 2.5 s (or at once on a click or Escape), and records for every scan a `scan-to-paint` performance
 * measure — input event → first frame painted with the verdict — which the benchmark and the latency
 * tests read (`data-painted` says which scan that frame showed).
 */
import { type Scheduler, TaskSlot } from './scheduler';
import type { VerdictKind, VerdictText } from './verdict';

/** How long a verdict stays on screen. */
export const VERDICT_MS = 2_500;
/** Measures kept before the oldest are dropped (a station runs for days). */
const MAX_MEASURES = 1_000;

export type ScanSource = 'wedge' | 'camera' | 'manual';

export interface VerdictElements {
  panel: HTMLElement;
  title: HTMLElement;
  headline: HTMLElement;
  detail: HTMLElement;
  /** "Name: …" on a line of its own, ellipsised when long; the full name is its title. */
  holder: HTMLElement;
  ticket: HTMLElement;
  note: HTMLElement;
}

/** One verdict to show: the words, the reason code, and where the scan came from. */
export interface ShownVerdict {
  text: VerdictText;
  reason: string;
  /** The scan's number on this page (`data-seq`). */
  seq: number;
  source: ScanSource;
  /** The input event's timestamp: where scan-to-paint starts. */
  inputAt: number;
}

export interface VerdictViewOptions {
  scheduler: Scheduler;
  sounds: { play(kind: VerdictKind): void };
}

/** Runs `task` once the next frame has been painted (rAF runs before paint; a task queued from it, after). */
function afterNextPaint(task: () => void): void {
  requestAnimationFrame(() => setTimeout(task, 0));
}

function recordScanToPaint(seq: number, source: ScanSource, inputAt: number): void {
  const end = performance.now();
  try {
    // An input stamped later than it was handled (a clock quirk) counts from when it was handled.
    performance.measure('scan-to-paint', { start: Math.min(inputAt, end), end, detail: { seq, source } });
    if (performance.getEntriesByName('scan-to-paint').length > MAX_MEASURES)
      performance.clearMeasures('scan-to-paint');
  } catch {
    // Measuring must never get in the way of the verdict.
  }
}

export class VerdictView {
  private readonly clearSlot: TaskSlot;

  constructor(
    private readonly elements: VerdictElements,
    private readonly options: VerdictViewOptions,
  ) {
    this.clearSlot = new TaskSlot(options.scheduler);
    elements.panel.addEventListener('click', () => this.clear());
  }

  /** Paints `verdict`, plays its sound, and measures until the frame showing it is painted. */
  show(verdict: ShownVerdict): void {
    const { elements } = this;
    const { text } = verdict;
    elements.title.textContent = text.title;
    elements.headline.textContent = text.headline;
    elements.detail.textContent = text.detail ?? '';
    elements.holder.textContent = text.holderLine ?? '';
    elements.holder.title = text.holderName ?? '';
    elements.ticket.textContent = text.ticketLine ?? '';
    elements.note.textContent = text.note ?? '';
    elements.panel.dataset['kind'] = text.kind;
    elements.panel.dataset['reason'] = verdict.reason;
    elements.panel.dataset['seq'] = String(verdict.seq);
    this.clearSlot.armAfter(VERDICT_MS, () => this.clear());
    afterNextPaint(() => {
      recordScanToPaint(verdict.seq, verdict.source, verdict.inputAt);
      elements.panel.dataset['painted'] = String(verdict.seq);
    });
    this.options.sounds.play(text.kind);
  }

  /** Back to "Scan a ticket". */
  clear(): void {
    this.clearSlot.disarm();
    const { elements } = this;
    elements.panel.dataset['kind'] = 'none';
    const slots = [elements.title, elements.headline, elements.holder, elements.detail, elements.ticket];
    for (const slot of [...slots, elements.note]) slot.textContent = '';
    elements.holder.title = '';
  }
}
