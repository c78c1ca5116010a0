/**
 * POST /validate with the wallet's holder-bound rotating code (issue 20), against the real API and
 * database, codes signed in the test with node's crypto as a phone would (Ed25519 and ES256): a current
 * code of the bound key admits once (then ALREADY_USED, as any second entry); a code three steps old is
 * CODE_EXPIRED `stale` (three ahead `ahead`); the previous phone's code after a rebinding is INVALID
 * `holder-key-replaced`; another key's signature INVALID `signature`; a ticket nobody claimed INVALID
 * `holder-key-unknown`; a transferred ticket's old code REVOKED `superseded`. A type that requires the
 * wallet refuses the static code (HOLDER_CODE_REQUIRED), an `allowed` type still admits it.
 *
 * seedEvent's clock: doors open at t0 + 1 h; the scans run at t0 + 90 min.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOLDER_CODE_STEP_SECONDS, holderCodeStep, holderEventTag } from '../../shared/crypto';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';
import { type HolderDevice, holderDevice } from '../test-support/holder-device';

const STEP_MS = HOLDER_CODE_STEP_SECONDS * 1000;

let cloud: TestCloud;
let seeded: SeededEvent;
let staff: string;

beforeAll(async () => {
  cloud = await createTestCloud();
  seeded = await seedEvent(cloud, { capacities: [50, 50] });
  const required = await cloud.call(
    'PATCH',
    `/api/v1/events/${seeded.eventId}/ticket-types/${seeded.ticketTypeIds[1]}`,
    { token: seeded.adminToken, body: { holderCode: 'required' } },
  );
  expect(required.status).toBe(200);
  staff = await cloud.token('venue_staff', seeded.tenant);
  cloud.advance(90 * 60_000);
});
afterAll(async () => {
  await cloud?.close();
});

interface Claimed {
  id: string;
  token: string;
  qr: string;
  serial: number;
  generation: number;
  bindingNo: number;
  eventId: string;
}

/** Buys a ticket of type `typeIndex` and, with `phone`, binds it as the wallet would. */
async function ticketOf(typeIndex: number, phone?: HolderDevice): Promise<Claimed> {
  const { token, purchase } = await buyTickets(cloud, seeded, { typeIndex });
  const ticket = purchase.tickets[0];
  const view = await cloud.call('GET', `/api/v1/tickets/${ticket.id}`, { token });
  let bindingNo = 0;
  if (phone) {
    const bound = await cloud.call('POST', `/api/v1/tickets/${ticket.id}/holder-key`, {
      token,
      body: { alg: phone.alg, publicKey: phone.publicKeyText },
    });
    expect(bound.status).toBe(200);
    bindingNo = bound.body.bindingNo;
  }
  return {
    id: ticket.id,
    token,
    qr: ticket.qr,
    serial: view.body.serial,
    generation: view.body.generation,
    bindingNo,
    eventId: seeded.eventId,
  };
}

const validate = (qr: string, direction: 'in' | 'out' = 'in') =>
  cloud.call('POST', '/api/v1/validate', {
    token: staff,
    body: { qr, gateId: seeded.gateIds[0], direction },
  });

describe.each(['Ed25519', 'ES256'] as const)('/validate with a %s holder code', (alg) => {
  it('admits a current code of the bound key once, and names the ticket', async () => {
    const phone = holderDevice(alg);
    const ticket = await ticketOf(0, phone);
    const code = phone.code(ticket, cloud.now());
    expect(code).toHaveLength(122);
    const first = await validate(code);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      decision: 'accept',
      reason: 'OK',
      ticket: { id: ticket.id, serial: ticket.serial, generation: 1 },
    });
    // A code of the step before still admits (one step either side) — here as the second entry it is.
    const again = await validate(phone.code(ticket, cloud.now() - STEP_MS));
    expect(again.body).toMatchObject({ decision: 'reject', reason: 'ALREADY_USED' });
    // Typed in lower case at a keyboard, it is still the code.
    expect((await validate(code.toLowerCase(), 'out')).body).toMatchObject({ decision: 'accept' });
  });

  it('refuses a code three steps old or ahead as CODE_EXPIRED', async () => {
    const phone = holderDevice(alg);
    const ticket = await ticketOf(0, phone);
    const stale = await validate(phone.code(ticket, cloud.now() - 3 * STEP_MS));
    expect(stale.body).toMatchObject({ decision: 'reject', reason: 'CODE_EXPIRED', detail: 'stale' });
    // One step either side by the cloud's clock, no more.
    const twoOld = await validate(phone.code(ticket, cloud.now() - 2 * STEP_MS));
    expect(twoOld.body).toMatchObject({ decision: 'reject', reason: 'CODE_EXPIRED', detail: 'stale' });
    const ahead = await validate(phone.code(ticket, cloud.now() + 3 * STEP_MS));
    expect(ahead.body).toMatchObject({ decision: 'reject', reason: 'CODE_EXPIRED', detail: 'ahead' });
    // Nothing was admitted: the current code still is.
    expect((await validate(phone.code(ticket, cloud.now()))).body.decision).toBe('accept');
  });

  it('refuses the previous phone after a rebinding, and another key’s signature', async () => {
    const oldPhone = holderDevice(alg);
    const ticket = await ticketOf(0, oldPhone);
    const newPhone = holderDevice(alg);
    const rebound = await cloud.call('POST', `/api/v1/tickets/${ticket.id}/holder-key`, {
      token: ticket.token,
      body: { alg, publicKey: newPhone.publicKeyText },
    });
    expect(rebound.body.bindingNo).toBe(2);
    const replaced = await validate(oldPhone.code(ticket, cloud.now()));
    expect(replaced.body).toMatchObject({
      decision: 'reject',
      reason: 'INVALID',
      detail: 'holder-key-replaced',
    });
    // The old phone claiming the new number is not the bound key.
    const forged = await validate(oldPhone.code({ ...ticket, bindingNo: 2 }, cloud.now()));
    expect(forged.body).toMatchObject({ decision: 'reject', reason: 'INVALID', detail: 'signature' });
    expect((await validate(newPhone.code({ ...ticket, bindingNo: 2 }, cloud.now()))).body.decision).toBe(
      'accept',
    );
  });
});

