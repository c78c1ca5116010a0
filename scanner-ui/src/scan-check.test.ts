/**
 * One scan check for every input: the text is normalised the shared way before the agent sees it,
 * only the newest scan reaches the screen, and an agent that fails gives NOT CHECKED, never a verdict.
 */
import { describe, expect, it } from 'vitest';
import { AgentError, type ScanResult } from './agent-client';
import { ScanCheck } from './scan-check';
import type { ShownVerdict } from './verdict-view';

const ACCEPT: ScanResult = { decision: 'accept', reason: 'OK', scannedAt: 1_700_000_000_000, latencyMs: 0.2 };

function checker(scan: (code: string) => Promise<ScanResult>) {
  const asked: { code: string; direction: string }[] = [];
  const shown: ShownVerdict[] = [];
  let direction: 'in' | 'out' = 'in';
  const check = new ScanCheck({
    client: {
      scan(code, scanDirection) {
        asked.push({ code, direction: scanDirection });
        return scan(code);
      },
    },
    direction: () => direction,
    show: (verdict) => shown.push(verdict),
  });
  return { check, asked, shown, turn: (to: 'in' | 'out') => (direction = to) };
}

describe('ScanCheck', () => {
  it('asks the agent with the normalised text and the direction chosen, and shows the answer', async () => {
    const { check, asked, shown, turn } = checker(async () => ACCEPT);
    turn('out');
    await check.check(' w5ab$cd\r\n', 'camera', 12.5);
    expect(asked).toEqual([{ code: ' W5AB$CD', direction: 'out' }]);
    expect(shown).toEqual([
      expect.objectContaining({ reason: 'OK', seq: 1, source: 'camera', inputAt: 12.5 }),
    ]);
    expect(shown[0]!.text.headline).toBe('Exit recorded');
  });

  it('tells the words this gate’s id as the status bar last had it, for "at this gate"', async () => {
    const used: ScanResult = {
      decision: 'reject',
      reason: 'ALREADY_USED',
      alreadyUsed: { at: ACCEPT.scannedAt - 60_000, gateId: 'gate-north', gateName: 'North Gate' },
      scannedAt: ACCEPT.scannedAt,
      latencyMs: 0.2,
    };
    let ownGateId: string | null = null;
    const shown: ShownVerdict[] = [];
    const check = new ScanCheck({
      client: { scan: async () => used },
      direction: () => 'in',
      ownGateId: () => ownGateId,
      show: (verdict) => shown.push(verdict),
    });
    await check.check('USED-CODE-1', 'wedge', 1);
    ownGateId = 'gate-north';
    await check.check('USED-CODE-1', 'wedge', 2);
    expect(shown.map((verdict) => verdict.text.detail)).toEqual([
      expect.stringMatching(/^1 min ago at North Gate \(\d\d:\d\d\)$/),
      expect.stringMatching(/^1 min ago at this gate \(\d\d:\d\d\)$/),
    ]);
  });

  it('ignores text that normalises to nothing', async () => {
    const { check, asked, shown } = checker(async () => ACCEPT);
    await check.check('\r\n', 'manual', 0);
    await check.check('', 'manual', 0);
    expect(asked).toEqual([]);
    expect(shown).toEqual([]);
  });

  it('a slow answer to an older scan never replaces the newer one', async () => {
    const answers: ((result: ScanResult) => void)[] = [];
    const { check, shown } = checker(() => new Promise((resolve) => answers.push(resolve)));
    const first = check.check('FIRST-CODE-1', 'wedge', 1);
    const second = check.check('SECOND-CODE-2', 'wedge', 2);
    answers[1]!({ ...ACCEPT });
    await second;
    answers[0]!({ ...ACCEPT, decision: 'reject', reason: 'INVALID' });
    await first;
    expect(shown.map((verdict) => verdict.seq)).toEqual([2]);
  });

  it('an agent that fails or answers nonsense is NOT CHECKED, saying which', async () => {
    const unreachable = checker(() => Promise.reject(new AgentError('UNREACHABLE', 'down')));
    await unreachable.check.check('W5AB', 'wedge', 0);
    expect(unreachable.shown[0]).toMatchObject({ reason: 'AGENT_ERROR', text: { title: 'NOT CHECKED' } });
    expect(unreachable.shown[0]!.text.detail).toMatch(/did not answer/);
    const broken = checker(() => Promise.reject(new AgentError('BAD_ANSWER', 'nonsense')));
    await broken.check.check('W5AB', 'wedge', 0);
    expect(broken.shown[0]!.text.detail).toMatch(/broken answer/);
  });
});
