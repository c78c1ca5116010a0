/**
 * Holder-bound rotating codes at the gate (issue 20) through the real decision pipeline: a SQLite file, a
 * manifest installed from signed pages whose rows carry real hk1 boxes, codes signed in the test by a
 * phone key (node crypto) — Ed25519 and ES256. The clock is injected: "30 s later" is a number.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateSigningKeyPair, HOLDER_CODE_STEP_SECONDS } from '../../shared/crypto/index';
import { pullEvent } from '../sync/pull';
import { HolderDevice, type HolderTicket } from '../test-support/holder-device';
import { ManifestFixture } from '../test-support/manifest-fixture';
import { fixtureTransport, type TempStore, tempStore } from '../test-support/stores';
import { holderClockOf } from './holder-code';
import { codeHashOf, createScanPipeline, type ScanPipeline } from './pipeline';

const GATE_ID = randomUUID();
const NOW = Date.UTC(2026, 5, 1, 18); // a step boundary
const STEP = HOLDER_CODE_STEP_SECONDS * 1000;

let temp: TempStore;
let now: number;
let pipeline: ScanPipeline;
let concert: ManifestFixture;
const ed = new HolderDevice('Ed25519');
const es = new HolderDevice('ES256');
let edTicket: HolderTicket;
let esTicket: HolderTicket;

async function pull(): Promise<void> {
  await pullEvent(concert.eventId, {
    store: temp.store,
    fetchPage: fixtureTransport(concert),
    clock: () => now,
    pageLimit: 50,
  });
}

beforeEach(async () => {
  temp = tempStore();
  now = NOW;
  temp.store.updateSettings({ gateId: GATE_ID, gateName: 'North' });
  concert = new ManifestFixture({ signingKey: generateSigningKeyPair(1), now: NOW });
  for (let serial = 1; serial <= 12; serial++) concert.issue(serial);
  edTicket = concert.bindHolder(1, ed);
  esTicket = concert.bindHolder(2, es);
  await pull();
  pipeline = createScanPipeline({ store: temp.store, clock: () => now });
});

afterEach(() => temp.cleanup());

/** A fresh ticket bound to `device`, pulled, ready to scan. */
async function bound(serial: number, device: HolderDevice): Promise<HolderTicket> {
  const ticket = concert.bindHolder(serial, device);
  await pull();
  return ticket;
}

describe('a rotating code signed by the bound key', () => {
  it.each([
    ['Ed25519', () => ed, () => edTicket],
    ['ES256', () => es, () => esTicket],
  ] as const)('is accepted (%s), recorded with the hash of the scanned text', (_alg, device, ticket) => {
    const code = device().code(ticket(), now);
    expect(code).toHaveLength(122);
    const answer = pipeline.scan(code);
    expect(answer).toMatchObject({
      decision: 'accept',
      reason: 'OK',
      ticket: { eventId: concert.eventId, serial: ticket().serial },
    });
    const [row] = temp.store.scansToUpload(10);
    expect(row).toMatchObject({
      eventId: concert.eventId,
      ticketSerial: ticket().serial,
      decision: 'accept',
      codeHash: codeHashOf(code),
    });
    // Inside its step a replay is a second entry like any other.
    expect(pipeline.scan(code).reason).toBe('ALREADY_USED');
  });

  it('is CODE_EXPIRED 30 s later (a screenshot), and ahead when from the future', () => {
    const code = ed.code(edTicket, now);
    now += 30_000;
    expect(pipeline.scan(code)).toMatchObject({
      decision: 'reject',
      reason: 'CODE_EXPIRED',
      detail: 'stale',
    });
    expect(pipeline.scan(es.code(esTicket, now + 2 * STEP))).toMatchObject({
      reason: 'CODE_EXPIRED',
      detail: 'ahead',
    });
    // Nothing admitted: the fresh code still gets in.
    expect(pipeline.scan(ed.code(edTicket, now)).reason).toBe('OK');
  });

  it('is accepted one step either side of the current one', async () => {
    expect(pipeline.scan(ed.code(edTicket, now - STEP)).reason).toBe('OK');
    expect(pipeline.scan(es.code(esTicket, now + STEP)).reason).toBe('OK');
    const third = await bound(3, ed);
    expect(pipeline.scan(ed.code(third, now + STEP + STEP - 1)).reason).toBe('OK');
  });

  it('signed by another key is INVALID signature', () => {
    expect(pipeline.scan(es.code({ ...edTicket }, now))).toMatchObject({
      decision: 'reject',
      reason: 'INVALID',
      detail: 'signature',
    });
    expect(pipeline.scan(new HolderDevice('Ed25519').code(edTicket, now)).detail).toBe('signature');
  });

  it('from the phone a rebinding replaced is INVALID holder-key-replaced after the delta', async () => {
    const old = ed.code(edTicket, now);
    // The gate has opened the first binding (and keeps it) before the rebinding arrives.
    expect(pipeline.preview(old).reason).toBe('OK');
    const phone = new HolderDevice('ES256');
    const rebound = concert.bindHolder(1, phone);
    await pull();
    expect(pipeline.scan(old)).toMatchObject({ reason: 'INVALID', detail: 'holder-key-replaced' });
    expect(pipeline.scan(phone.code(rebound, now)).reason).toBe('OK');
  });

  it('of a ticket not claimed on this gate yet is INVALID holder-key-unknown', () => {
    const stranger = new HolderDevice();
    const code = stranger.code({ eventId: concert.eventId, serial: 5, generation: 0, bindingNo: 1 }, now);
    expect(pipeline.scan(code)).toMatchObject({ reason: 'INVALID', detail: 'holder-key-unknown' });
  });

  it('after a transfer is REVOKED superseded; a revoked ticket is REVOKED', async () => {
    const code = ed.code(edTicket, now);
    concert.transfer(1);
    concert.revoke(2);
    await pull();
    expect(pipeline.scan(code)).toMatchObject({ reason: 'REVOKED', detail: 'superseded' });
    expect(pipeline.scan(es.code(esTicket, now)).reason).toBe('REVOKED');
  });

  it('of an event this gate does not serve is WRONG_EVENT unverified', () => {
    const other = new ManifestFixture({ now: NOW });
    other.issue(1);
    const ticket = other.bindHolder(1, ed);
    expect(pipeline.scan(ed.code(ticket, now))).toMatchObject({
      reason: 'WRONG_EVENT',
      detail: 'unverified',
    });
  });
});

