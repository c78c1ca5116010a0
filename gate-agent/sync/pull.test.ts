/**
 * The pull loop's behaviour around concurrent changes and retries: a revocation made while a paginated
 * pull is under way is seen by the end of that pull; backoff stays within its bounds.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManifestFixture } from '../test-support/manifest-fixture';
import { fixtureTransport, type TempStore, tempStore } from '../test-support/stores';
import { backoffDelay } from './loop';
import { pullEvent } from './pull';

let temp: TempStore;
beforeEach(() => {
  temp = tempStore();
});
afterEach(() => temp.cleanup());

describe('pull during changes', () => {
  it('a revocation made during a paginated pull is in the copy when the pull ends', async () => {
    const fixture = new ManifestFixture();
    for (let serial = 1; serial <= 50; serial++) fixture.issue(serial);
    let requests = 0;
    const transport = fixtureTransport(fixture, {
      beforeAnswer: () => {
        // After the first page (serials 1–10 delivered), the cloud revokes serial 3 and sells 51.
        if (++requests === 2) {
          fixture.revoke(3);
          fixture.issue(51);
        }
      },
    });
    await pullEvent(fixture.eventId, {
      store: temp.store,
      fetchPage: transport,
      clock: () => fixture.cloudTime,
      pageLimit: 10,
    });
    const rows = temp.store.manifest.liveTickets(fixture.eventId);
    expect(rows.find((r) => r.serial === 3)?.status).toBe('revoked');
    expect(rows.find((r) => r.serial === 51)?.status).toBe('valid');
    expect(temp.store.manifest.cursorOf(fixture.eventId)).toMatchObject({
      after: fixture.head,
      checksum: fixture.checksum(),
    });
  });

  it('a pull with nothing new is one request and changes nothing', async () => {
    const fixture = new ManifestFixture();
    fixture.issue(1);
    await pullEvent(fixture.eventId, {
      store: temp.store,
      fetchPage: fixtureTransport(fixture),
      clock: () => fixture.cloudTime,
    });
    const before = temp.store.manifest.cursorOf(fixture.eventId);
    let requests = 0;
    const result = await pullEvent(fixture.eventId, {
      store: temp.store,
      fetchPage: fixtureTransport(fixture, { beforeAnswer: () => void requests++ }),
      clock: () => fixture.cloudTime,
    });
    expect(requests).toBe(1);
    expect(result).toEqual({ pages: 1, snapshots: 0, swapped: false });
    expect(temp.store.manifest.cursorOf(fixture.eventId)).toMatchObject({
      after: before!.after,
      checksum: before!.checksum,
    });
  });
});

describe('backoff', () => {
  it('grows exponentially with full jitter and is capped at 60 s', () => {
    expect(backoffDelay(1, () => 0.999)).toBeLessThan(2000);
    expect(backoffDelay(3, () => 0.999)).toBeGreaterThan(7000);
    expect(backoffDelay(3, () => 0.999)).toBeLessThan(8000);
    expect(backoffDelay(50, () => 0.999)).toBeLessThanOrEqual(60_000);
    expect(backoffDelay(50, () => 0)).toBe(0);
  });
});
