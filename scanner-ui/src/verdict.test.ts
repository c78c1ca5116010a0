/** Every reason code of the gate agent turned into the steward's words (times pinned to UTC). */
import { describe, expect, it } from 'vitest';
import { SCAN_REASONS, type ScanReason, type ScanResult } from './agent-api';
import { agoText, describeFailure, describeScan, reasonHeadline } from './verdict';

const NOW = Date.UTC(2026, 5, 1, 19, 0);
const OPTIONS = { now: NOW, timeZone: 'UTC' };
const TICKET = { serial: 1042, typeNo: 2, typeName: 'Standing', generation: 1 };

function result(reason: ScanReason, extra: Partial<ScanResult> = {}): ScanResult {
  const decision = reason === 'OK' || reason === 'OK_UNSYNCED' ? 'accept' : 'reject';
  return { decision, reason, scannedAt: NOW, latencyMs: 0.3, ...extra };
}

describe('describeScan', () => {
  it.each([
    ['OK', 'accept', 'ACCEPT', 'Valid ticket', undefined],
    ['OK_UNSYNCED', 'accept', 'ACCEPT', 'Valid ticket', undefined],
    ['ALREADY_USED', 'reject', 'REJECT', 'Already used', 'This ticket has already been scanned in'],
    ['REVOKED', 'reject', 'REJECT', 'Ticket revoked', 'Refunded or cancelled — send to the box office'],
    [
      'EVENT_CANCELLED',
      'reject',
      'REJECT',
      'Event cancelled',
      'This event has been cancelled — send to the box office',
    ],
    [
      'WRONG_EVENT',
      'reject',
      'REJECT',
      'Ticket for another event',
      'This ticket is for a different event or date',
    ],
    [
      'WRONG_GATE',
      'reject',
      'REJECT',
      'Wrong gate',
      'Not this gate — use another entrance (gate list syncing)',
    ],
    ['NOT_YET_VALID', 'reject', 'REJECT', 'Not valid yet', 'This ticket is not valid yet'],
    ['EXPIRED', 'reject', 'REJECT', 'Ticket expired', 'This ticket is no longer valid'],
    [
      'INVALID',
      'reject',
      'REJECT',
      'Not a valid ticket',
      'Not a ticket we issued, or damaged — ask for the ticket again',
    ],
  ] as const)('%s → %s "%s" / "%s"', (reason, kind, title, headline, detail) => {
    const text = describeScan(result(reason), 'in', OPTIONS);
    expect(text).toMatchObject({ kind, title, headline });
    expect(text.detail).toBe(detail);
  });

  it('covers every reason code the agent can send with its own words', () => {
    const headlines = SCAN_REASONS.map(reasonHeadline);
    expect(headlines.every((words) => words.length > 0 && !/_/.test(words))).toBe(true);
    // Only the two OK reasons share words; every refusal reads differently.
    expect(new Set(headlines.slice(2)).size).toBe(SCAN_REASONS.length - 2);
  });

  it('ALREADY_USED says when and at which gate', () => {
    const text = describeScan(
      result('ALREADY_USED', {
        ticket: TICKET,
        alreadyUsed: { at: NOW - 17 * 60_000, gateId: 'g-n', gateName: 'North Gate' },
      }),
      'in',
      OPTIONS,
    );
    expect(text.detail).toBe('17 min ago at North Gate (18:43)');
    expect(text.ticketLine).toBe('Standing · No. 1042');
  });

  it('ALREADY_USED without a gate name still says when', () => {
    const text = describeScan(
      result('ALREADY_USED', { alreadyUsed: { at: NOW - 3 * 3_600_000, gateId: 'g-x', gateName: null } }),
      'in',
      OPTIONS,
    );
    expect(text.detail).toBe('3 h ago at another gate (16:00)');
  });

  describe('ALREADY_USED names the gate of the first entry, or this gate', () => {
    const usedAt = (gateId: string, gateName: string | null, ownGateId?: string | null) =>
      describeScan(
        result('ALREADY_USED', { alreadyUsed: { at: NOW - 4 * 60_000, gateId, gateName } }),
        'in',
        ownGateId === undefined ? OPTIONS : { ...OPTIONS, ownGateId },
      ).detail;

    it('an entry at another gate (replicated over the LAN) names that gate', () => {
      expect(usedAt('gate-east', 'East Gate', 'gate-north')).toBe('4 min ago at East Gate (18:56)');
    });

    it('an entry at this gate reads "at this gate", whatever name it carries', () => {
      expect(usedAt('gate-north', 'North Gate', 'gate-north')).toBe('4 min ago at this gate (18:56)');
      expect(usedAt('gate-north', null, 'gate-north')).toBe('4 min ago at this gate (18:56)');
    });

    it('another gate without a name is "another gate"', () => {
      expect(usedAt('gate-east', null, 'gate-north')).toBe('4 min ago at another gate (18:56)');
      expect(usedAt('gate-east', '  ', 'gate-north')).toBe('4 min ago at another gate (18:56)');
    });

    it('before this gate’s id is known (no status yet, or none), the name or "another gate" is shown', () => {
      expect(usedAt('gate-north', 'North Gate')).toBe('4 min ago at North Gate (18:56)');
      expect(usedAt('gate-north', 'North Gate', null)).toBe('4 min ago at North Gate (18:56)');
      expect(usedAt('', null, '')).toBe('4 min ago at another gate (18:56)');
    });
  });

  it('WRONG_GATE names where to go instead', () => {
    const text = describeScan(
      result('WRONG_GATE', {
        allowedGates: [
          { id: 'a', name: 'VIP Door' },
          { id: 'b', name: 'East Gate' },
        ],
      }),
      'in',
      OPTIONS,
    );
    expect(text.detail).toBe('Use VIP Door or East Gate');
    // A bare name reads "gate VIP".
    const bare = describeScan(
      result('WRONG_GATE', { allowedGates: [{ id: 'a', name: 'VIP' }] }),
      'in',
      OPTIONS,
    );
    expect(bare.detail).toBe('Use gate VIP');
  });

  it('WRONG_GATE with bare gate ids (the agent knows no names yet) sends to another entrance', () => {
    const text = describeScan(
      result('WRONG_GATE', { allowedGates: ['0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b'] }),
      'in',
      OPTIONS,
    );
    expect(text.detail).toBe('Not this gate — use another entrance (gate list syncing)');
  });

  it('refines by detail: superseded, doors closed, event ended', () => {
    expect(describeScan(result('REVOKED', { detail: 'superseded' }), 'in', OPTIONS).detail).toMatch(
      /newer ticket/,
    );
    expect(describeScan(result('NOT_YET_VALID', { detail: 'doors-closed' }), 'in', OPTIONS).detail).toBe(
      'Doors are not open yet',
    );
    expect(describeScan(result('EXPIRED', { detail: 'event-ended' }), 'in', OPTIONS).detail).toBe(
      'The event has ended',
    );
    expect(describeScan(result('INVALID', { detail: 'not-issued' }), 'in', OPTIONS).detail).toMatch(
      /not the one issued/,
    );
  });

  it('rotating codes (issue 20): an old or fast code, a static code where the wallet is required, the phone', () => {
    const say = (reason: ScanReason, detail?: string) =>
      describeScan(result(reason, detail ? { detail } : {}), 'in', OPTIONS);
    expect(say('CODE_EXPIRED', 'stale')).toMatchObject({
      headline: 'Code expired',
      detail: expect.stringMatching(/screenshot.*wallet/),
    });
    expect(say('CODE_EXPIRED', 'ahead')).toMatchObject({
      headline: 'Phone clock wrong',
      detail: expect.stringMatching(/automatic time/),
    });
    expect(say('HOLDER_CODE_REQUIRED')).toMatchObject({
      title: 'REJECT',
      headline: 'Open the ticket in the wallet',
      detail: expect.stringMatching(/only opens in the wallet/),
    });
    expect(say('INVALID', 'holder-key-unknown').detail).toBe(
      'Phone not registered on this gate yet — sync or use the box office',
    );
    expect(say('INVALID', 'holder-key-replaced').detail).toMatch(/^Code from a replaced phone/);
    expect(say('INVALID', 'signature').detail).toMatch(/Not a ticket we issued/);
  });

  it('OK_UNSYNCED is an ACCEPT with a small note; OK has none', () => {
    expect(describeScan(result('OK_UNSYNCED'), 'in', OPTIONS).note).toMatch(/Not yet synced/);
    expect(describeScan(result('OK'), 'in', OPTIONS).note).toBeUndefined();
  });

  it('an exit scan reads as an exit', () => {
    expect(describeScan(result('OK', { ticket: TICKET }), 'out', OPTIONS)).toMatchObject({
      kind: 'accept',
      title: 'ACCEPT',
      headline: 'Exit recorded',
      detail: 'May come back in with this ticket',
    });
  });

  it('names the ticket type by number when the agent has no name for it', () => {
    const text = describeScan(
      result('OK', { ticket: { serial: 9, typeNo: 4, generation: 1 } }),
      'in',
      OPTIONS,
    );
    expect(text.ticketLine).toBe('Ticket type 4 · No. 9');
  });

  it('failure to get a decision is never an ACCEPT', () => {
    const text = describeFailure();
    expect(text.kind).toBe('error');
    expect(text.title).toBe('NOT CHECKED');
    expect(text.detail).toMatch(/Do not admit/);
  });
});

