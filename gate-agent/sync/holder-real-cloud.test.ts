/**
 * Rotating codes between the real cloud and a real gate agent (issue 20): a customer binds a phone key
 * through `POST /tickets/{id}/holder-key`; the gate pulls the sealed binding and admits the phone's code
 * offline — its clock two hours off the cloud's, corrected by the offset it measured (and the window
 * widened, status `large`); a code older than the window is CODE_EXPIRED; a rebinding (a lost phone)
 * reaches the gate and the old phone's code is INVALID holder-key-replaced; a type set to `required`
 * refuses the static QR with HOLDER_CODE_REQUIRED.
 */
import { rmSync } from 'node:fs';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buyTickets } from '../../cloud/test-support/cloud';
import { type GateAgent, startGateAgent } from '../agent';
import { HolderDevice, type HolderTicket } from '../test-support/holder-device';
import { type RealCloud, startRealCloud } from '../test-support/real-cloud';
import { makeTempDir } from '../test-support/stores';

const logger = pino({ level: 'silent' });
let real: RealCloud;
let dataDir: string;
let agent: GateAgent | undefined;

/** The gate's clock: two hours after the cloud's (inside the event's doors), so its offset is large. */
const gateClock = () => real.cloud.now() + 2 * 3_600_000;

beforeEach(async () => {
  real = await startRealCloud();
  dataDir = makeTempDir('gate-holder-cloud-');
});

afterEach(async () => {
  await agent?.close();
  agent = undefined;
  await real.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Binds `phone` to the ticket through the cloud's API, as the wallet does; what the wallet then knows. */
async function bind(ticketId: string, token: string, phone: HolderDevice): Promise<HolderTicket> {
  const answer = await real.cloud.call('POST', `/api/v1/tickets/${ticketId}/holder-key`, {
    token,
    body: { alg: phone.alg, publicKey: Buffer.from(phone.publicKey).toString('base64url') },
  });
  expect(answer.status).toBe(200);
  const { eventId, serial, generation, bindingNo } = answer.body as HolderTicket;
  return { eventId, serial, generation, bindingNo };
}

describe('rotating codes from the real cloud to a real gate', () => {
  it('admits the bound phone’s code offline, refuses a stale one, a replaced phone, and static codes of a required type', async () => {
    const { token, purchase } = await buyTickets(real.cloud, real.seeded, { quantity: 3 });
    const tickets = purchase.tickets as Array<{ id: string; qr: string }>;
    const phone = new HolderDevice('Ed25519');
    const first = await bind(tickets[0]!.id, token, phone);
    const otherPhone = new HolderDevice('ES256');
    const second = await bind(tickets[1]!.id, token, otherPhone);
    agent = await startGateAgent({
      dataDir,
      cloudUrl: real.url,
      enrollmentToken: await real.enrollmentToken(),
      port: 0,
      clock: gateClock,
      logger,
      syncIntervalMs: 3_600_000,
    });
    const status = await agent.syncNow();
    expect(status.clock).toMatchObject({ state: 'large', holderCodeWindowSeconds: 120 });
    expect(Math.abs((status.clock.offsetMs ?? 0) + 2 * 3_600_000)).toBeLessThan(5_000);

    real.link = 'down'; // decided offline
    expect(await agent.scan(phone.code(first, real.cloud.now()))).toMatchObject({
      decision: 'accept',
      reason: 'OK',
      ticket: { serial: first.serial },
    });
    const stale = await agent.scan(otherPhone.code(second, real.cloud.now() - 3 * 60_000));
    expect(stale).toMatchObject({ reason: 'CODE_EXPIRED', detail: 'stale' });

    // A lost phone: the ticket bound again to another one; the old phone's codes stop at the gate.
    real.link = 'up';
    const newPhone = new HolderDevice('ES256');
    const rebound = await bind(tickets[0]!.id, token, newPhone);
    expect(rebound.bindingNo).toBe(2);
    await agent.syncNow();
    expect(await agent.scan(phone.code(first, real.cloud.now()), 'out')).toMatchObject({
      reason: 'INVALID',
      detail: 'holder-key-replaced',
    });
    expect((await agent.scan(newPhone.code(rebound, real.cloud.now()), 'out')).reason).toBe('OK');

    // The organiser requires the wallet for this type: the printed QR is refused, the phone admits.
    const patch = await real.cloud.call(
      'PATCH',
      `/api/v1/events/${real.seeded.eventId}/ticket-types/${real.seeded.ticketTypeIds[0]}`,
      { token: real.seeded.adminToken, body: { holderCode: 'required' } },
    );
    expect(patch.status).toBe(200);
    await agent.syncNow();
    expect((await agent.scan(tickets[2]!.qr)).reason).toBe('HOLDER_CODE_REQUIRED');
    expect((await agent.scan(newPhone.code(rebound, real.cloud.now()))).reason).toBe('OK');
  });
});