describe('/validate, holder codes and the static code', () => {
  it('refuses a code for a ticket nobody claimed, of an event not served here, or of a transferred ticket', async () => {
    const phone = holderDevice('Ed25519');
    const unclaimed = await ticketOf(0);
    const unknown = await validate(phone.code({ ...unclaimed, bindingNo: 1 }, cloud.now()));
    expect(unknown.body).toMatchObject({
      decision: 'reject',
      reason: 'INVALID',
      detail: 'holder-key-unknown',
    });

    const elsewhere = '0196f3a2-7c1e-7b3a-9f2d-4d5e6f708192';
    const wrongEvent = await validate(
      phone.codeOf(elsewhere, {
        eventTag: holderEventTag(elsewhere),
        serial: 1,
        generation: 1,
        bindingNo: 1,
        step: holderCodeStep(cloud.now()),
      }),
    );
    expect(wrongEvent.body).toMatchObject({
      decision: 'reject',
      reason: 'WRONG_EVENT',
      detail: 'unverified',
    });

    const ticket = await ticketOf(0, phone);
    const transferred = await cloud.call('POST', `/api/v1/tickets/${ticket.id}/transfer`, {
      token: ticket.token,
      body: { toUserId: 'user-friend-7' },
    });
    expect(transferred.status).toBe(200);
    const superseded = await validate(phone.code(ticket, cloud.now()));
    expect(superseded.body).toMatchObject({ decision: 'reject', reason: 'REVOKED', detail: 'superseded' });
    // The same phone claiming the new generation: the transfer cleared its binding.
    const cleared = await validate(phone.code({ ...ticket, generation: 2 }, cloud.now()));
    expect(cleared.body).toMatchObject({
      decision: 'reject',
      reason: 'INVALID',
      detail: 'holder-key-unknown',
    });
  });

  it('refuses the static code of a type that requires the wallet, and admits its holder code', async () => {
    const phone = holderDevice('ES256');
    const ticket = await ticketOf(1, phone);
    const printed = await validate(ticket.qr);
    expect(printed.body).toMatchObject({ decision: 'reject', reason: 'HOLDER_CODE_REQUIRED' });
    expect(printed.body.ticket).toMatchObject({ id: ticket.id, serial: ticket.serial });
    expect((await validate(ticket.qr, 'out')).body.reason).toBe('HOLDER_CODE_REQUIRED');
    expect((await validate(phone.code(ticket, cloud.now()))).body).toMatchObject({ decision: 'accept' });
  });

  it('lets the box office check in a ticket of a `required` type by hand (it checks the person, not a code)', async () => {
    const ticket = await ticketOf(1);
    const checkIn = await cloud.call(
      'POST',
      `/api/v1/events/${seeded.eventId}/tickets/${ticket.id}/check-in`,
      { token: staff, body: { gateId: seeded.gateIds[0] } },
    );
    expect(checkIn.status).toBe(200);
    expect(checkIn.body).toMatchObject({ decision: 'accept', reason: 'OK' });
  });

  it('still admits the static code of an `allowed` type, bound or not', async () => {
    const bound = await ticketOf(0, holderDevice('Ed25519'));
    expect((await validate(bound.qr)).body).toMatchObject({ decision: 'accept', reason: 'OK' });
    const plain = await ticketOf(0);
    expect((await validate(plain.qr)).body).toMatchObject({ decision: 'accept', reason: 'OK' });
  });
});
