/**
 * Camera de-duplication: a ticket held in front of the camera is seen in every frame, but must be
 * checked once. A code is passed on when it has not been seen for `quietMs`; every sighting restarts
 * its quiet period, so a ticket left under the camera is not re-checked (and turned into ALREADY USED)
 * every few seconds. Keyboard-wedge scans do not go through this: a steward pulling the trigger again
 * means it.
 */
export class RecentCodes {
  private readonly lastSeen = new Map<string, number>();

  constructor(private readonly quietMs = 3_000) {}

  /** True when `code` should be checked now; records the sighting either way. */
  admit(code: string, now: number): boolean {
    const seen = this.lastSeen.get(code);
    this.lastSeen.set(code, now);
    if (this.lastSeen.size > 256) this.prune(now);
    return seen === undefined || now - seen >= this.quietMs;
  }

  private prune(now: number): void {
    for (const [code, at] of this.lastSeen) if (now - at >= this.quietMs) this.lastSeen.delete(code);
  }
}
