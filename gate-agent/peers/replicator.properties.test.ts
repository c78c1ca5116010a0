/**
 * Property (issue 14): whatever partitions and heals happen among 2–5 gates while they admit, once the
 * LAN is whole again and a few heartbeats have passed, every gate holds every admission record and
 * decides the same state for every ticket. Each gate is a real SQLite store with the migrations applied,
 * its admission log seen through the same adapter the agent uses, and a real replicator with real
 * Ed25519 signatures; only the LAN is simulated (an in-memory transport that refuses partitioned pairs).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createDetachedSigner, generateDeviceKeyPair, toBase64Url } from '../../shared/crypto/index';
import type { GateStore } from '../store/gate-store';
import { type TempStore, tempStore } from '../test-support/stores';
import { PeerDirectory } from './peer-directory';
import { admissionLogPort } from './peer-node';
import { PEER_EXCHANGE_PATH, PEER_PUSH_PATH } from './protocol';
import { type PeerAnswer, PeerReplicator, type PeerTransport } from './replicator';

const EVENT = '00000000-0000-4000-8000-0000000000e1';
const SERIALS = 6;

interface Gate {
  deviceId: string;
  gateId: string;
  gateName: string;
  address: string;
  store: GateStore;
  replicator: PeerReplicator;
}

type Step =
  | { kind: 'admit'; gate: number; serial: number; direction: 'in' | 'out' }
  | { kind: 'cut'; a: number; b: number }
  | { kind: 'heal'; a: number; b: number }
  | { kind: 'heartbeat' };

const stores: TempStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.cleanup();
});

function uuid(n: number, kind: number): string {
  return `00000000-0000-4000-8000-${kind.toString(16).padStart(4, '0')}${n.toString(16).padStart(8, '0')}`;
}

/** A venue of `n` gates on a simulated LAN; `cut` holds the partitioned pairs ("a|b", a < b). */
function venue(n: number, cut: Set<string>, now: () => number): Gate[] {
  const keys = Array.from({ length: n }, () => generateDeviceKeyPair());
  const listings = keys.map((k, i) => ({
    deviceId: uuid(i + 1, 1),
    gateId: uuid(i + 1, 2),
    gateName: `Gate ${i + 1}`,
    publicKey: toBase64Url(k.publicKey),
    address: `gate-${i}:4300`,
  }));
  const gates: Gate[] = [];
  const transport = (from: number): PeerTransport => ({
    async send(target, path, message) {
      const to = Number(target.address.slice(5, target.address.indexOf(':')));
      const pair = from < to ? `${from}|${to}` : `${to}|${from}`;
      if (cut.has(pair)) throw new Error('partitioned');
      const headers = {
        device: message.headers['x-peer-device']!,
        signature: message.headers['x-peer-signature']!,
      };
      const replicator = gates[to]!.replicator;
      const answer: PeerAnswer =
        path === PEER_PUSH_PATH
          ? replicator.handlePush(message.body, headers)
          : path === PEER_EXCHANGE_PATH
            ? replicator.handleExchange(message.body, headers)
            : { status: 400, error: { code: 'NOT_FOUND', message: path } };
      if (answer.status !== 200) throw new Error(`peer answered ${answer.status} ${answer.error.code}`);
      return {
        body: answer.sealed.body,
        device: answer.sealed.headers['x-peer-device'] ?? null,
        signature: answer.sealed.headers['x-peer-signature'] ?? null,
      };
    },
  });
  for (let i = 0; i < n; i++) {
    const temp = tempStore();
    stores.push(temp);
    const deviceId = listings[i]!.deviceId;
    temp.store.peers.replace(EVENT, listings);
    const directory = new PeerDirectory({ selfDeviceId: () => deviceId, reachableForMs: 3_000, now });
    directory.setPeers(EVENT, listings);
    const replicator = new PeerReplicator({
      identity: { deviceId, sign: createDetachedSigner(keys[i]!.privateKey, 'peer-message') },
      signRecord: createDetachedSigner(keys[i]!.privateKey, 'admission-record'),
      directory,
      log: admissionLogPort(temp.store, deviceId, now),
      transport: transport(i),
      clock: now,
      cloudInContact: () => false,
    });
    gates.push({
      deviceId,
      gateId: listings[i]!.gateId,
      gateName: listings[i]!.gateName,
      address: listings[i]!.address,
      store: temp.store,
      replicator,
    });
  }
  return gates;
}

