/**
 * Manual entry: a steward types a code (a damaged ticket, a code read out on the phone) and presses
 * Check. The keyboard then goes back to the hand scanner. The wedge leaves keys typed here alone
 * (wedge-input.ts, `isTypingTarget`).
 */

export interface ManualEntryElements {
  form: HTMLFormElement;
  code: HTMLInputElement;
  /** "Code from a link: press Check" — shown while a `#scan=` link's code waits (scan-link.ts). */
  hint: HTMLElement;
}

/** Calls `onCode` with what was typed (as typed: the scan check normalises it), at the submit event's time. */
export function listenForManualEntry(
  elements: ManualEntryElements,
  onCode: (code: string, enteredAt: number) => void,
): void {
  elements.form.addEventListener('submit', (event) => {
    event.preventDefault();
    const code = elements.code.value;
    if (code.length === 0) return;
    elements.code.value = '';
    elements.code.blur(); // hand the keyboard back to the hand scanner
    onCode(code, event.timeStamp);
  });
}
