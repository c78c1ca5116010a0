/**
 * One entry per ticket when the cloud is unreachable (issue 14): two gate agents of one event on the
 * real cloud, each serving the peer protocol on loopback (their "venue LAN"). They learn each other's
 * address and key from the cloud-signed peer list, then the cloud's link is cut: an admission at one
 * gate reaches the other over the LAN alone, signed by the gate that decided it. Messages from a device
 * not on the list, or signed with the wrong key, change nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { devices } from '../../cloud/db/schema';
import { createDetachedSigner, generateDeviceKeyPair } from '../../shared/crypto/index';
import type { GateAgent } from '../agent';
import { storePath } from '../store/database';
import { KEY_FILE_NAME } from '../store/device-key-file';
import { SECRET_CONTEXT, SecretBox } from '../store/secret-box';
import { until, useTestVenue } from '../test-support/venue';
import { newNonce, sealMessage } from './peer-messages';
import { PEER_PROTOCOL_VERSION, PEER_PUSH_PATH, type PushMessage, signAdmission } from './protocol';

const venue = useTestVenue();
/** A gate serving the peer protocol on loopback with a short heartbeat (reachability within ~0.6 s). */
const LAN = { peerListen: '127.0.0.1:0', peerHeartbeatMs: 200 } as const;
const startGate = (gateIndex: number) => venue.startGate(gateIndex, LAN);

/** Until both gates list each other and have heard each other (reports → peer lists → heartbeats). */
async function paired(a: GateAgent, b: GateAgent): Promise<void> {
  await until(async () => {
    const [sa, sb] = [await a.status(), await b.status()];
    if (sa.peers?.listed !== 1 || sb.peers?.listed !== 1) {
      // The reports carrying the peer addresses may have landed after the last pull: pull again.
      await Promise.all([a.syncNow(), b.syncNow()]);
      return false;
    }
    return sa.peers.reachable === 1 && sb.peers.reachable === 1;
  });
}