describe('agoText', () => {
  it.each([
    [0, 'just now'],
    [59_000, 'just now'],
    [60_000, '1 min ago'],
    [59 * 60_000, '59 min ago'],
    [60 * 60_000, '1 h ago'],
    [125 * 60_000, '2 h 5 min ago'],
    [24 * 3_600_000, '1 day ago'],
    [72 * 3_600_000, '3 days ago'],
  ])('%d ms → %s', (ms, words) => {
    expect(agoText(ms)).toBe(words);
  });
});

describe('the holder’s name (issue 17)', () => {
  it('is a line of its own, "Name: …", with the full name beside it', () => {
    const text = describeScan(result('OK', { ticket: TICKET, holderName: ' Zoë Ångström ' }), 'in', OPTIONS);
    expect(text.holderLine).toBe('Name: Zoë Ångström');
    expect(text.holderName).toBe('Zoë Ångström');
    expect(text.ticketLine).toBe('Standing · No. 1042');
    const used = describeScan(
      result('ALREADY_USED', { ticket: TICKET, holderName: '李小龙' }),
      'in',
      OPTIONS,
    );
    expect(used.holderLine).toBe('Name: 李小龙');
  });

  it('is left out for no name, a blank one, or an agent that sends none', () => {
    for (const holderName of [null, '', '   ', undefined]) {
      const text = describeScan(result('OK', { ticket: TICKET, holderName }), 'in', OPTIONS);
      expect(text.holderLine).toBeUndefined();
      expect(text.holderName).toBeUndefined();
    }
  });
});

