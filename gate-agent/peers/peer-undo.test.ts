/**
 * Undo at the station travels on the venue LAN like an admission (issue 17): two gate agents of one
 * event, the cloud's link cut, an entry at gate A heard at gate B (ALREADY_USED there), then undone at A
 * — B hears the undo record, signed by A, and admits the ticket. A peer never takes an undo of another
 * gate's record from a gate: that is the cloud's (online undo).
 */
import { describe, expect, it } from 'vitest';
import type { GateAgent } from '../agent';
import { until, useTestVenue } from '../test-support/venue';

const venue = useTestVenue();
const LAN = { peerListen: '127.0.0.1:0', peerHeartbeatMs: 200 } as const;

async function paired(a: GateAgent, b: GateAgent): Promise<void> {
  await until(async () => {
    const [sa, sb] = [await a.status(), await b.status()];
    if (sa.peers?.listed !== 1 || sb.peers?.listed !== 1) {
      await Promise.all([a.syncNow(), b.syncNow()]);
      return false;
    }
    return sa.peers.reachable === 1 && sb.peers.reachable === 1;
  });
}

async function metric(agent: GateAgent, name: string): Promise<number> {
  const text = await (await fetch(`${agent.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.split(' ').at(-1));
}

describe('undo on the venue LAN, cloud unreachable', () => {
  it('an entry undone at gate A is admitted again at gate B once the undo record arrived', async () => {
    const { agent: north } = await venue.startGate(0, LAN);
    const { agent: vipGate } = await venue.startGate(1, LAN);
    await paired(north, vipGate);
    venue.real.link = 'down';
    await until(async () => !(await north.status()).online && !(await vipGate.status()).online);

    const qr = venue.tickets[0]!.qr;
    const entry = await north.scan(qr);
    expect(entry.reason).toBe('OK');
    await until(async () => (await metric(vipGate, 'gate_peer_records_received_total')) >= 1);
    venue.real.cloud.advance(1_000);
    expect((await vipGate.scan(qr)).reason).toBe('ALREADY_USED');

    venue.real.cloud.advance(1_000);
    const undone = await north.undo(entry.seq!);
    expect(undone).toMatchObject({ undone: { originSeq: 1, direction: 'in' }, undo: { originSeq: 2 } });
    await until(async () => (await metric(vipGate, 'gate_peer_records_received_total')) >= 2);
    venue.real.cloud.advance(1_000);
    const again = await vipGate.scan(qr);
    expect(again).toMatchObject({ decision: 'accept', reason: 'OK' });
    // And now it is B's entry that stands: A refuses the ticket, naming B.
    await until(async () => (await metric(north, 'gate_peer_records_received_total')) >= 1);
    venue.real.cloud.advance(1_000);
    const atNorth = await north.scan(qr);
    expect(atNorth.reason).toBe('ALREADY_USED');
    expect(atNorth.alreadyUsed?.gateName).toBe('VIP');
  }, 60_000);
});
