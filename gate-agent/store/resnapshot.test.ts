/**
 * Re-snapshot: after a 409 MANIFEST_RESET (the cloud restored from a backup) or a checksum mismatch,
 * the gate installs a fresh snapshot beside its live copy and swaps it in atomically. Scanning during
 * the install answers from the old copy; after the swap from the new one. Also: pages not signed by a
 * trusted key change nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateSigningKeyPair } from '../../shared/crypto/index';
import { type FetchPage, ManifestSyncError, pullEvent } from '../sync/pull';
import { ManifestFixture } from '../test-support/manifest-fixture';
import { fixtureTransport, type TempStore, tempStore } from '../test-support/stores';
import { createScanPipeline, type ScanPipeline } from '../verify/pipeline';

let temp: TempStore;
let fixture: ManifestFixture;
let pipeline: ScanPipeline;

beforeEach(async () => {
  temp = tempStore();
  temp.store.updateSettings({ gateId: randomUUID(), gateName: 'West' });
  fixture = new ManifestFixture();
  for (let serial = 1; serial <= 30; serial++) fixture.issue(serial);
  await pullEvent(fixture.eventId, {
    store: temp.store,
    fetchPage: fixtureTransport(fixture),
    clock: () => fixture.cloudTime,
    pageLimit: 7,
  });
  pipeline = createScanPipeline({ store: temp.store, clock: () => fixture.cloudTime });
});

afterEach(() => temp.cleanup());

describe('re-snapshot beside the live copy', () => {
  it('a 409 installs a new copy while scans keep answering from the old one, then swaps atomically', async () => {
    const oldEpoch = fixture.epoch;
    const liveCopy = temp.store.manifest.cursorOf(fixture.eventId)!.liveCopy;
    fixture.restoreFromBackup();
    fixture.revoke(2);
    const duringInstall: string[] = [];
    const transport = fixtureTransport(fixture, {
      beforeAnswer: () => {
        const staging = temp.store.manifest.stagingOf(fixture.eventId);
        if (!staging || staging.after === 0) return;
        // Mid-install: the live copy is untouched and still decides.
        const cursor = temp.store.manifest.cursorOf(fixture.eventId)!;
        expect(cursor.epoch).toBe(oldEpoch);
        expect(cursor.liveCopy).toBe(liveCopy);
        duringInstall.push(pipeline.scan(fixture.tokens.get(2)!, 'out').reason);
      },
    });
    const result = await pullEvent(fixture.eventId, {
      store: temp.store,
      fetchPage: transport,
      clock: () => fixture.cloudTime,
      pageLimit: 5,
    });
    expect(result.swapped).toBe(true);
    expect(duringInstall.length).toBeGreaterThan(2);
    // The old copy still had ticket 2 valid: the exit gets as far as "never admitted", not REVOKED.
    expect(new Set(duringInstall)).toEqual(new Set(['NOT_INSIDE']));
    const cursor = temp.store.manifest.cursorOf(fixture.eventId)!;
    expect(cursor.epoch).toBe(fixture.epoch);
    expect(cursor.liveCopy).not.toBe(liveCopy);
    expect(cursor.checksum).toBe(fixture.checksum());
    expect(pipeline.scan(fixture.tokens.get(2)!, 'out').reason).toBe('REVOKED');
    // The old copy's rows go away in short garbage-collection steps.
    let removed = 0;
    for (let n = temp.store.manifest.collectGarbage(); n > 0; n = temp.store.manifest.collectGarbage())
      removed += n;
    expect(removed).toBe(30);
    expect(temp.store.sqlite.prepare('SELECT count(*) FROM tickets').pluck().get()).toBe(30);
  });

  it('a checksum mismatch on the last page of a delta triggers a snapshot that repairs the copy', async () => {
    // A change the cloud committed under a sequence number the gate had already passed (the slow-commit
    // bug SPEC 6 warns about): no delta will ever carry it, only the totals can reveal it.
    fixture.rows.set(4, { ...fixture.rows.get(4)!, status: 'revoked', digest: '' });
    fixture.issue(31);
    const kinds: string[] = [];
    const result = await pullEvent(fixture.eventId, {
      store: temp.store,
      fetchPage: fixtureTransport(fixture),
      clock: () => fixture.cloudTime,
      onPage: (v) => kinds.push(v.kind),
    });
    expect(kinds[0]).toBe('mismatch');
    expect(result.snapshots).toBe(1);
    expect(result.swapped).toBe(true);
    expect(temp.store.manifest.liveTickets(fixture.eventId).find((t) => t.serial === 4)?.status).toBe(
      'revoked',
    );
    expect(temp.store.manifest.cursorOf(fixture.eventId)!.checksum).toBe(fixture.checksum());
  });

  it('a snapshot whose own totals do not match is dropped and never swapped in', async () => {
    fixture.restoreFromBackup();
    const liveCopy = temp.store.manifest.cursorOf(fixture.eventId)!.liveCopy;
    const lying = fixtureTransport(fixture);
    const transport: typeof lying = async (request) => {
      const answer = await lying(request);
      if (answer.kind !== 'page') return answer;
      const page = fixture.page(request.after, request.limit);
      if (page.summary) page.summary = { ...page.summary, rowCount: page.summary.rowCount + 1 };
      return { ...answer, page: fixture.sign(page) };
    };
    await expect(
      pullEvent(fixture.eventId, {
        store: temp.store,
        fetchPage: transport,
        clock: () => fixture.cloudTime,
        pageLimit: 10,
      }),
    ).rejects.toBeInstanceOf(ManifestSyncError);
    expect(temp.store.manifest.cursorOf(fixture.eventId)!.liveCopy).toBe(liveCopy);
    expect(pipeline.scan(fixture.tokens.get(1)!).reason).toBe('OK');
    // The dropped attempts' rows are collected; the live copy's stay.
    while (temp.store.manifest.collectGarbage() > 0);
    expect(temp.store.sqlite.prepare('SELECT count(*) FROM tickets').pluck().get()).toBe(30);
    expect(temp.store.manifest.liveTickets(fixture.eventId)).toHaveLength(30);
  });
});

/** The fixture's pages, signed by a key no gate was ever given. */
function rogueTransport(): FetchPage {
  const rogue = generateSigningKeyPair(1);
  return async (request) => ({
    kind: 'page',
    page: fixture.sign(fixture.page(request.after, request.limit), rogue),
    deviceTime: fixture.cloudTime,
  });
}

describe('page authenticity', () => {
  it('a page signed by a key the gate does not trust changes nothing', async () => {
    const before = temp.store.manifest.liveTickets(fixture.eventId);
    fixture.revoke(1);
    await expect(
      pullEvent(fixture.eventId, {
        store: temp.store,
        fetchPage: rogueTransport(),
        clock: () => fixture.cloudTime,
      }),
    ).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
    expect(temp.store.manifest.liveTickets(fixture.eventId)).toEqual(before);
  });

  it('a first page that is not signed by the keys it carries is refused (trust on first use needs a valid self-signature)', async () => {
    const fresh = tempStore();
    try {
      await expect(
        pullEvent(fixture.eventId, {
          store: fresh.store,
          fetchPage: rogueTransport(),
          clock: () => fixture.cloudTime,
        }),
      ).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
      expect(fresh.store.trustedSigningKeys()).toEqual([]);
    } finally {
      fresh.cleanup();
    }
  });
});
