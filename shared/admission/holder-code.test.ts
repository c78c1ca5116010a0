import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  encodeHolderCode,
  type HolderKeyBinding,
  holderCodeSigningInput,
  holderCodeStep,
  holderEventTag,
  type ParsedHolderCode,
  parseHolderCode,
} from '../crypto/index';
import { authenticateHolderCode, type HolderCodeLookup, holderCodeWindow } from './holder-code';
import { type AdmissionTicketType, decideAdmission, type KnownTicket } from './index';

const EVENT = '0190f3a2-7c1e-7b7a-9d2e-3c4b5a697887';
const NOW = Date.UTC(2027, 6, 1, 20, 0, 7);
const GATE = { id: '0190f3a2-0000-7000-8000-000000000001', name: 'North' };

function device() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12));
  return { raw, sign: (m: Uint8Array) => new Uint8Array(sign(null, m, privateKey)) };
}

const holder = device();
const ticket: KnownTicket = { serial: 41, typeNo: 1, generation: 1, status: 'valid', digest: 'd' };
const binding: HolderKeyBinding = { alg: 'Ed25519', publicKey: holder.raw, bindingNo: 2 };

function code(
  overrides: { step?: number; bindingNo?: number; generation?: number; by?: typeof holder } = {},
): ParsedHolderCode {
  const fields = {
    eventTag: holderEventTag(EVENT),
    serial: 41,
    generation: overrides.generation ?? 1,
    bindingNo: overrides.bindingNo ?? 2,
    step: overrides.step ?? holderCodeStep(NOW),
  };
  const signer = overrides.by ?? holder;
  const parsed = parseHolderCode(
    encodeHolderCode(fields, signer.sign(holderCodeSigningInput(EVENT, fields))),
  );
  if (!parsed.ok) throw new Error(parsed.detail);
  return parsed;
}

const lookup: HolderCodeLookup = { eventId: EVENT, ticket, binding };

function outcome(parsed: ParsedHolderCode, look: Partial<HolderCodeLookup> = {}, steps = 1) {
  const check = authenticateHolderCode(parsed, { ...lookup, ...look }, NOW, steps);
  return check.ok ? 'ok' : `${check.decision.reason}/${check.decision.detail ?? ''}`;
}

describe('authenticateHolderCode', () => {
  it('accepts the current step and one either side, refuses older and newer codes', () => {
    const step = holderCodeStep(NOW);
    expect(outcome(code())).toBe('ok');
    expect(outcome(code({ step: step - 1 }))).toBe('ok');
    expect(outcome(code({ step: step + 1 }))).toBe('ok');
    expect(outcome(code({ step: step - 2 }))).toBe('CODE_EXPIRED/stale');
    expect(outcome(code({ step: step + 2 }))).toBe('CODE_EXPIRED/ahead');
    // A screenshot 30 s later is two steps old: refused.
    const shot = code();
    expect(authenticateHolderCode(shot, lookup, NOW + 30_000, 1).ok).toBe(false);
    expect(outcome(code({ step: step - 8 }), {}, 8)).toBe('ok');
  });

  it('tells a forged, replaced, unknown, superseded or revoked code apart', () => {
    expect(outcome(code({ by: device() }))).toBe('INVALID/signature');
    expect(outcome(code({ bindingNo: 1 }))).toBe('INVALID/holder-key-replaced');
    expect(outcome(code({ bindingNo: 3 }))).toBe('INVALID/holder-key-unknown');
    expect(outcome(code(), { binding: undefined })).toBe('INVALID/holder-key-unknown');
    expect(outcome(code(), { ticket: undefined })).toBe('INVALID/holder-key-unknown');
    expect(outcome(code({ generation: 2 }))).toBe('INVALID/holder-key-unknown');
    expect(outcome(code(), { ticket: { ...ticket, generation: 2 } })).toBe('REVOKED/superseded');
    expect(outcome(code(), { ticket: { ...ticket, status: 'revoked' } })).toBe('REVOKED/');
    expect(outcome(code(), { eventId: undefined })).toBe('WRONG_EVENT/unverified');
    // An expired forgery is a forgery: the signature is checked before the step.
    expect(outcome(code({ by: device(), step: 3 }))).toBe('INVALID/signature');
  });

  it('hands decideAdmission the ticket with the window from the binding', () => {
    const windowed = { ...binding, validFrom: NOW + 60_000 };
    const check = authenticateHolderCode(code(), { ...lookup, binding: windowed }, NOW, 1);
    if (!check.ok) throw new Error('refused');
    expect(check.token.claims).toMatchObject({
      eventId: EVENT,
      ticketSerial: 41,
      ticketTypeNo: 1,
      validFrom: NOW + 60_000,
    });
    const decision = decideAdmission({
      token: check.token,
      event: {
        id: EVENT,
        status: 'published',
        doorsOpenAt: null,
        startsAt: NOW - 3_600_000,
        endsAt: NOW + 3_600_000,
      },
      ticketType: { typeNo: 1, name: 'VIP', gateIds: null },
      ticket,
      lastAdmission: undefined,
      gate: GATE,
      direction: 'in',
      now: NOW,
    });
    expect(decision).toMatchObject({ reason: 'NOT_YET_VALID', detail: 'ticket-window' });
  });
});

