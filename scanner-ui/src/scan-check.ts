/**
 * Checking one scanned code, whatever read it (wedge, camera, manual entry, scan link): the text is
 * normalised the one way every door does it (shared/admission), the gate agent decides it in the
 * chosen direction, and the answer — or NOT CHECKED when the agent fails — goes to the verdict panel.
 * Only the newest scan reaches the screen: an older answer arriving late is dropped.
 */
import { normaliseScannedText } from '../../shared/admission/scanned-text';
import { type AgentClient, AgentError, type ScanDirection, type ScanResult } from './agent-client';
import { type DescribeOptions, describeFailure, describeScan, type VerdictText } from './verdict';
import type { ScanSource, ShownVerdict } from './verdict-view';

export interface ScanCheckOptions {
  client: Pick<AgentClient, 'scan'>;
  /** The direction chosen when the scan comes in. */
  direction: () => ScanDirection;
  show(verdict: ShownVerdict): void;
  /** This gate's id as the agent last reported it (null until then), for "at this gate". */
  ownGateId?: () => string | null;
  /** The venue's time zone (undefined: device time), for the clock times on the verdict. */
  timeZone?: () => string | undefined;
  /** This gate's passage as the agent last reported it (issue 18), for the zone named on a refused exit. */
  passage?: () => DescribeOptions['passage'];
  /** After a verdict was shown (the station refreshes the status bar soon after). */
  afterVerdict?: () => void;
  /** The agent's answer whose verdict was just shown (the Undo bar offers an accept). */
  onAnswer?: (result: ScanResult, direction: ScanDirection) => void;
}

export class ScanCheck {
  private lastSeq = 0;

  constructor(private readonly options: ScanCheckOptions) {}

  /** Decides `rawCode` and shows the verdict; text that normalises to nothing is ignored. */
  async check(rawCode: string, source: ScanSource, inputAt: number): Promise<void> {
    const code = normaliseScannedText(rawCode);
    if (code.length === 0) return;
    const seq = ++this.lastSeq;
    const direction = this.options.direction();
    let text: VerdictText;
    let reason: string;
    let answer: ScanResult | undefined;
    try {
      const result = await this.options.client.scan(code, direction);
      answer = result;
      // "x min ago" on the agent's own clock: alreadyUsed.at and scannedAt come from the same clock.
      const now = Number.isFinite(result.scannedAt) ? result.scannedAt : Date.now();
      const timeZone = this.options.timeZone?.();
      const passage = this.options.passage?.();
      text = describeScan(result, direction, {
        now,
        ownGateId: this.options.ownGateId?.() ?? null,
        ...(timeZone ? { timeZone } : {}),
        ...(passage ? { passage } : {}),
      });
      reason = result.reason;
    } catch (error) {
      const message =
        error instanceof AgentError && error.code === 'BAD_ANSWER'
          ? 'The gate agent gave a broken answer'
          : 'The gate agent did not answer';
      text = describeFailure(message);
      reason = 'AGENT_ERROR';
    }
    if (seq !== this.lastSeq) return; // a newer scan is already on its way to the screen
    this.options.show({ text, reason, seq, source, inputAt });
    if (answer) this.options.onAnswer?.(answer, direction);
    this.options.afterVerdict?.();
  }
}
