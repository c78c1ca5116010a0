/**
 * A stolen gate cannot make a rotating code (issue 20, CONTRACT §5.6): a thief holding a gate's whole data
 * directory — `gate.sqlite` and `device.key`, every secret in it unwrapped (the device's private key and
 * access token, the event keys, the cloud's public signing keys, every holder key box opened) — tries to
 * produce a code that another, honest gate of the event accepts, with every key found and every trick:
 * signing with each secret as an Ed25519 or P-256 key, MACs under the event key, the holder's public key or
 * the box as a "signature", a code seen at the door moved to the current step, and every single-bit flip of
 * a seen code. All refused; the honest gate records no admission from them.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeBase45, encodeBase45 } from '../shared/crypto/base45';
import {
  encodeHolderCode,
  type HolderCodeFields,
  holderCodeSigningInput,
  holderCodeStep,
  holderEventTag,
  openHolderKey,
} from '../shared/crypto/index';
import { openGateStore } from './store/gate-store';
import { pullEvent } from './sync/pull';
import { HolderDevice, type HolderTicket } from './test-support/holder-device';
import { ManifestFixture } from './test-support/manifest-fixture';
import { fixtureTransport, makeTempDir, type TempStore, tempStore } from './test-support/stores';
import { giveDeviceIdentity, newTestDevice, TEST_DEVICE } from './test-support/test-device';
import { createScanPipeline, type ScanPipeline } from './verify/pipeline';

const NOW = Date.UTC(2026, 5, 1, 18);
let root: string;
let honest: TempStore;
let door: ScanPipeline;
let fixture: ManifestFixture;
const phone = new HolderDevice('Ed25519');
let ticket: HolderTicket;

/** What the thief takes from the stolen gate's folder: everything, unwrapped with the key file beside it. */
interface Loot {
  secrets: { name: string; bytes: Uint8Array }[];
  publicKeys: { name: string; bytes: Uint8Array }[];
  boxes: string[];
}

async function stolenGateLoot(): Promise<Loot> {
  // The stolen gate: another device of the event, its folder as it was left on the counter.
  const thiefDevice = newTestDevice();
  const stolenDir = join(root, 'stolen');
  const stolen = openGateStore(join(stolenDir, 'gate.sqlite'));
  giveDeviceIdentity(stolen, thiefDevice);
  stolen.updateSettings({ accessToken: 'eyJhbGciOiJIUzI1NiJ9.device.token' });
  fixture.recipient = thiefDevice;
  await pullEvent(fixture.eventId, { store: stolen, fetchPage: fixtureTransport(fixture), clock: () => NOW });
  fixture.recipient = TEST_DEVICE;
  stolen.close();
  // The thief copies the folder and opens it with the agent's own code.
  const copyDir = join(root, 'copy');
  mkdirSync(copyDir);
  for (const file of readdirSync(stolenDir)) copyFileSync(join(stolenDir, file), join(copyDir, file));
  const store = openGateStore(join(copyDir, 'gate.sqlite'));
  try {
    const settings = store.settings;
    const eventKeys = store.eventKeys();
    const secrets = [
      { name: 'device private key', bytes: settings.privateKey! },
      { name: 'access token', bytes: new TextEncoder().encode(settings.accessToken!) },
      ...eventKeys.map((k) => ({ name: `event key v${k.keyVersion}`, bytes: k.key })),
    ];
    const rows = store.sqlite
      .prepare('SELECT serial, generation, holder_key AS box FROM tickets WHERE holder_key IS NOT NULL')
      .all() as { serial: number; generation: number; box: string }[];
    const publicKeys = [
      { name: 'device public key', bytes: settings.publicKey! },
      ...store
        .trustedSigningKeys()
        .map((k) => ({ name: `cloud signing key ${k.keyId}`, bytes: k.publicKey })),
    ];
    for (const row of rows) {
      const byVersion = new Map(eventKeys.map((k) => [k.keyVersion, k.key]));
      const context = { eventId: fixture.eventId, serial: row.serial, generation: row.generation };
      const binding = openHolderKey((v) => byVersion.get(v), context, row.box);
      expect(binding, 'the thief opens every box').toBeDefined();
      publicKeys.push({ name: `holder key of ${row.serial}`, bytes: binding!.publicKey });
    }
    expect(secrets.every((s) => s.bytes.length > 0)).toBe(true);
    return { secrets, publicKeys, boxes: rows.map((r) => r.box) };
  } finally {
    store.close();
  }
}

