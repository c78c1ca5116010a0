/**
 * The Entry / Exit switch: which way the people scanned are going, with the hint under "Scan a ticket"
 * saying it in words and `<html data-direction>` marking the whole screen in Exit mode. The steward's
 * choice is remembered (local storage) so a reload — or a restarted kiosk — keeps scanning the way the
 * door was set, instead of quietly turning an exit door back into an entrance.
 */
import type { ScanDirection } from './agent-client';

export interface DirectionElements {
  /** The radio buttons named "direction" (values "in" and "out"). */
  choices: readonly HTMLInputElement[];
  hint: HTMLElement;
}

/** Where the choice is kept (per origin: the station's own page). */
export const DIRECTION_STORAGE_KEY = 'scanner.direction';

const HINTS: Record<ScanDirection, string> = {
  in: 'Entry: admitting people',
  out: 'EXIT: recording people leaving',
};

export class DirectionControl {
  constructor(
    private readonly elements: DirectionElements,
    private readonly storage?: Pick<Storage, 'getItem' | 'setItem'>,
  ) {
    const saved = this.read();
    if (saved) for (const choice of elements.choices) choice.checked = choice.value === saved;
    for (const choice of elements.choices)
      choice.addEventListener('change', () => {
        this.write(this.current());
        this.show();
      });
    this.show();
  }

  /** The direction chosen now. */
  current(): ScanDirection {
    return this.elements.choices.find((choice) => choice.checked)?.value === 'out' ? 'out' : 'in';
  }

  private show(): void {
    const direction = this.current();
    this.elements.hint.dataset['direction'] = direction;
    this.elements.hint.textContent = HINTS[direction];
    const root = this.elements.hint.ownerDocument.documentElement;
    root.dataset['direction'] = direction;
  }

  /** The remembered direction; undefined when none is, or storage is refused (privacy settings). */
  private read(): ScanDirection | undefined {
    try {
      const value = this.storage?.getItem(DIRECTION_STORAGE_KEY);
      return value === 'in' || value === 'out' ? value : undefined;
    } catch {
      return undefined;
    }
  }

  private write(direction: ScanDirection): void {
    try {
      this.storage?.setItem(DIRECTION_STORAGE_KEY, direction);
    } catch {
      // Storage full or refused: the switch still works for this page's life.
    }
  }
}
