/**
 * Scan-log ingestion (SPEC section 6, push): each scan stored once; replays, duplicates and reordered
 * batches change nothing; the acknowledged sequence is the longest gap-free prefix; an invalid row is
 * quarantined and still acknowledged; attendance counts what the gates admitted.
 */
import fc from 'fast-check';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanRecord } from '../../shared/sync-protocol';
import { createTestCloud, type SeededEvent, seedEvent, type TestCloud } from '../test-support/cloud';
import { enrollTestDevice, type TestDevice } from '../test-support/devices';
import { scanRecord } from '../test-support/scan-records';

let cloud: TestCloud;
let seeded: SeededEvent;

beforeAll(async () => {
  cloud = await createTestCloud();
  seeded = await seedEvent(cloud, { vipGate: true, capacities: [50, 10] });
});
afterAll(async () => {
  await cloud?.close();
});

function scan(device: TestDevice, seq: number, overrides: Partial<ScanRecord> = {}): ScanRecord {
  return scanRecord({
    seq,
    gateId: device.enrollment.gate.id,
    eventId: seeded.eventId,
    ticketSerial: seq,
    scannedAt: cloud.now() - 60_000 + seq,
    clockOffsetMs: 1500,
    manifestSeq: 10,
    ...overrides,
  });
}

function upload(device: TestDevice, scans: unknown[]) {
  return cloud.call('POST', '/api/v1/sync/scans', { token: device.accessToken, body: { scans } });
}

describe('scan upload', () => {
  it('stores each scan once and acknowledges the gap-free prefix, whatever the order and repetition', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 25 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 1000 }),
        async (count, cuts, shuffleSeed) => {
          const device = await enrollTestDevice(cloud, seeded);
          const all = Array.from({ length: count }, (_, i) => scan(device, i + 1));
          // Batches: a shuffled, overlapping, repeated split of the log (what retries and replays produce).
          const order = [...all].sort(
            (a, b) => ((a.seq * 7919 + shuffleSeed) % 97) - ((b.seq * 7919 + shuffleSeed) % 97),
          );
          const batches: ScanRecord[][] = [];
          let start = 0;
          for (const cut of cuts) {
            const end = Math.min(order.length, start + 1 + (cut % 8));
            batches.push(order.slice(start, end), order.slice(Math.max(0, start - 2), end));
            start = end;
            if (start >= order.length) break;
          }
          if (start < order.length) batches.push(order.slice(start));
          let acked = 0;
          for (const batch of batches) {
            const response = await upload(device, batch);
            expect(response.status).toBe(200);
            expect(response.body.ackedSeq).toBeGreaterThanOrEqual(acked);
            acked = response.body.ackedSeq;
          }
          expect(acked).toBe(count);
          const replay = await upload(device, all);
          expect(replay.body).toMatchObject({ ackedSeq: count, stored: 0, duplicates: count });
        },
      ),
      { numRuns: 8 },
    );
  });

  it('holds the acknowledgement at a gap until the missing scan arrives', async () => {
    const device = await enrollTestDevice(cloud, seeded);
    expect((await upload(device, [scan(device, 1), scan(device, 2), scan(device, 4)])).body.ackedSeq).toBe(2);
    expect((await upload(device, [scan(device, 5)])).body.ackedSeq).toBe(2);
    expect((await upload(device, [scan(device, 3)])).body.ackedSeq).toBe(5);
  });

  it('quarantines a bad row, acknowledges it, and lets the rest through', async () => {
    const device = await enrollTestDevice(cloud, seeded);
    const poison = { ...scan(device, 2), reason: 'NOT_A_REASON', codeHash: 42 };
    const foreignGate = scan(device, 3, { gateId: seeded.gateIds[1] });
    const first = scan(device, 1);
    const response = await upload(device, [first, poison, foreignGate, scan(device, 4)]);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ ackedSeq: 4, stored: 2, quarantined: 2 });
    // A scan id re-sent under a new number is quarantined too, so the sequence never sticks.
    const reused = await upload(device, [{ ...scan(device, 5), id: first.id }]);
    expect(reused.body).toMatchObject({ ackedSeq: 5, stored: 0, quarantined: 1 });
  });

  it('refuses batches it cannot place: no seq, empty, too large, or from a user token', async () => {
    const device = await enrollTestDevice(cloud, seeded);
    expect((await upload(device, [])).status).toBe(400);
    expect((await upload(device, [{ id: 'x' }])).status).toBe(400);
    expect(
      (
        await upload(
          device,
          Array.from({ length: 1001 }, (_, i) => scan(device, i + 1)),
        )
      ).status,
    ).toBe(400);
    const user = await cloud.call('POST', '/api/v1/sync/scans', {
      token: seeded.adminToken,
      body: { scans: [scan(device, 1)] },
    });
    expect(user.status).toBe(401);
  });

  it('counts admissions from gate uploads in attendance', async () => {
    const fresh = await seedEvent(cloud, { vipGate: true, capacities: [50, 10] });
    const { buyTickets } = await import('../test-support/cloud');
    await buyTickets(cloud, fresh, { quantity: 3 });
    const device = await enrollTestDevice(cloud, fresh);
    const base = {
      gateId: device.enrollment.gate.id,
      eventId: fresh.eventId,
      generation: 1,
      decision: 'accept' as const,
      reason: 'OK' as const,
      detail: null,
      codeHash: 'AAAAAAAAAAAAAAAAAAAAAA',
      clockOffsetMs: 0,
      manifestSeq: 3,
    };
    const t = cloud.now();
    const scans: ScanRecord[] = [
      { ...base, id: uuidv7(), seq: 1, ticketSerial: 1, direction: 'in', scannedAt: t },
      { ...base, id: uuidv7(), seq: 2, ticketSerial: 2, direction: 'in', scannedAt: t + 1000 },
      { ...base, id: uuidv7(), seq: 3, ticketSerial: 2, direction: 'out', scannedAt: t + 2000 },
      {
        ...base,
        id: uuidv7(),
        seq: 4,
        ticketSerial: 3,
        direction: 'in',
        scannedAt: t + 3000,
        decision: 'reject',
        reason: 'REVOKED',
      },
    ];
    expect((await upload(device, scans)).body.ackedSeq).toBe(4);
    const report = await cloud.call('GET', `/api/v1/events/${fresh.eventId}/attendance`, {
      token: fresh.adminToken,
    });
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ admitted: 2, inside: 1 });
    expect(report.body.byGate).toEqual([
      { gateId: device.enrollment.gate.id, gateName: 'North', admitted: 2 },
    ]);
    expect(report.body.byTicketType).toEqual([{ typeNo: 1, name: 'Standard', admitted: 2 }]);
    expect(report.body.perMinute.reduce((n: number, m: { entries: number }) => n + m.entries, 0)).toBe(2);
    const other = await seedEvent(cloud);
    const cross = await cloud.call('GET', `/api/v1/events/${fresh.eventId}/attendance`, {
      token: other.adminToken,
    });
    expect(cross.status).toBe(404);
    const customer = await cloud.token('customer', fresh.tenant);
    expect(
      (await cloud.call('GET', `/api/v1/events/${fresh.eventId}/attendance`, { token: customer })).status,
    ).toBe(403);
  });
});
