/**
 * The wedge input's idle timer on the keys' own timeline, driven by a manual scheduler: when a burst
 * without Enter is taken, that a busy page (keys arriving late) or keys stamped ahead of the page's
 * clock never split a burst, and what an interruption does. No wall clock anywhere, so a loaded
 * machine cannot change an outcome.
 */
import { describe, expect, it } from 'vitest';
import { tokenLikeCode } from '../test-support/codes';
import { ManualScheduler } from '../test-support/manual-scheduler';
import { DEFAULT_WEDGE_OPTIONS, WedgeDetector } from './wedge';
import { IDLE_WAIT_MS, type WedgeFlush, WedgeInput, type WedgeScan } from './wedge-input';

/** A whole token's shape (a fragment of one waits longer: see the fragment tests below). */
const CODE = tokenLikeCode(4);
/** The timer's wait once the scanner has ended a code with Enter (Enter is then the authority). */
const SUFFIX_WAIT_MS = DEFAULT_WEDGE_OPTIONS.suffixWaitMs + 1;
/** The timer's wait for a burst that is not yet a whole token. */
const FRAGMENT_WAIT_MS = DEFAULT_WEDGE_OPTIONS.fragmentWaitMs + 1;

function station(start = 1_000) {
  const scheduler = new ManualScheduler(start);
  const scans: WedgeScan[] = [];
  const flushes: WedgeFlush[] = [];
  const states: string[] = [];
  const input = new WedgeInput({
    detector: new WedgeDetector(),
    scheduler,
    onScan: (scan) => scans.push(scan),
    onFlush: (flush) => flushes.push(flush),
    onState: (state) => states.push(state),
  });
  /** Delivers `text` as keys stamped `gapMs` apart from `stampAt`, each handled `lagMs` after its stamp. */
  const type = (text: string, stampAt: number, options: { gapMs?: number; lagMs?: number } = {}) => {
    const gap = options.gapMs ?? 5;
    let at = stampAt;
    for (const key of text) {
      scheduler.advanceTo(at + (options.lagMs ?? 0));
      input.key({ key, timeStamp: at, repeat: false });
      at += gap;
    }
    return at - gap; // the last key's stamp
  };
  return { scheduler, scans, flushes, states, input, type };
}

