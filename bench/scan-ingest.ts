/**
 * Scan-log ingestion rate of one cloud process on real PostgreSQL (SPEC section 9: ≥ 20,000 scans/s).
 * Starts the real server, enrolls gate devices through the API (each with its own key pair), and has
 * them upload their scan logs at once in batches of 1,000 — the size the gate agent uses — until every
 * scan is acknowledged. The figure is acknowledged scans per second of wall time; the floor is the same
 * rows written by one bare multi-row INSERT per batch from this process, without HTTP or validation.
 *
 *   npx tsx bench/scan-ingest.ts        (BENCH_QUICK=1 for a short harness check)
 */

import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { generateDeviceKeyPair, signDetached, toBase64Url } from '../shared/crypto';
import { deviceTokenMessage, type ScanRecord } from '../shared/sync-protocol';
import { benchDatabaseServer, startBenchCloud } from './lib/cloud-process';
import { publishedEvent } from './lib/published-event';
import type { BenchResult } from './lib/report';

const BATCH = 1000;

interface Device {
  deviceId: string;
  gateId: string;
  accessToken: string;
}

async function enroll(
  cloud: Awaited<ReturnType<typeof startBenchCloud>>,
  tenant: string,
  gateId: string,
  i: number,
): Promise<Device> {
  const { token } = await cloud.api<{ token: string }>(
    'admin',
    tenant,
    'POST',
    `/api/v1/gates/${gateId}/enrollments`,
    {},
  );
  const keys = generateDeviceKeyPair();
  const response = await fetch(`${cloud.url}/api/v1/devices/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      enrollmentToken: token,
      publicKey: toBase64Url(keys.publicKey),
      name: `bench ${i}`,
    }),
  });
  const body = (await response.json()) as { deviceId: string; credentials: { accessToken: string } };
  if (response.status !== 201) throw new Error(`enroll: ${response.status} ${JSON.stringify(body)}`);
  // Exercise the token path once, as a gate does after enrollment expires its first token.
  const challenge = (await (
    await fetch(`${cloud.url}/api/v1/devices/challenge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deviceId: body.deviceId }),
    })
  ).json()) as { challenge: string };
  const signature = signDetached(
    keys.privateKey,
    deviceTokenMessage(body.deviceId, challenge.challenge),
    'device-request',
  );
  const token2 = (await (
    await fetch(`${cloud.url}/api/v1/devices/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        deviceId: body.deviceId,
        challenge: challenge.challenge,
        signature: toBase64Url(signature),
      }),
    })
  ).json()) as { accessToken: string };
  return { deviceId: body.deviceId, gateId, accessToken: token2.accessToken };
}

function scansFor(device: Device, eventId: string, count: number, start: number): ScanRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    id: uuidv7(),
    seq: start + i,
    gateId: device.gateId,
    eventId,
    ticketSerial: ((start + i) % 100_000) + 1,
    generation: 1,
    direction: i % 5 === 4 ? 'out' : 'in',
    decision: i % 10 === 9 ? 'reject' : 'accept',
    reason: i % 10 === 9 ? 'ALREADY_USED' : 'OK',
    detail: null,
    codeHash: 'AAAAAAAAAAAAAAAAAAAAAA',
    scannedAt: Date.now() - 3_600_000 + i,
    clockOffsetMs: 250,
    manifestSeq: 100,
  }));
}

export async function benchScanIngest(options: { quick: boolean }): Promise<BenchResult[]> {
  if (!benchDatabaseServer()) return [];
  const devicesCount = options.quick ? 2 : 8;
  const perDevice = options.quick ? 2 * BATCH : 25 * BATCH;
  const cloud = await startBenchCloud('bench_ingest');
  try {
    const tenant = 'bench-ingest';
    const venue = await cloud.api('admin', tenant, 'POST', '/api/v1/venues', {
      name: 'Ingest Arena',
      timezone: 'UTC',
    });
    const now = Date.now();
    const { eventId } = await publishedEvent(
      cloud,
      tenant,
      {
        venueId: venue.id,
        name: 'Ingest Night',
        startsAt: new Date(now),
        endsAt: new Date(now + 86_400_000),
      },
      { name: 'General', priceCents: 1000, capacity: 10 },
    );
    const devices: Device[] = [];
    for (let i = 0; i < devicesCount; i++) {
      const gate = await cloud.api('admin', tenant, 'POST', `/api/v1/venues/${venue.id}/gates`, {
        name: `Gate ${i}`,
      });
      devices.push(await enroll(cloud, tenant, gate.id, i));
    }
    // Bodies are built before the clock starts: the figure is the cloud's, not the generator's.
    const bodies = devices.map((device) =>
      Array.from({ length: perDevice / BATCH }, (_, b) =>
        JSON.stringify({ scans: scansFor(device, eventId, BATCH, b * BATCH + 1) }),
      ),
    );
    const started = performance.now();
    const acked = await Promise.all(
      devices.map(async (device, d) => {
        let last = 0;
        for (const body of bodies[d]!) {
          const response = await fetch(`${cloud.url}/api/v1/sync/scans`, {
            method: 'POST',
            headers: { authorization: `Bearer ${device.accessToken}`, 'content-type': 'application/json' },
            body,
          });
          const ack = (await response.json()) as { ackedSeq: number };
          if (response.status !== 200) throw new Error(`upload: ${response.status} ${JSON.stringify(ack)}`);
          last = ack.ackedSeq;
        }
        return last;
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const total = acked.reduce((a, b) => a + b, 0);
    if (total !== devicesCount * perDevice)
      throw new Error(`acknowledged ${total} of ${devicesCount * perDevice}`);

    // Floor: the same number of rows written by bare multi-row INSERTs over one connection per device.
    const client = new pg.Pool({ connectionString: cloud.databaseUrl, max: devicesCount });
    await client.query('create table floor_scans (like device_scans including defaults including indexes)');
    const floorBatches = devices.map((device) =>
      Array.from({ length: perDevice / BATCH }, (_, b) => scansFor(device, eventId, BATCH, b * BATCH + 1)),
    );
    const floorStart = performance.now();
    await Promise.all(
      devices.map(async (device, d) => {
        for (const rows of floorBatches[d]!) {
          const values: unknown[] = [];
          const tuples = rows.map((r, i) => {
            values.push(
              device.deviceId,
              r.seq,
              r.id,
              tenant,
              r.gateId,
              r.eventId,
              r.ticketSerial,
              r.direction,
              r.reason,
              new Date(r.scannedAt),
              new Date(),
            );
            const o = i * 11;
            return `($${o + 1},$${o + 2},$${o + 3},$${o + 4},$${o + 5},$${o + 6},$${o + 7},$${o + 8},$${o + 9},$${o + 10},$${o + 11})`;
          });
          await client.query(
            `insert into floor_scans (device_id, seq, id, tenant_id, gate_id, event_id, ticket_serial, direction, reason, scanned_at, received_at) values ${tuples.join(',')} on conflict do nothing`,
            values,
          );
        }
      }),
    );
    const floorSeconds = (performance.now() - floorStart) / 1000;
    await client.end();
    const rate = total / seconds;
    const floorRate = total / floorSeconds;
    return [
      {
        name: 'scan ingest rate',
        value: rate,
        unit: 'scans/s',
        target: '>= 20000',
        floor: floorRate,
        ratio: floorRate / rate,
        pass: rate >= 20_000,
        note: `${devicesCount} devices × ${perDevice} scans in batches of ${BATCH}, ${seconds.toFixed(2)} s; floor = bare multi-row INSERT of the same rows (ratio = floor rate / figure)`,
      },
    ];
  } finally {
    await cloud.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { printTable } = await import('./lib/report');
  printTable(await benchScanIngest({ quick: process.env.BENCH_QUICK === '1' }));
}