describe('zones (issue 18): what the steward does next', () => {
  const LOUNGE = { id: 'z-lounge', name: 'VIP Lounge', capacity: 40, inside: 40 };

  it('ZONE_FULL names the zone and says to hold them', () => {
    const text = describeScan(result('ZONE_FULL', { ticket: TICKET, zone: LOUNGE }), 'in', OPTIONS);
    expect(text).toMatchObject({ kind: 'reject', title: 'REJECT', headline: 'VIP Lounge full' });
    expect(text.detail).toBe('Ask them to wait: one in for each one out (40 of 40 inside)');
    const unnamed = describeScan(result('ZONE_FULL'), 'in', OPTIONS);
    expect(unnamed.headline).toBe('Area full');
    expect(unnamed.detail).toBe('Ask them to wait: one in for each one out');
  });

  it('ZONE_NOT_ALLOWED says not through this door, and where upgrades are', () => {
    const text = describeScan(result('ZONE_NOT_ALLOWED', { zone: { ...LOUNGE, inside: 3 } }), 'in', OPTIONS);
    expect(text.headline).toBe('Not allowed in this area');
    expect(text.detail).toBe(
      'Ticket does not include VIP Lounge — do not let them through; upgrades at the box office',
    );
  });

  it('ALREADY_USED inside-elsewhere: already inside, check ID', () => {
    const text = describeScan(
      result('ALREADY_USED', {
        detail: 'inside-elsewhere',
        alreadyUsed: { at: NOW - 17 * 60_000, gateId: 'g-main', gateName: 'Main Door' },
      }),
      'in',
      OPTIONS,
    );
    expect(text.headline).toBe('Already inside');
    expect(text.detail).toBe('17 min ago at Main Door (18:43) — still inside: check ID');
  });

  it('ALREADY_USED no-reentry: no second entry into the zone', () => {
    const text = describeScan(result('ALREADY_USED', { detail: 'no-reentry', zone: LOUNGE }), 'in', OPTIONS);
    expect(text.headline).toBe('No re-entry');
    expect(text.detail).toBe('Has been in VIP Lounge once; this ticket allows no second entry');
  });

  it('NOT_INSIDE not-in-zone names the zone the passage leaves, and lets them through', () => {
    const passage = { from: { id: 'z-hall', name: 'Hall' }, to: { id: 'z-lounge', name: 'VIP Lounge' } };
    const text = describeScan(result('NOT_INSIDE', { detail: 'not-in-zone' }), 'out', {
      ...OPTIONS,
      passage,
    });
    expect(text.headline).toBe('Not in VIP Lounge');
    expect(text.detail).toBe('Records say they are elsewhere inside — let them through; nothing is recorded');
    expect(describeScan(result('NOT_INSIDE', { detail: 'not-in-zone' }), 'out', OPTIONS).headline).toBe(
      'Not in this area',
    );
    // The single-door reasons keep their words.
    expect(describeScan(result('NOT_INSIDE', { detail: 'never-admitted' }), 'out', OPTIONS).headline).toBe(
      'Not checked in',
    );
  });

  it('an exit through an inner door says where they are now', () => {
    const hall = { id: 'z-hall', name: 'Hall', capacity: 500, inside: 500 };
    expect(describeScan(result('OK', { zone: hall }), 'out', OPTIONS)).toMatchObject({
      headline: 'Exit recorded',
      detail: 'Now in Hall',
    });
  });
});