describe('the type that requires a holder code', () => {
  const event = {
    id: EVENT,
    status: 'published' as const,
    doorsOpenAt: null,
    startsAt: NOW - 1000,
    endsAt: NOW + 1000,
  };
  const required: AdmissionTicketType = { typeNo: 1, name: 'VIP', gateIds: null, holderCode: 'required' };
  const claims = { eventId: EVENT, ticketSerial: 41, ticketTypeNo: 1, generation: 1 };
  const base = { event, ticket, lastAdmission: undefined, gate: GATE, now: NOW };

  it('refuses static codes both ways and admits the holder code and the box office', () => {
    for (const authenticatedBy of ['signature', 'manifest-digest'] as const) {
      for (const direction of ['in', 'out'] as const) {
        const decision = decideAdmission({
          ...base,
          direction,
          ticketType: required,
          token: { ok: true, claims, authenticatedBy },
        });
        expect(decision.reason).toBe('HOLDER_CODE_REQUIRED');
      }
    }
    for (const authenticatedBy of ['holder-key', 'staff'] as const) {
      const decision = decideAdmission({
        ...base,
        direction: 'in',
        ticketType: required,
        token: { ok: true, claims, authenticatedBy },
      });
      expect(decision.reason).toBe('OK');
    }
    const allowed = { ...required, holderCode: 'allowed' as const };
    expect(
      decideAdmission({
        ...base,
        direction: 'in',
        ticketType: allowed,
        token: { ok: true, claims, authenticatedBy: 'signature' },
      }).reason,
    ).toBe('OK');
  });

  it('never lets a holder code vouch for a generation this side does not hold', () => {
    const decision = decideAdmission({
      ...base,
      direction: 'in',
      ticketType: required,
      token: { ok: true, claims: { ...claims, generation: 2 }, authenticatedBy: 'holder-key' },
    });
    expect(decision).toMatchObject({ reason: 'INVALID', detail: 'unauthenticated' });
  });
});

describe('holderCodeWindow', () => {
  it('is one step with a known small offset and the operator bound otherwise', () => {
    expect(holderCodeWindow(0, 120)).toEqual({ state: 'ok', steps: 1 });
    expect(holderCodeWindow(-29_999, 120)).toEqual({ state: 'ok', steps: 1 });
    expect(holderCodeWindow(30_000, 120)).toEqual({ state: 'large', steps: 8 });
    expect(holderCodeWindow(null, 120)).toEqual({ state: 'unknown', steps: 8 });
    expect(holderCodeWindow(null, 20)).toEqual({ state: 'unknown', steps: 2 });
    expect(holderCodeWindow(null, 0)).toEqual({ state: 'unknown', steps: 1 });
  });
});