describe('WedgeInput', () => {
  it('takes a burst without Enter once it has been quiet for the idle wait, on the keys’ timeline', () => {
    const { scheduler, scans, flushes, states, type } = station();
    const last = type(CODE, 1_000);
    expect(states).toEqual(['burst']);
    expect(scheduler.waiting).toEqual([last + IDLE_WAIT_MS]);
    scheduler.advanceTo(last + IDLE_WAIT_MS - 1);
    expect(scans).toEqual([]);
    scheduler.advanceTo(last + IDLE_WAIT_MS);
    expect(scans).toEqual([{ code: CODE, lastKeyAt: last, endedBy: 'idle' }]);
    expect(flushes).toEqual([{ at: last + IDLE_WAIT_MS, code: CODE }]);
    expect(states).toEqual(['burst', 'idle']);
    expect(scheduler.waiting).toEqual([]);
  });

  it('an Enter ends the burst at once and drops the idle timer; the suffix makes silence a slow fallback', () => {
    const { scheduler, scans, flushes, input, type } = station();
    const last = type(CODE, 1_000);
    expect(input.key({ key: 'Enter', timeStamp: last + 4, repeat: false })).toEqual({ consume: true });
    expect(scans).toEqual([{ code: CODE, lastKeyAt: last + 4, endedBy: 'Enter' }]);
    expect(scheduler.waiting).toEqual([]);
    const next = type(CODE, last + 500);
    expect(scheduler.waiting).toEqual([next + SUFFIX_WAIT_MS]);
    scheduler.advanceTo(next + SUFFIX_WAIT_MS);
    expect(scans.map((scan) => scan.endedBy)).toEqual(['Enter', 'idle']);
    expect(flushes).toHaveLength(1);
  });

  it('keys stamped ahead of the page’s clock are not flushed before their own time has passed', () => {
    // test-support/scanner-keys stamps a burst on a scanner's grid a little in the page's future.
    const { scheduler, scans, input } = station(1_000);
    let at = 3_000;
    for (const key of CODE) {
      input.key({ key, timeStamp: at, repeat: false });
      at += 5;
    }
    const last = at - 5;
    scheduler.advanceTo(last); // the wall clock has caught up with the stamps: still a burst
    expect(scans).toEqual([]);
    scheduler.advanceTo(last + IDLE_WAIT_MS);
    expect(scans.map((scan) => scan.code)).toEqual([CODE]);
  });

  it.each([
    ['150 ms', 150],
    ['seconds', 3_000],
  ])(
    'a page running %s behind its keys waits after each key arrives, so a key on its way does not split the burst',
    (_, lagMs) => {
      // Keys queued while the page was busy arrive long after their timestamps; a wait counted from the
      // stamps alone would be over before the next key of the same burst arrives.
      const { scheduler, scans, input, type } = station();
      const half = type(CODE.slice(0, 20), 1_000, { lagMs });
      // The next key was stamped 5 ms later but is still on its way after the plain idle wait.
      scheduler.advanceTo(half + lagMs + IDLE_WAIT_MS + 50);
      expect(scans).toEqual([]);
      let at = half + 5;
      for (const key of CODE.slice(20)) {
        input.key({ key, timeStamp: at, repeat: false });
        at += 5;
      }
      scheduler.advanceBy(5_000);
      expect(scans.map((scan) => scan.code)).toEqual([CODE]);
    },
  );

  it('a stall between two keys makes the page wait longer for the rest of that burst', () => {
    // Keys stamped 100 ms ahead of the page's clock (queued, then handed over at once), arriving in fits.
    const { scheduler, scans, input } = station(1_000);
    let stamp = 1_100;
    for (const key of CODE.slice(0, 10)) {
      input.key({ key, timeStamp: stamp, repeat: false });
      stamp += 5;
    }
    // The 11th key arrives after a 200 ms stall although it was stamped 5 ms after the 10th.
    scheduler.advanceTo(1_200);
    input.key({ key: CODE[10]!, timeStamp: stamp, repeat: false });
    // A second, longer stall: the page has seen the keys come in fits and waits for them.
    scheduler.advanceTo(1_200 + 450);
    expect(scans).toEqual([]);
    for (const key of CODE.slice(11)) {
      stamp += 5;
      input.key({ key, timeStamp: stamp, repeat: false });
    }
    scheduler.advanceBy(5_000);
    expect(scans.map((scan) => scan.code)).toEqual([CODE]);
  });

  it('a fragment that is not a whole token waits for its continuation: a stall never splits the burst', () => {
    // The first scan after the page loads: keys stamped as they arrive, the page stalled 150 ms mid-burst.
    const { scheduler, scans, flushes, type } = station();
    const cut = type(CODE.slice(0, 60), 1_000);
    expect(scheduler.waiting).toEqual([cut + FRAGMENT_WAIT_MS]);
    scheduler.advanceTo(cut + 150); // the plain idle wait has passed: the fragment is still held
    expect(scans).toEqual([]);
    const last = type(CODE.slice(60), cut + 150);
    scheduler.advanceBy(5_000);
    expect(scans).toEqual([{ code: CODE, lastKeyAt: last, endedBy: 'idle' }]);
    expect(flushes).toHaveLength(1);
  });

  it('a fragment nothing follows is sent once it has waited (the agent answers INVALID), not lost', () => {
    const { scheduler, scans, type } = station();
    const cut = type(CODE.slice(0, 60), 1_000);
    scheduler.advanceTo(cut + FRAGMENT_WAIT_MS - 1);
    expect(scans).toEqual([]);
    scheduler.advanceTo(cut + FRAGMENT_WAIT_MS);
    expect(scans).toEqual([{ code: CODE.slice(0, 60), lastKeyAt: cut, endedBy: 'idle' }]);
  });

  it('a burst ended by Enter is never split, even by a pause longer than the fragment wait', () => {
    const { scheduler, scans, input, type } = station();
    // The scanner has shown it sends Enter: from now on Enter decides where a code ends.
    const first = type(CODE, 1_000);
    input.key({ key: 'Enter', timeStamp: first + 5, repeat: false });
    const other = tokenLikeCode(5);
    const cut = type(other.slice(0, 165), first + 500); // 165 characters: a whole token's length
    scheduler.advanceTo(cut + 600);
    const last = type(other.slice(165), cut + 600);
    input.key({ key: 'Enter', timeStamp: last + 5, repeat: false });
    expect(scans.map((scan) => [scan.code, scan.endedBy])).toEqual([
      [CODE, 'Enter'],
      [other, 'Enter'],
    ]);
  });

  it('Caps Lock: a burst in lower case is taken as upper case', () => {
    const { scheduler, scans, type } = station();
    type(CODE.toLowerCase(), 1_000);
    scheduler.advanceBy(1_000);
    expect(scans.map((scan) => scan.code)).toEqual([CODE]);
  });

  it('an interruption drops a burst still running, but keeps one that had already gone quiet', () => {
    const running = station();
    const last = running.type(CODE, 1_000);
    running.input.interrupt(last + 10);
    running.scheduler.advanceBy(5_000);
    expect(running.scans).toEqual([]);
    expect(running.states).toEqual(['burst', 'idle']);

    const quiet = station();
    const end = quiet.type(CODE, 1_000);
    quiet.input.interrupt(end + 100); // e.g. Escape, after the burst ended but before its timer fired
    expect(quiet.scans).toEqual([{ code: CODE, lastKeyAt: end, endedBy: 'gap' }]);
    expect(quiet.scheduler.waiting).toEqual([]);
  });

  it('swallows the keys that continue a burst, never its first key nor a person’s keys', () => {
    const { input } = station();
    const consumed = [...'ABCDEFGH'].map(
      (key, index) => input.key({ key, timeStamp: 1_000 + index * 5, repeat: false }).consume,
    );
    expect(consumed).toEqual([false, true, true, true, true, true, true, true]);
    const person = station();
    const typed = [...'ABCD'].map(
      (key, index) => person.input.key({ key, timeStamp: 1_000 + index * 180, repeat: false }).consume,
    );
    expect(typed).toEqual([false, false, false, false]);
  });
});