describe('the type policy', () => {
  it('a static code of a `required` type is HOLDER_CODE_REQUIRED; the rotating code admits', async () => {
    concert.event = {
      ...concert.event,
      ticketTypes: concert.event.ticketTypes.map((t) => ({ ...t, holderCode: 'required' as const })),
    };
    concert.issue(30);
    await pull();
    expect(pipeline.scan(concert.tokens.get(30)!)).toMatchObject({
      decision: 'reject',
      reason: 'HOLDER_CODE_REQUIRED',
    });
    expect(pipeline.scan(concert.tokens.get(1)!, 'in').reason).toBe('HOLDER_CODE_REQUIRED');
    expect(pipeline.scan(ed.code(edTicket, now)).reason).toBe('OK');
    expect(pipeline.scan(concert.tokens.get(1)!, 'out').reason).toBe('HOLDER_CODE_REQUIRED');
  });

  it('an `allowed` type admits the static code too', () => {
    expect(pipeline.scan(concert.tokens.get(1)!).reason).toBe('OK');
  });
});

describe('the clock window', () => {
  it('is one step with a measured small offset', () => {
    expect(holderClockOf(temp.store.settings)).toEqual({
      offsetMs: 0,
      state: 'ok',
      steps: 1,
      windowSeconds: 15,
    });
  });

  it('widens to the max skew while the offset was never measured', () => {
    temp.store.updateSettings({ clockMeasuredAt: null });
    expect(holderClockOf(temp.store.settings)).toEqual({
      offsetMs: null,
      state: 'unknown',
      steps: 8,
      windowSeconds: 120,
    });
    const code = ed.code(edTicket, now - 120_000);
    expect(pipeline.scan(code).reason).toBe('OK');
    expect(pipeline.scan(es.code(esTicket, now - 135_000)).reason).toBe('CODE_EXPIRED');
  });

  it('widens when the offset is large, and corrects the device clock by it', () => {
    temp.store.updateSettings({ clockOffsetMs: 45_000, holderCodeMaxSkewSeconds: 60 });
    expect(holderClockOf(temp.store.settings)).toMatchObject({ state: 'large', steps: 4, offsetMs: 45_000 });
    // The phone shows the cloud's time: device now + 45 s.
    expect(pipeline.scan(ed.code(edTicket, now + 45_000 + 60_000)).reason).toBe('OK');
    expect(pipeline.scan(es.code(esTicket, now - 30_000)).detail).toBe('stale');
  });

  it('is stamped at the first measurement only (a store that never synced is unknown)', async () => {
    const fresh = tempStore();
    try {
      expect(fresh.store.settings.clockMeasuredAt).toBeNull();
      expect(holderClockOf(fresh.store.settings).state).toBe('unknown');
      fresh.store.setClockOffset(12, 1000);
      fresh.store.setClockOffset(13, 2000);
      expect(fresh.store.settings).toMatchObject({ clockOffsetMs: 13, clockMeasuredAt: 1000 });
      expect(fresh.reopen().settings).toMatchObject({ clockOffsetMs: 13, clockMeasuredAt: 1000 });
    } finally {
      fresh.cleanup();
    }
  });
});
