/**
 * Table-driven: one row per situation, covering every reason of SPEC section 7, plus the properties
 * that matter at a door (re-entry, precedence, never a throw).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ADMISSION_REASONS,
  type AdmissionInput,
  type AdmissionReason,
  decideAdmission,
  isAccepting,
} from './index';

const EVENT = '0190c3a4-7b2e-7cc1-9d3e-5a1b2c3d4e5f';
const T0 = Date.UTC(2026, 5, 1, 18); // doors open
const base: AdmissionInput = {
  token: {
    ok: true,
    claims: { eventId: EVENT, ticketSerial: 7, ticketTypeNo: 1, generation: 0 },
    authenticatedBy: 'manifest-digest',
  },
  event: {
    id: EVENT,
    status: 'published',
    doorsOpenAt: T0,
    startsAt: T0 + 3_600_000,
    endsAt: T0 + 6 * 3_600_000,
  },
  ticketType: { typeNo: 1, name: 'General', gateIds: null },
  ticket: { serial: 7, typeNo: 1, generation: 0, status: 'valid' },
  lastAdmission: undefined,
  gate: { id: 'gate-north', name: 'North' },
  direction: 'in',
  now: T0 + 60_000,
};
const HALL = '0190c3a4-0000-7000-8000-00000000a001';
const LOUNGE = {
  id: '0190c3a4-0000-7000-8000-00000000a002',
  name: 'VIP Lounge',
  capacity: 40,
  restricted: true,
  reentry: true,
};
const signed = { ...base.token, authenticatedBy: 'signature' } as AdmissionInput['token'];
const claims = base.token.ok ? base.token.claims : undefined!;

const cases: Array<[string, Partial<AdmissionInput>, AdmissionReason, string | undefined]> = [
  ['known, current ticket at doors', {}, 'OK', undefined],
  [
    'validly signed ticket the manifest does not know yet',
    { token: signed, ticket: undefined },
    'OK_UNSYNCED',
    undefined,
  ],
  [
    'newer generation than the manifest (transfer not yet synced)',
    { token: { ...signed, claims: { ...claims, generation: 1 } } as AdmissionInput['token'] },
    'OK_UNSYNCED',
    undefined,
  ],
  [
    'second entry without an exit',
    { lastAdmission: { direction: 'in', at: T0 + 1000, gateId: 'gate-south', gateName: 'South' } },
    'ALREADY_USED',
    undefined,
  ],
  [
    'revoked (refunded) ticket',
    { ticket: { serial: 7, typeNo: 1, generation: 0, status: 'revoked' } },
    'REVOKED',
    undefined,
  ],
  [
    'old QR after a transfer',
    { token: signed, ticket: { serial: 7, typeNo: 1, generation: 1, status: 'valid' } },
    'REVOKED',
    'superseded',
  ],
  [
    'signed code of the current generation that is not the one issued (a sale lost in a restore, re-sold)',
    {
      token: { ...signed, digest: 'aaaa' } as AdmissionInput['token'],
      ticket: { serial: 7, typeNo: 1, generation: 0, status: 'valid', digest: 'bbbb' },
    },
    'INVALID',
    'not-issued',
  ],
  [
    'signed code whose digest matches the issued one',
    {
      token: { ...signed, digest: 'bbbb' } as AdmissionInput['token'],
      ticket: { serial: 7, typeNo: 1, generation: 0, status: 'valid', digest: 'bbbb' },
    },
    'OK',
    undefined,
  ],
  ['cancelled event', { event: { ...base.event!, status: 'cancelled' } }, 'EVENT_CANCELLED', undefined],
  ['event this gate does not serve', { event: undefined }, 'WRONG_EVENT', 'event-not-served'],
  [
    'token of another event (crypto)',
    { token: { ok: false, reason: 'WRONG_EVENT', detail: 'unknown-event' } },
    'WRONG_EVENT',
    'unknown-event',
  ],
  [
    'ticket type restricted to another gate',
    { ticketType: { typeNo: 1, name: 'VIP', gateIds: ['gate-vip'] } },
    'WRONG_GATE',
    undefined,
  ],
  ['before doors open', { now: T0 - 1 }, 'NOT_YET_VALID', 'doors-closed'],
  [
    'before the ticket window (crypto)',
    { token: { ok: false, reason: 'NOT_YET_VALID', detail: 'window' } },
    'NOT_YET_VALID',
    'window',
  ],
  [
    'before the ticket window (opened path)',
    { token: { ...base.token, claims: { ...claims, validFrom: T0 + 120_000 } } as AdmissionInput['token'] },
    'NOT_YET_VALID',
    'ticket-window',
  ],
  ['after the event ended', { now: T0 + 6 * 3_600_000 }, 'EXPIRED', 'event-ended'],
  ['an exit of a ticket never admitted', { direction: 'out' }, 'NOT_INSIDE', 'never-admitted'],
  [
    'a general ticket at the door of a restricted lounge (issue 18)',
    {
      zones: {
        move: { from: HALL, to: LOUNGE.id },
        holderZone: HALL,
        enteredZones: [HALL],
        target: LOUNGE,
        targetInside: 3,
      },
    },
    'ZONE_NOT_ALLOWED',
    undefined,
  ],
  [
    'a lounge ticket at a full lounge (issue 18)',
    {
      ticketType: { typeNo: 1, name: 'General', gateIds: null, zoneIds: [HALL, LOUNGE.id] },
      zones: {
        move: { from: HALL, to: LOUNGE.id },
        holderZone: HALL,
        enteredZones: [HALL],
        target: LOUNGE,
        targetInside: 40,
      },
    },
    'ZONE_FULL',
    undefined,
  ],
  [
    'a second exit in a row',
    { direction: 'out', lastAdmission: { direction: 'out', at: T0 + 10, gateId: 'gate-north' } },
    'NOT_INSIDE',
    'already-out',
  ],
  [
    'after the ticket window (opened path)',
    { token: { ...base.token, claims: { ...claims, validUntil: T0 } } as AdmissionInput['token'] },
    'EXPIRED',
    'ticket-window',
  ],
  [
    'expired token (crypto)',
    { token: { ok: false, reason: 'EXPIRED', detail: 'window' } },
    'EXPIRED',
    'window',
  ],
  ['garbage', { token: { ok: false, reason: 'INVALID', detail: 'encoding' } }, 'INVALID', 'encoding'],
  [
    'unknown signing key',
    { token: { ok: false, reason: 'UNKNOWN_KEY', detail: 'signing-key' } },
    'INVALID',
    'unknown-signing-key',
  ],
  [
    'digest-bound token for a ticket the manifest does not have',
    { ticket: undefined },
    'INVALID',
    'unauthenticated',
  ],
  [
    'ticket type unknown here',
    { ticketType: undefined, token: signed, ticket: undefined },
    'INVALID',
    'unknown-ticket-type',
  ],
  [
    "a static code of a type that requires the wallet's rotating code",
    { ticketType: { ...base.ticketType!, holderCode: 'required' } },
    'HOLDER_CODE_REQUIRED',
    undefined,
  ],
  [
    'manifest row of another type',
    { ticket: { serial: 7, typeNo: 2, generation: 0, status: 'valid' } },
    'INVALID',
    'ticket-type-mismatch',
  ],
];

describe('decideAdmission', () => {
  it.each(cases)('%s → %s', (_name, overrides, reason, detail) => {
    const decision = decideAdmission({ ...base, ...overrides });
    expect(decision.reason).toBe(reason);
    expect(decision.decision).toBe(isAccepting(reason) ? 'accept' : 'reject');
    if (detail !== undefined) expect(decision.detail).toBe(detail);
  });

  it('covers every reason of the contract (CODE_EXPIRED comes from ./holder-code.ts, tested there)', () => {
    expect(new Set([...cases.map((c) => c[2]), 'CODE_EXPIRED'])).toEqual(new Set(ADMISSION_REASONS));
  });

  it('accepts exactly with an accepting reason, in any mix of the situations above', () => {
    fc.assert(
      fc.property(fc.subarray(cases), fc.constantFrom('in', 'out' as const), (mixed, direction) => {
        const input = Object.assign({ ...base, direction }, ...mixed.map((c) => c[1]));
        const decision = decideAdmission(input);
        expect(decision.decision === 'accept').toBe(isAccepting(decision.reason));
      }),
      { numRuns: 300 },
    );
  });

  it('says when and where an already-used ticket went in, and where a wrong-gate ticket may go', () => {
    const used = decideAdmission({
      ...base,
      lastAdmission: { direction: 'in', at: T0 + 5, gateId: 'g2', gateName: 'South' },
    });
    expect(used.alreadyUsed).toEqual({ at: T0 + 5, gateId: 'g2', gateName: 'South' });
    const wrong = decideAdmission({ ...base, ticketType: { typeNo: 1, name: 'VIP', gateIds: ['gate-vip'] } });
    expect(wrong.allowedGateIds).toEqual(['gate-vip']);
    expect(wrong.ticket).toMatchObject({ serial: 7, typeName: 'VIP' });
  });

  it('lets a ticket in again after an exit, and lets it out even after the event ended', () => {
    const out = { direction: 'out' as const, at: T0 + 10, gateId: 'gate-north' };
    expect(decideAdmission({ ...base, lastAdmission: out }).reason).toBe('OK');
    const inside = { direction: 'in' as const, at: T0 + 10, gateId: 'gate-north' };
    expect(decideAdmission({ ...base, direction: 'out', lastAdmission: inside }).reason).toBe('OK');
    const late = { ...base, direction: 'out' as const, now: T0 + 7 * 3_600_000, lastAdmission: inside };
    expect(decideAdmission(late).decision).toBe('accept');
    expect(
      decideAdmission({ ...base, direction: 'out', ticket: { ...base.ticket!, status: 'revoked' } }).reason,
    ).toBe('REVOKED');
  });

  it('never accepts a rejected token and never throws, whatever the rest of the situation', () => {
    const reasons = fc.constantFrom(
      'INVALID',
      'WRONG_EVENT',
      'UNKNOWN_KEY',
      'EXPIRED',
      'NOT_YET_VALID' as const,
    );
    fc.assert(
      fc.property(
        reasons,
        fc.boolean(),
        fc.boolean(),
        fc.integer(),
        fc.constantFrom('in', 'out' as const),
        (reason, hasTicket, inside, now, direction) => {
          const decision = decideAdmission({
            ...base,
            token: { ok: false, reason, detail: 'x' },
            ticket: hasTicket ? base.ticket : undefined,
            lastAdmission: inside ? { direction: 'in', at: 0, gateId: 'g' } : undefined,
            now,
            direction,
          });
          expect(decision.decision).toBe('reject');
        },
      ),
    );
  });
});
