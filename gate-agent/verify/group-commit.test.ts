/**
 * Group commit: scans decided together share one transaction, in order, each seeing the admissions of
 * the ones before it; nothing is answered before the commit; a failed commit answers no accept.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pullEvent } from '../sync/pull';
import { ManifestFixture } from '../test-support/manifest-fixture';
import { fixtureTransport, type TempStore, tempStore } from '../test-support/stores';
import { createScanPipeline, type ScanPipeline } from './pipeline';
import { createScanBatcher } from './scan-batcher';

let temp: TempStore;
let fixture: ManifestFixture;
let pipeline: ScanPipeline;

beforeEach(async () => {
  temp = tempStore();
  temp.store.updateSettings({ gateId: randomUUID(), gateName: 'Gate 7' });
  fixture = new ManifestFixture();
  for (let serial = 1; serial <= 40; serial++) fixture.issue(serial);
  await pullEvent(fixture.eventId, {
    store: temp.store,
    fetchPage: fixtureTransport(fixture),
    clock: () => fixture.cloudTime,
  });
  pipeline = createScanPipeline({ store: temp.store, clock: () => fixture.cloudTime });
});

afterEach(() => temp.cleanup());

describe('scanMany', () => {
  it('decides in order inside one transaction, each scan seeing the ones before it', () => {
    const t1 = fixture.tokens.get(1)!;
    const answers = pipeline.scanMany([
      { code: t1, direction: 'in' },
      { code: t1, direction: 'in' },
      { code: 'NOT A TICKET' },
      { code: t1, direction: 'out' },
      { code: t1, direction: 'in' },
    ]);
    expect(answers.map((a) => a.reason)).toEqual(['OK', 'ALREADY_USED', 'INVALID', 'OK', 'OK']);
    expect(answers.map((a) => a.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(temp.store.counters).toEqual({ accepted: 3, admitted: 2, exited: 1, rejected: 2, undone: 0 });
    const reopened = temp.reopen();
    expect(reopened.lastScanSeq).toBe(5);
    expect(reopened.lastAdmission(fixture.eventId, 1)?.direction).toBe('in');
  });

  it('a commit that fails answers no accept and does not throw', () => {
    temp.store.sqlite.close();
    const answers = pipeline.scanMany([{ code: fixture.tokens.get(2)! }, { code: fixture.tokens.get(3)! }]);
    expect(answers.map((a) => [a.decision, a.detail])).toEqual([
      ['reject', 'not-recorded'],
      ['reject', 'not-recorded'],
    ]);
    temp.store = temp.reopen();
  });
});

describe('scan batcher', () => {
  it('scans submitted together commit together; every promise resolves after the commit', async () => {
    const batcher = createScanBatcher(pipeline);
    const codes = Array.from({ length: 40 }, (_, i) => fixture.tokens.get(i + 1)!);
    const answers = await Promise.all([...codes, codes[0]!].map((code) => batcher.submit(code, 'in')));
    expect(answers.slice(0, 40).every((a) => a.reason === 'OK')).toBe(true);
    expect(answers[40]!.reason).toBe('ALREADY_USED');
    expect(new Set(answers.map((a) => a.seq)).size).toBe(41);
    // Durable: a fresh open of the file sees every admission.
    const reopened = temp.reopen();
    expect(reopened.lastScanSeq).toBe(41);
  });
});