async function metric(agent: GateAgent, name: string): Promise<number> {
  const text = await (await fetch(`${agent.url}/metrics`)).text();
  // Summed over label sets (a labelled counter has one line per label value); NaN when absent.
  const lines = text.split('\n').filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return lines.length === 0 ? Number.NaN : lines.reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

describe('gates of one event on the venue LAN, cloud unreachable', () => {
  it('an admission at gate A is ALREADY_USED at gate B over the LAN alone, confirmed by the peers', async () => {
    const { agent: north } = await startGate(0);
    const { agent: vipGate } = await startGate(1);
    await paired(north, vipGate);
    venue.real.link = 'down';
    await until(async () => !(await north.status()).online && !(await vipGate.status()).online);

    const first = await north.scan(venue.tickets[0]!.qr);
    expect(first.reason).toBe('OK');
    await until(async () => (await metric(vipGate, 'gate_peer_records_received_total')) >= 1);
    venue.real.cloud.advance(1_000);
    const second = await vipGate.scan(venue.tickets[0]!.qr);
    expect(second.reason).toBe('ALREADY_USED');
    expect(second.alreadyUsed?.gateName).toBe('North');
    // Both gates could hear every peer: the admission is confirmed though the cloud was away.
    expect(await metric(north, 'gate_unconfirmed_admissions')).toBe(0);

    // The other way, too, and an exit travels like an entry.
    const viaVip = await vipGate.scan(venue.tickets[1]!.qr);
    expect(viaVip.reason).toBe('OK');
    await until(async () => (await metric(north, 'gate_peer_records_received_total')) >= 1);
    venue.real.cloud.advance(1_000);
    expect((await north.scan(venue.tickets[1]!.qr)).reason).toBe('ALREADY_USED');
  }, 60_000);

  it('a gate that cannot hear its peer admits unconfirmed, and the peer learns it when the LAN heals', async () => {
    const { agent: north } = await startGate(0);
    const second = await startGate(1);
    await paired(north, second.agent);
    venue.real.link = 'down';
    // The other gate goes away (power cut): North decides alone.
    await venue.stopGate(second.agent);
    await until(async () => {
      const status = await north.status();
      return !status.online && status.peers?.reachable === 0;
    });
    expect((await north.scan(venue.tickets[2]!.qr)).reason).toBe('OK');
    expect(await metric(north, 'gate_unconfirmed_admissions')).toBe(1);

    // It comes back with the same data directory (same device, same stored settings): the first
    // exchange carries North's admission across.
    const back = await venue.restartGate(second.dataDir, { ...LAN, peers: [] });
    await until(async () => (await metric(back, 'gate_peer_records_received_total')) >= 1);
    venue.real.cloud.advance(1_000);
    expect((await back.scan(venue.tickets[2]!.qr)).reason).toBe('ALREADY_USED');
  }, 60_000);

  it('refuses messages from devices not on the peer list, signed with the wrong key, or revoked', async () => {
    const { agent: north, dataDir: northDir } = await startGate(0);
    const { agent: vipGate } = await startGate(1);
    await paired(north, vipGate);
    const [northId, vipStatus] = [(await north.status()).deviceId!, await vipGate.status()];
    const vipAddress = await peerAddressOf(vipStatus.deviceId!);
    const record = {
      eventId: venue.real.seeded.eventId,
      serial: 3,
      origin: northId,
      originSeq: 1,
      direction: 'in' as const,
      at: venue.real.cloud.now(),
      gateId: venue.real.seeded.gateIds[0]!,
      unconfirmed: false,
    };
    const push = (from: string, sign: (m: Uint8Array) => Uint8Array, recordSigner = sign) => {
      const message: PushMessage = {
        protocol: PEER_PROTOCOL_VERSION,
        kind: 'push',
        from,
        to: vipStatus.deviceId,
        eventId: venue.real.seeded.eventId,
        sentAt: venue.real.cloud.now(),
        nonce: newNonce(),
        records: [signAdmission(record, recordSigner)],
      };
      const sealed = sealMessage({ deviceId: from, sign }, message);
      return fetch(`http://${vipAddress}${PEER_PUSH_PATH}`, {
        method: 'POST',
        headers: sealed.headers,
        body: sealed.body,
      });
    };
    const stranger = generateDeviceKeyPair();
    // A device not on the list.
    const unknown = await push(
      crypto.randomUUID(),
      createDetachedSigner(stranger.privateKey, 'peer-message'),
    );
    expect(unknown.status).toBe(401);
    // North's id, a stranger's key.
    const forged = await push(northId, createDetachedSigner(stranger.privateKey, 'peer-message'));
    expect(forged.status).toBe(401);
    expect(await metric(vipGate, 'gate_peer_records_received_total')).toBe(0);
    expect(await metric(vipGate, 'gate_peer_messages_refused_total')).toBeGreaterThanOrEqual(2);
    // Nothing was stored: every ticket of the purchase (serials 1-4) is still unused at the VIP gate.
    venue.real.cloud.advance(1_000);
    for (const ticket of venue.tickets) expect((await vipGate.scan(ticket.qr)).reason).toBe('OK');

    // North's own key (read from its store) is believed — the refusals above are not the only answer…
    const northKey = readPrivateKey(northDir);
    const genuine = createDetachedSigner(northKey, 'peer-message');
    const recordSigner = createDetachedSigner(northKey, 'admission-record');
    expect((await push(northId, genuine, recordSigner)).status).toBe(200);
    // …until the organiser revokes North: the cloud drops it from the list, VIP pulls, and refuses it.
    const revoked = await venue.real.cloud.call('POST', `/api/v1/devices/${northId}/revoke`, {
      token: venue.real.seeded.adminToken,
    });
    expect(revoked.status).toBe(200);
    await until(async () => (await vipGate.status()).peers?.listed === 0);
    expect((await push(northId, genuine, recordSigner)).status).toBe(401);
  }, 60_000);
});

/**
 * A gate's device key, read the way a thief with a copy of its whole data folder would: the wrapped key
 * from the store, opened with the folder's key file (the store file alone opens nothing:
 * gate-agent/store/at-rest.test.ts).
 */
function readPrivateKey(dataDir: string): Uint8Array {
  const db = new Database(storePath(dataDir), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT private_key AS key FROM device LIMIT 1').get() as { key: Buffer };
    const box = new SecretBox(readFileSync(join(dataDir, KEY_FILE_NAME)));
    return box.openBytes(row.key, SECRET_CONTEXT.privateKey);
  } finally {
    db.close();
  }
}

/** The peer address a device reported to the cloud (what the peer lists carry). */
async function peerAddressOf(deviceId: string): Promise<string> {
  const [row] = await venue.real.cloud.database.db
    .select({ address: sql<string>`${devices.lastReport}->>'peerAddress'` })
    .from(devices)
    .where(eq(devices.id, deviceId));
  return row!.address;
}