beforeEach(async () => {
  root = makeTempDir('gate-stolen-');
  fixture = new ManifestFixture({ now: NOW });
  for (let serial = 1; serial <= 3; serial++) fixture.issue(serial);
  ticket = fixture.bindHolder(1, phone);
  fixture.bindHolder(2, new HolderDevice('ES256'));
  honest = tempStore();
  honest.store.updateSettings({ gateId: randomUUID(), gateName: 'Honest door' });
  await pullEvent(fixture.eventId, {
    store: honest.store,
    fetchPage: fixtureTransport(fixture),
    clock: () => NOW,
  });
  door = createScanPipeline({ store: honest.store, clock: () => NOW });
});

afterEach(() => {
  honest.cleanup();
  rmSync(root, { recursive: true, force: true });
});

/** 64 bytes from a secret used every way a thief might try. */
function forgeries(secret: Uint8Array, message: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const seed = secret.length === 32 ? secret : new Uint8Array(createHmac('sha256', secret).digest());
  out.push(ed25519.sign(message, seed));
  try {
    out.push(p256.sign(message, seed));
  } catch {
    // not a scalar of the curve
  }
  const mac = createHmac('sha256', secret).update(message).digest();
  const mac2 = createHmac('sha512', secret).update(message).digest();
  out.push(new Uint8Array(Buffer.concat([mac, mac])), new Uint8Array(mac2));
  return out;
}

function fieldsAt(serial: number, bindingNo: number): HolderCodeFields {
  return {
    eventTag: holderEventTag(fixture.eventId),
    serial,
    generation: 0,
    bindingNo,
    step: holderCodeStep(NOW),
  };
}

describe('a stolen gate’s data directory', () => {
  it('yields no key that makes a rotating code another gate accepts', async () => {
    const loot = await stolenGateLoot();
    const attempts: string[] = [];
    for (const [serial, bindingNo] of [
      [1, 1],
      [2, 1],
      [3, 1],
    ] as const) {
      const fields = fieldsAt(serial, bindingNo);
      const message = holderCodeSigningInput(fixture.eventId, fields);
      for (const secret of loot.secrets) {
        for (const signature of forgeries(secret.bytes, message))
          attempts.push(encodeHolderCode(fields, signature));
      }
      // Public material as the "signature": the keys themselves, the box bytes.
      for (const key of loot.publicKeys) {
        const bytes = new Uint8Array(64);
        bytes.set(key.bytes.subarray(0, 64));
        attempts.push(encodeHolderCode(fields, bytes));
      }
      for (const box of loot.boxes) {
        attempts.push(encodeHolderCode(fields, new TextEncoder().encode(box).subarray(0, 64)));
      }
      attempts.push(encodeHolderCode(fields, new Uint8Array(64)));
    }
    expect(attempts.length).toBeGreaterThan(40);
    for (const code of attempts) {
      const answer = door.scan(code);
      expect(answer.decision, `${answer.reason} ${answer.detail ?? ''}`).toBe('reject');
      expect(['INVALID', 'WRONG_EVENT']).toContain(answer.reason);
    }
    expect(honest.store.counters.accepted).toBe(0);
    // The genuine phone still gets in: the door was not refusing everything.
    expect(door.scan(phone.code(ticket, NOW)).reason).toBe('OK');
  });

  it('a code seen at the door, moved to the current step or with any bit flipped, is refused', () => {
    const seen = phone.code(ticket, NOW - 60_000);
    expect(door.preview(seen).reason).toBe('CODE_EXPIRED');
    const bytes = decodeBase45(seen)!;
    // The same code with the current step written in.
    const moved = bytes.slice();
    new DataView(moved.buffer).setUint32(13, holderCodeStep(NOW));
    expect(door.scan(encodeBase45(moved))).toMatchObject({ reason: 'INVALID', detail: 'signature' });
    // Every single-bit flip of a current code (81 bytes × 8 bits).
    const current = decodeBase45(phone.code(ticket, NOW))!;
    let refused = 0;
    for (let i = 0; i < current.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = current.slice();
        flipped[i]! ^= 1 << bit;
        const answer = door.preview(encodeBase45(flipped));
        if (answer.decision === 'reject') refused++;
      }
    }
    expect(refused).toBe(current.length * 8);
    expect(honest.store.counters.accepted).toBe(0);
  });
});
