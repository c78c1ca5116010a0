/**
 * The Entry / Exit switch: which way the people scanned are going, with the hint under "Scan a ticket"
 * saying it in words.
 */
import type { ScanDirection } from './agent-client';

export interface DirectionElements {
  /** The radio buttons named "direction" (values "in" and "out"). */
  choices: readonly HTMLInputElement[];
  hint: HTMLElement;
}

const HINTS: Record<ScanDirection, string> = {
  in: 'Entry: admitting people',
  out: 'EXIT: recording people leaving',
};

export class DirectionControl {
  constructor(private readonly elements: DirectionElements) {
    for (const choice of elements.choices) choice.addEventListener('change', () => this.showHint());
  }

  /** The direction chosen now. */
  current(): ScanDirection {
    return this.elements.choices.find((choice) => choice.checked)?.value === 'out' ? 'out' : 'in';
  }

  private showHint(): void {
    const direction = this.current();
    this.elements.hint.dataset['direction'] = direction;
    this.elements.hint.textContent = HINTS[direction];
  }
}
