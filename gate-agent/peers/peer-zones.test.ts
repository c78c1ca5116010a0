/**
 * Records with zones on the venue LAN (issue 18): an entry into the lounge made at gate A carries its
 * move, signed by A over bytes that include it; gate B stores it and relays it to gate C (cut off from
 * A), which verifies A's signature and counts the holder in the lounge. A record without zones signs
 * exactly the bytes it signed before zones, and a move changed on the way no longer verifies. Real
 * SQLite stores and real Ed25519 keys; only the LAN is simulated (an in-memory transport).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createDetachedSigner,
  createDetachedVerifier,
  generateDeviceKeyPair,
  toBase64Url,
} from '../../shared/crypto/index';
import { type TempStore, tempStore } from '../test-support/stores';
import { PeerDirectory } from './peer-directory';
import { admissionLogPort } from './peer-node';
import {
  admissionRecordBytes,
  admissionSignatureValid,
  PEER_EXCHANGE_PATH,
  PEER_PUSH_PATH,
  PeerAdmission,
  signAdmission,
  type UnsignedAdmission,
} from './protocol';
import { type PeerAnswer, PeerReplicator, type PeerTransport } from './replicator';

const EVENT = '00000000-0000-4000-8000-0000000000e1';
const HALL = '00000000-0000-4000-8000-0000000000a1';
const LOUNGE = '00000000-0000-4000-8000-0000000000a2';
const AT = 1_800_000_000_000;

const stores: TempStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.cleanup();
});

const uuid = (n: number, kind: number) =>
  `00000000-0000-4000-8000-${kind.toString(16).padStart(4, '0')}${n.toString(16).padStart(8, '0')}`;

/** Three gates on a simulated LAN on which A and C cannot reach each other. */
function lan() {
  const keys = [0, 1, 2].map(() => generateDeviceKeyPair());
  const listings = keys.map((k, i) => ({
    deviceId: uuid(i + 1, 1),
    gateId: uuid(i + 1, 2),
    gateName: `Gate ${i + 1}`,
    publicKey: toBase64Url(k.publicKey),
    address: `gate-${i}:4300`,
  }));
  const replicators: PeerReplicator[] = [];
  const transport = (from: number): PeerTransport => ({
    async send(target, path, message) {
      const to = Number(target.address.slice(5, target.address.indexOf(':')));
      if ((from === 0 && to === 2) || (from === 2 && to === 0)) throw new Error('partitioned');
      const headers = {
        device: message.headers['x-peer-device']!,
        signature: message.headers['x-peer-signature']!,
      };
      const replicator = replicators[to]!;
      const answer: PeerAnswer =
        path === PEER_PUSH_PATH
          ? replicator.handlePush(message.body, headers)
          : path === PEER_EXCHANGE_PATH
            ? replicator.handleExchange(message.body, headers)
            : { status: 400, error: { code: 'NOT_FOUND', message: path } };
      if (answer.status !== 200) throw new Error(`peer answered ${answer.status}`);
      return {
        body: answer.sealed.body,
        device: answer.sealed.headers['x-peer-device'] ?? null,
        signature: answer.sealed.headers['x-peer-signature'] ?? null,
      };
    },
  });
  const gates = keys.map((key, i) => {
    const temp = tempStore();
    stores.push(temp);
    const deviceId = listings[i]!.deviceId;
    temp.store.peers.replace(EVENT, listings);
    const directory = new PeerDirectory({ selfDeviceId: () => deviceId, reachableForMs: 3_000 });
    directory.setPeers(EVENT, listings);
    const replicator = new PeerReplicator({
      identity: { deviceId, sign: createDetachedSigner(key.privateKey, 'peer-message') },
      signRecord: createDetachedSigner(key.privateKey, 'admission-record'),
      directory,
      log: admissionLogPort(temp.store, deviceId, () => AT),
      transport: transport(i),
      clock: () => AT,
      cloudInContact: () => false,
    });
    replicators.push(replicator);
    return { deviceId, gateId: listings[i]!.gateId, store: temp.store, replicator, key };
  });
  return gates;
}

describe('records with zones between gates', () => {
  it('an entry into the lounge is relayed by B to C, verified with A’s key, and counted there', async () => {
    const [a, b, c] = lan();
    // A's own records: the holder of ticket 7 came in at the main door, then went into the lounge.
    const moves = [
      { from: 'outside', to: HALL },
      { from: HALL, to: LOUNGE },
    ];
    a!.store.inTransaction(() => {
      for (const [i, move] of moves.entries())
        a!.store.admissions.appendOwn({
          eventId: EVENT,
          serial: 7,
          origin: a!.deviceId,
          originSeq: i + 1,
          direction: 'in',
          at: AT + i,
          gateId: a!.gateId,
          gateName: 'Gate 1',
          unconfirmed: true,
          scanSeq: i + 1,
          receivedAt: AT + i,
          move,
        });
    });
    await b!.replicator.exchangeNow(); // B asks A
    await c!.replicator.exchangeNow(); // C asks B (A is out of its reach)
    const atC = c!.store.admissions.history(EVENT, 7);
    expect(atC.map((r) => [r.fromZone, r.toZone])).toEqual([
      ['outside', HALL],
      [HALL, LOUNGE],
    ]);
    expect(Object.fromEntries(c!.store.occupancy.counts(EVENT))).toEqual({ [LOUNGE]: 1 });
    // What C holds is A's word: B kept A's signature, and it covers the move.
    const relayed = c!.store.admissions.recordsAfter(EVENT, a!.deviceId, 0, 10)[1]!;
    const verify = createDetachedVerifier(a!.key.publicKey, 'admission-record');
    const { gateName: _name, ...wire } = { ...relayed, signature: relayed.signature! };
    const record = PeerAdmission.parse(wire);
    expect(admissionSignatureValid(record, verify)).toBe(true);
    expect(admissionSignatureValid({ ...record, toZone: HALL }, verify)).toBe(false);
  });

  it('a record without zones signs the same bytes as before zones; one zone alone is refused', () => {
    const record: UnsignedAdmission = {
      eventId: EVENT,
      serial: 7,
      origin: uuid(1, 1),
      originSeq: 3,
      direction: 'out',
      at: AT,
      gateId: uuid(1, 2),
      unconfirmed: false,
    };
    const before = ['admission/v1', EVENT, 7, uuid(1, 1), 3, 'out', AT, uuid(1, 2), 0].join('\n');
    expect(new TextDecoder().decode(admissionRecordBytes(record))).toBe(before);
    const withZones = { ...record, fromZone: LOUNGE, toZone: HALL };
    expect(new TextDecoder().decode(admissionRecordBytes(withZones))).toBe(`${before}\n${LOUNGE}\n${HALL}`);
    const key = generateDeviceKeyPair();
    const signed = signAdmission(record, createDetachedSigner(key.privateKey, 'admission-record'));
    expect(PeerAdmission.safeParse(signed).success).toBe(true);
    expect(PeerAdmission.safeParse({ ...signed, fromZone: LOUNGE }).success).toBe(false);
  });
});
