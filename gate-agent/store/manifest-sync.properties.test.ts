/**
 * Split-point property (fast-check): for random histories of ticket changes and admission records (issue
 * 14: admissions made at other gates travel in the same change sequence), a gate that pulls in pages of
 * any size, crashes (an error thrown inside the page transaction) between any two pages and is reopened
 * from its file, ends identical — rows, cursor, row count, checksums, admission records — to a gate that
 * pulled everything in one go. Also: after the crash the store stands exactly at a page boundary.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { admissionTotalsOf, manifestChecksum } from '../../shared/sync-protocol/index';
import { pullEvent } from '../sync/pull';
import { ManifestFixture } from '../test-support/manifest-fixture';
import { fixtureTransport, tempStore } from '../test-support/stores';
import type { GateStore } from './gate-store';

type Change = { kind: 'issue' | 'revoke' | 'transfer' | 'admit'; pick: number };

const change = fc.record({
  kind: fc.constantFrom('issue', 'issue', 'revoke', 'transfer', 'admit', 'admit'),
  pick: fc.nat(),
}) as fc.Arbitrary<Change>;

/** Who admits: two other gates and the cloud's online validation. */
const ORIGINS = ['0190c3a4-7b2e-7cc1-9d3e-000000000001', '0190c3a4-7b2e-7cc1-9d3e-000000000002', 'cloud'];

function play(fixture: ManifestFixture, changes: readonly Change[]): void {
  for (const c of changes) {
    const serials = [...fixture.rows.keys()];
    if (c.kind === 'issue' || serials.length === 0) {
      fixture.issue(fixture.rows.size + 1, 1 + (c.pick % 2));
    } else {
      const serial = serials[c.pick % serials.length]!;
      if (c.kind === 'admit') {
        fixture.admit(serial, {
          origin: ORIGINS[c.pick % ORIGINS.length]!,
          direction: c.pick % 5 === 0 ? 'out' : 'in',
          at: fixture.cloudTime + c.pick,
        });
      } else if (c.kind === 'revoke') fixture.revoke(serial);
      else if (fixture.rows.get(serial)!.status === 'valid') fixture.transfer(serial);
    }
  }
}

function snapshotOf(store: GateStore, eventId: string) {
  const cursor = store.manifest.cursorOf(eventId);
  return {
    rows: store.manifest.liveTickets(eventId),
    after: cursor?.after,
    rowCount: cursor?.rowCount,
    checksum: cursor?.checksum,
    admissionCount: cursor?.admissionCount,
    admissionChecksum: cursor?.admissionChecksum,
    admissions: store.sqlite
      .prepare(
        'SELECT origin, origin_seq, serial, direction, at FROM admission_log WHERE event_id = ? ORDER BY origin, origin_seq',
      )
      .all(eventId),
  };
}

describe('manifest sync split points', () => {
  it('any page size, a crash between any two pages, then more changes: ends identical to one full sync', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(change, { minLength: 1, maxLength: 30 }),
        fc.array(change, { minLength: 0, maxLength: 15 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 7 }),
        fc.nat({ max: 12 }),
        async (before, afterCrash, pageSize, laterPageSize, crashAtPage) => {
          const fixture = new ManifestFixture();
          play(fixture, before);
          const gate = tempStore();
          const reference = tempStore();
          try {
            const fetchPage = fixtureTransport(fixture);
            let commits = 0;
            const verdicts: string[] = [];
            const onPage = (v: { kind: string }) => verdicts.push(v.kind);
            const boundaries = new Set<number>([0]);
            const crashing = pullEvent(fixture.eventId, {
              store: gate.store,
              fetchPage,
              clock: () => fixture.cloudTime,
              pageLimit: pageSize,
              onPage: (v) => {
                verdicts.push(v.kind);
                if (v.kind === 'applied') boundaries.add(v.nextAfter);
              },
              beforeCommit: () => {
                if (commits++ === crashAtPage) throw new Error('simulated crash');
              },
            });
            const crashed = await crashing.then(
              () => false,
              (e: Error) => {
                expect(e.message).toBe('simulated crash');
                return true;
              },
            );
            // Restart: the file is all that survives.
            const store = gate.reopen();
            const staging = store.manifest.stagingOf(fixture.eventId);
            const cursor = store.manifest.cursorOf(fixture.eventId);
            if (crashed) {
              // Exactly at a page boundary, with totals that match the rows on disk.
              if (staging) expect(boundaries.has(staging.after)).toBe(true);
              if (cursor) {
                expect(boundaries.has(cursor.after)).toBe(true);
                expect(manifestChecksum(store.manifest.liveTickets(fixture.eventId))).toBe(cursor.checksum);
                expect(store.manifest.liveTickets(fixture.eventId).length).toBe(cursor.rowCount);
              }
            }
            await pullEvent(fixture.eventId, {
              store,
              fetchPage,
              clock: () => fixture.cloudTime,
              pageLimit: pageSize,
              onPage,
            });
            play(fixture, afterCrash);
            await pullEvent(fixture.eventId, {
              store,
              fetchPage,
              clock: () => fixture.cloudTime,
              pageLimit: laterPageSize,
              onPage,
            });
            // Resuming is exact: never a checksum mismatch that a re-snapshot would have to repair.
            expect(verdicts.filter((k) => k !== 'applied')).toEqual([]);

            await pullEvent(fixture.eventId, {
              store: reference.store,
              fetchPage,
              clock: () => fixture.cloudTime,
              pageLimit: 10_000,
            });
            const expected = snapshotOf(reference.store, fixture.eventId);
            expect(snapshotOf(store, fixture.eventId)).toEqual(expected);
            expect(expected.checksum).toBe(fixture.checksum());
            expect(expected.rowCount).toBe(fixture.rows.size);
            expect(expected.admissionChecksum).toBe(admissionTotalsOf(fixture.admissions).checksum);
            expect(expected.admissions).toHaveLength(fixture.admissions.length);
            expect(store.manifest.stagingOf(fixture.eventId)).toBeNull();
          } finally {
            gate.cleanup();
            reference.cleanup();
          }
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);
});
