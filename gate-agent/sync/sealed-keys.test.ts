/**
 * Event keys reach the gate sealed to its own device key (issue 15, finding 9): a page sealed to this
 * device opens and its key is stored (wrapped again at rest); a page sealed to another device, to this
 * device for another event, carrying plain keys, or reaching a gate with no device key is refused whole
 * with a clear reason and changes nothing in the store — not even the trust-on-first-use pin.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toBase64Url } from '../../shared/crypto/index';
import type { GateStore } from '../store/gate-store';
import { ManifestFixture } from '../test-support/manifest-fixture';
import { fixtureTransport, type TempStore, tempStore } from '../test-support/stores';
import { newTestDevice, TEST_DEVICE } from '../test-support/test-device';
import { type ApplyVerdict, applySignedPage, type PageTarget, type SignedPage } from './manifest-apply';
import { ManifestSyncError, pullEvent } from './pull';

let temp: TempStore;
beforeEach(() => {
  temp = tempStore();
});
afterEach(() => temp.cleanup());

/** Every row of every table of the store file: what "changes nothing" is checked against. */
function everyRow(store: GateStore): string {
  const tables = store.sqlite
    .prepare<[], { name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .all();
  return JSON.stringify(
    tables.map(({ name }) => [name, store.sqlite.prepare(`SELECT * FROM "${name}"`).raw().all()]),
  );
}

function apply(fixture: ManifestFixture, page: SignedPage, target: PageTarget): ApplyVerdict {
  return applySignedPage(temp.store, page, {
    target,
    eventId: fixture.eventId,
    now: fixture.cloudTime,
    deviceTime: fixture.cloudTime,
  });
}

async function pull(fixture: ManifestFixture) {
  return pullEvent(fixture.eventId, {
    store: temp.store,
    fetchPage: fixtureTransport(fixture),
    clock: () => fixture.cloudTime,
  });
}

describe('event keys sealed to the device', () => {
  it('a page sealed to this device opens: the event key is stored and tokens open', async () => {
    const fixture = new ManifestFixture();
    fixture.issue(1);
    await pull(fixture);
    const stored = temp.store.eventKeys().find((k) => k.eventId === fixture.eventId);
    expect(Buffer.from(stored!.key)).toEqual(Buffer.from(fixture.eventKey.key));
    // At rest it is wrapped under the key file, never in the sealed form of the page or in plain.
    const file = everyRow(temp.store);
    expect(file.includes(toBase64Url(fixture.eventKey.key))).toBe(false);
  });

  it('a first page sealed to another device is refused with a clear reason and changes nothing, pin included', async () => {
    const fixture = new ManifestFixture({ recipient: newTestDevice() });
    fixture.issue(1);
    temp.store.manifest.beginSnapshot(fixture.eventId, fixture.cloudTime);
    const before = everyRow(temp.store);
    const verdict = apply(fixture, fixture.signedPage(0, 100), 'staging');
    expect(verdict).toEqual({
      kind: 'bad-page',
      why: `event key version 1 is not sealed to this device (${TEST_DEVICE.deviceId}) and event`,
    });
    expect(everyRow(temp.store)).toBe(before);
    expect(temp.store.trustedSigningKeys()).toEqual([]);
    expect(temp.store.eventKeys()).toEqual([]);
    await expect(pull(fixture)).rejects.toThrow(ManifestSyncError);
    await expect(pull(fixture)).rejects.toThrow(/not sealed to this device/);
  });

  it('a delta sealed to another device is refused and the live copy, cursor and keys stay as they were', async () => {
    const fixture = new ManifestFixture();
    for (let serial = 1; serial <= 3; serial++) fixture.issue(serial);
    await pull(fixture);
    const cursor = temp.store.manifest.cursorOf(fixture.eventId)!;
    fixture.revoke(2);
    fixture.recipient = newTestDevice();
    const before = everyRow(temp.store);
    const verdict = apply(fixture, fixture.signedPage(cursor.after, 100), 'live');
    expect(verdict).toMatchObject({
      kind: 'bad-page',
      why: expect.stringMatching(/not sealed to this device/),
    });
    expect(everyRow(temp.store)).toBe(before);
    expect(temp.store.manifest.cursorOf(fixture.eventId)).toEqual(cursor);
  });

  it('a key sealed to this device for another event does not open in this event’s page', () => {
    const fixture = new ManifestFixture();
    const elsewhere = new ManifestFixture({ signingKey: fixture.signingKey });
    fixture.issue(1);
    temp.store.manifest.beginSnapshot(fixture.eventId, fixture.cloudTime);
    const page = fixture.page(0, 100);
    // The other event's sealed key, relabelled: the cloud signs it, but its context names the other event.
    const moved = { ...elsewhere.sealedEventKey(), keyVersion: fixture.eventKey.keyVersion };
    const before = everyRow(temp.store);
    const verdict = apply(
      fixture,
      fixture.sign({ ...page, keys: { ...page.keys, eventKeys: [moved] } }),
      'staging',
    );
    expect(verdict).toMatchObject({
      kind: 'bad-page',
      why: expect.stringMatching(/not sealed to this device/),
    });
    expect(everyRow(temp.store)).toBe(before);
  });

  it('a page with plain event keys (an older cloud) is refused by the schema, signed or not', () => {
    const fixture = new ManifestFixture();
    fixture.issue(1);
    temp.store.manifest.beginSnapshot(fixture.eventId, fixture.cloudTime);
    const page = fixture.page(0, 100);
    const plain = [{ keyVersion: 1, key: toBase64Url(fixture.eventKey.key) }];
    const body = { ...page, keys: { ...page.keys, eventKeys: plain } };
    const before = everyRow(temp.store);
    const verdict = apply(fixture, fixture.sign(body as unknown as typeof page), 'staging');
    expect(verdict).toMatchObject({ kind: 'bad-page', why: expect.stringMatching(/^schema/) });
    expect(everyRow(temp.store)).toBe(before);
  });

  it('a gate with no device key (never enrolled) refuses the page and says why', () => {
    temp.store.updateSettings({ deviceId: null, privateKey: null, publicKey: null });
    const fixture = new ManifestFixture();
    fixture.issue(1);
    temp.store.manifest.beginSnapshot(fixture.eventId, fixture.cloudTime);
    const verdict = apply(fixture, fixture.signedPage(0, 100), 'staging');
    expect(verdict).toEqual({
      kind: 'bad-page',
      why: 'event keys: this gate has no device key (not enrolled)',
    });
  });
});
