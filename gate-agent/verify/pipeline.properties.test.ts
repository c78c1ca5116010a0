/**
 * Property tests of the decision pipeline (fast-check): no single-byte change of a valid token and no
 * random text is ever accepted, and nothing — not even non-strings — makes the pipeline throw.
 * The store is a real SQLite file, so every rejection is also durably recorded.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE45_ALPHABET, decodeBase45, encodeBase45 } from '../../shared/crypto/index';
import { pullEvent } from '../sync/pull';
import { ManifestFixture } from '../test-support/manifest-fixture';
import { fixtureTransport, type TempStore, tempStore } from '../test-support/stores';
import { createScanPipeline, type ScanPipeline } from './pipeline';

const NOW = Date.UTC(2026, 5, 1, 18);
let temp: TempStore;
let pipeline: ScanPipeline;
let fixture: ManifestFixture;
let unsynced: string;

beforeAll(async () => {
  temp = tempStore();
  temp.store.updateSettings({ gateId: randomUUID(), gateName: 'East' });
  fixture = new ManifestFixture({ now: NOW });
  for (let serial = 1; serial <= 5; serial++) fixture.issue(serial);
  await pullEvent(fixture.eventId, {
    store: temp.store,
    fetchPage: fixtureTransport(fixture),
    clock: () => NOW,
  });
  unsynced = fixture.mint(99);
  pipeline = createScanPipeline({ store: temp.store, clock: () => NOW });
});

afterAll(() => temp.cleanup());

describe('the pipeline never accepts what it should not', () => {
  it('no single-byte mutation of a valid token (known or unsynced) is accepted', () => {
    const originals = [fixture.tokens.get(1)!, unsynced].map((t) => decodeBase45(t)!);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: originals.length - 1 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (which, position, delta) => {
          const bytes = Uint8Array.from(originals[which]!);
          const index = position % bytes.length;
          bytes[index] = (bytes[index]! + delta) & 0xff;
          const answer = pipeline.scan(encodeBase45(bytes));
          expect(answer.decision).toBe('reject');
        },
      ),
      { numRuns: 300 },
    );
    // The untouched tokens are still admissible: the rejections above were not for some other reason.
    expect(pipeline.scan(unsynced).reason).toBe('OK_UNSYNCED');
  });

  it('no random base45 text or arbitrary string is accepted', () => {
    const base45Text = fc
      .array(fc.constantFrom(...BASE45_ALPHABET.split('')), { minLength: 0, maxLength: 200 })
      .map((chars) => chars.join(''));
    fc.assert(
      fc.property(
        fc.oneof(base45Text, fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 200 })),
        (text) => {
          expect(pipeline.scan(text).decision).toBe('reject');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws, whatever the code and direction', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (code, direction) => {
        const answer = pipeline.scan(code, direction);
        expect(answer.decision).toBe('reject');
        expect(typeof answer.reason).toBe('string');
      }),
      { numRuns: 200 },
    );
  });

  it('every scan above was recorded with a gap-free sequence', () => {
    const seqs = temp.store.sqlite.prepare('SELECT seq FROM scans ORDER BY seq').pluck().all() as number[];
    expect(seqs.length).toBeGreaterThan(700);
    expect(seqs.every((s, i) => s === i + 1)).toBe(true);
  });
});