/** A gate decides an admission on its own (as the scan pipeline does) and broadcasts it. */
function admit(gate: Gate, serial: number, direction: 'in' | 'out', at: number): void {
  const { store } = gate;
  store.inTransaction(() => {
    const originSeq = store.admissions.nextOwnSeq(EVENT, gate.deviceId);
    store.admissions.appendOwn({
      eventId: EVENT,
      serial,
      origin: gate.deviceId,
      originSeq,
      direction,
      at,
      gateId: gate.gateId,
      gateName: gate.gateName,
      unconfirmed: false,
      scanSeq: originSeq,
      receivedAt: at,
    });
  });
  const [record] = store.admissions.recordsAfter(EVENT, gate.deviceId, 0, 1_000_000).slice(-1);
  gate.replicator.publish([
    {
      eventId: EVENT,
      serial: record!.serial,
      origin: record!.origin,
      originSeq: record!.originSeq,
      direction: record!.direction,
      at: record!.at,
      gateId: record!.gateId,
      unconfirmed: record!.unconfirmed,
    },
  ]);
}

const stepArb = (n: number): fc.Arbitrary<Step> => {
  const gate = fc.integer({ min: 0, max: n - 1 });
  const pair = fc
    .tuple(gate, gate)
    .filter(([a, b]) => a !== b)
    .map(([a, b]) => (a < b ? { a, b } : { a: b, b: a }));
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('admit' as const),
        gate,
        serial: fc.integer({ min: 1, max: SERIALS }),
        direction: fc.constantFrom('in' as const, 'out' as const),
      }),
    },
    { weight: 2, arbitrary: pair.map((p) => ({ kind: 'cut' as const, ...p })) },
    { weight: 2, arbitrary: pair.map((p) => ({ kind: 'heal' as const, ...p })) },
    { weight: 2, arbitrary: fc.constant({ kind: 'heartbeat' as const }) },
  );
};

describe('admission replication under partitions', () => {
  it('any partitions and heals among 2–5 gates end with every gate holding every record and deciding alike', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 2, max: 5 })
          .chain((n) => fc.tuple(fc.constant(n), fc.array(stepArb(n), { minLength: 1, maxLength: 40 }))),
        async ([n, steps]) => {
          let time = 1_800_000_000_000;
          const now = () => time;
          const cut = new Set<string>();
          const gates = venue(n, cut, now);
          try {
            for (const step of steps) {
              time += 100;
              if (step.kind === 'admit') admit(gates[step.gate]!, step.serial, step.direction, time);
              else if (step.kind === 'cut') cut.add(`${step.a}|${step.b}`);
              else if (step.kind === 'heal') cut.delete(`${step.a}|${step.b}`);
              else await Promise.all(gates.map((g) => g.replicator.exchangeNow()));
              await Promise.all(gates.map((g) => g.replicator.settle()));
            }
            // The LAN heals; two heartbeats carry everything everywhere (each exchange is both ways).
            cut.clear();
            for (let round = 0; round < 2; round++) {
              time += 1_000;
              await Promise.all(gates.map((g) => g.replicator.exchangeNow()));
              await Promise.all(gates.map((g) => g.replicator.settle()));
            }
            const admitted = steps.filter((s) => s.kind === 'admit').length;
            const reference = gates[0]!.store.admissions.vector(EVENT);
            expect(Object.values(reference).reduce((a, b) => a + b, 0)).toBe(admitted);
            for (const gate of gates) {
              expect(gate.store.admissions.vector(EVENT)).toEqual(reference);
              for (let serial = 1; serial <= SERIALS; serial++)
                expect(gate.store.admissions.stateOf(EVENT, serial)).toEqual(
                  gates[0]!.store.admissions.stateOf(EVENT, serial),
                );
            }
          } finally {
            await Promise.all(gates.map((g) => g.replicator.stop()));
            for (const s of stores.splice(0)) s.cleanup();
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);
});
