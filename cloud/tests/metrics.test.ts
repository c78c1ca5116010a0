/**
 * The cloud's /metrics (ops only): every metric of the contract the dashboard and alert rules are built
 * on is there after a purchase, a scan upload and a gate report, with the values those produced; the
 * scrape-time gauges (job queue, pool, dependencies, per-gate reports) read their sources and survive a
 * source that hangs or fails.
 */
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { collectDefaultMetrics } from 'prom-client';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTSIDE } from '../../shared/admission/zones';
import { createMetrics, SOURCE_TIMEOUT_MS } from '../http/metrics';
import { issueTicketsInBulk } from '../test-support/bulk-tickets';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';
import { enrollTestDevice } from '../test-support/devices';
import { gateReport, sendGateReport } from '../test-support/gate-report';
import { addZones, writeAdmissions } from '../test-support/zones';

/** The cloud metric names agreed with the dashboard and alert rules (deploy/). */
const CLOUD_METRICS = [
  'http_requests_total',
  'http_request_duration_seconds',
  'http_errors_total',
  'ticket_holds_total',
  'ticket_purchases_total',
  'ticket_refunds_total',
  'scans_ingested_total',
  'jobs_total',
  'job_duration_seconds',
  'minting_requests_total',
  'reconciliation_runs_total',
  'reconciliation_findings_total',
  'job_queue_depth',
  'db_pool_connections',
  'db_scan_pool_connections',
  'dependency_up',
  'gate_last_report_age_seconds',
  'gate_reported_manifest_age_seconds',
  'gate_reported_pending_uploads',
  'gate_reported_offline_seconds',
  'gate_reported_decisions_total',
  'gate_reported_rejects_total',
  'gate_reported_accepts_total',
  'gate_reported_clock_skew_seconds',
  'gate_device_info',
  'metrics_source_errors_total',
  'zone_occupancy',
  'zone_capacity',
  'process_resident_memory_bytes',
  'nodejs_eventloop_lag_p99_seconds',
] as const;

let cloud: TestCloud;
let seeded: SeededEvent;
let opsToken: string;

beforeAll(async () => {
  cloud = await createTestCloud();
  // What server.ts turns on with createMetrics({ defaultMetrics: true }).
  collectDefaultMetrics({ register: cloud.metrics.registry });
  seeded = await seedEvent(cloud);
  opsToken = await cloud.token('ops', 'platform');
});
afterAll(async () => {
  await cloud?.close();
});

async function scrape(): Promise<string> {
  const response = await cloud.call('GET', '/metrics', { token: opsToken });
  expect(response.status).toBe(200);
  return String(response.body);
}

/** The value of the sample `name{labels}` (labels in any order, all given ones must match). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

describe('cloud /metrics', () => {
  it('is for ops only', async () => {
    expect((await cloud.call('GET', '/metrics')).status).toBe(401);
    expect((await cloud.call('GET', '/metrics', { token: seeded.adminToken })).status).toBe(403);
  });

  it('has every contract metric after a purchase, a scan upload, a gate report and an online scan', async () => {
    const { purchase } = await buyTickets(cloud, seeded, { quantity: 2 });
    const device = await enrollTestDevice(cloud, seeded);
    const upload = await cloud.call('POST', '/api/v1/sync/scans', {
      token: device.accessToken,
      body: {
        scans: [
          {
            id: uuidv7(),
            seq: 1,
            gateId: device.enrollment.gate.id,
            eventId: seeded.eventId,
            ticketSerial: 1,
            generation: 1,
            direction: 'in',
            decision: 'accept',
            reason: 'OK',
            detail: null,
            codeHash: 'AAAAAAAAAAAAAAAAAAAAAA',
            scannedAt: cloud.now(),
            clockOffsetMs: 0,
            manifestSeq: 1,
          },
          { seq: 2, not: 'a scan' },
        ],
      },
    });
    expect(upload.status).toBe(200);
    const report = gateReport(cloud, {
      pendingUploads: 7,
      offlineSeconds: 0,
      clockOffsetMs: -2_000,
      events: [
        { eventId: seeded.eventId, manifestSeq: 3, tickets: 2, manifestAgeSeconds: 40 },
        { eventId: uuidv7(), manifestSeq: 1, tickets: 0, manifestAgeSeconds: 90 },
      ],
    });
    expect((await sendGateReport(cloud, device, report)).status).toBe(200);
    // An online scan, decided on the scan pool (accepted or not, it took a connection there).
    const staff = await cloud.token('venue_staff', seeded.tenant);
    const scanned = await cloud.call('POST', '/api/v1/validate', {
      token: staff,
      body: { qr: purchase.tickets[0].qr, gateId: seeded.gateIds[0] },
    });
    expect(scanned.status).toBe(200);
    cloud.advance(12_000);
    // An error response, for http_errors_total.
    expect((await cloud.call('GET', `/api/v1/events/${uuidv7()}`, { token: seeded.adminToken })).status).toBe(
      404,
    );

    const text = await scrape();
    for (const name of CLOUD_METRICS) expect(text, name).toContain(`# TYPE ${name} `);

    expect(sample(text, 'ticket_purchases_total', { outcome: 'completed' })).toBe(1);
    expect(sample(text, 'ticket_holds_total', { outcome: 'created' })).toBe(1);
    expect(sample(text, 'scans_ingested_total', { outcome: 'stored' })).toBe(1);
    expect(sample(text, 'scans_ingested_total', { outcome: 'quarantined' })).toBe(1);
    expect(sample(text, 'http_errors_total', { code: 'NOT_FOUND' })).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'http_requests_total', { method: 'POST', route: '/api/v1/sync/report', status: '200' }),
    ).toBe(1);
    expect(sample(text, 'dependency_up', { dependency: 'database' })).toBe(1);
    expect(sample(text, 'db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'db_pool_connections', { state: 'waiting' })).toBe(0);
    expect(sample(text, 'db_scan_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'db_scan_pool_connections', { state: 'waiting' })).toBe(0);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    // The purchase queued its hold's expiry: the in-process runner counts it.
    expect(text).toMatch(/^job_queue_depth\{job="[a-z-]+",state="(waiting|delayed|active|failed)"\} \d+$/m);

    const gate = {
      tenant: seeded.tenant,
      venue: seeded.venueId,
      gate: seeded.gateIds[0]!,
      device: device.deviceId,
    };
    expect(sample(text, 'gate_last_report_age_seconds', gate)).toBe(12);
    expect(sample(text, 'gate_reported_manifest_age_seconds', gate)).toBe(90);
    expect(sample(text, 'gate_reported_pending_uploads', gate)).toBe(7);
    expect(sample(text, 'gate_reported_offline_seconds', gate)).toBe(0);
    expect(sample(text, 'gate_reported_decisions_total', gate)).toBe(42);
    expect(sample(text, 'gate_reported_accepts_total', gate)).toBe(39);
    expect(sample(text, 'gate_reported_rejects_total', { ...gate, reason: 'ALREADY_USED' })).toBe(2);
    expect(sample(text, 'gate_reported_clock_skew_seconds', gate)).toBe(-2);
    expect(sample(text, 'gate_device_info', { ...gate, gate_name: 'North', venue_name: 'Arena' })).toBe(1);
  });

  it('drops a revoked device from the per-gate gauges', async () => {
    const device = await enrollTestDevice(cloud, seeded, 1);
    expect((await sendGateReport(cloud, device, gateReport(cloud))).status).toBe(200);
    expect(sample(await scrape(), 'gate_reported_pending_uploads', { device: device.deviceId })).toBe(3);
    await cloud.call('POST', `/api/v1/devices/${device.deviceId}/revoke`, { token: seeded.adminToken });
    expect(
      sample(await scrape(), 'gate_reported_pending_uploads', { device: device.deviceId }),
    ).toBeUndefined();
  });
});

describe('occupancy per zone', () => {
  it('exports zone_occupancy and zone_capacity of live events only, as the occupancy endpoint counts', async () => {
    const live = await seedEvent(cloud);
    const [hall, lounge, terrace] = await addZones(cloud, live, [
      { name: 'Hall', capacity: 10 },
      { name: 'Lounge', capacity: 4 },
      { name: 'Terrace' },
    ]);
    const s = (await issueTicketsInBulk(cloud, live, 6)).map((ticket) => ticket.serial);
    // Doors not open yet, but moves a minute ago (a soundcheck crowd): live.
    const at = cloud.now() - 60_000;
    const into = (i: number, zone: string) => ({
      serial: s[i]!,
      origin: 'gate-a',
      originSeq: i + 1,
      direction: 'in' as const,
      at: at + i,
      fromZone: OUTSIDE,
      toZone: zone,
    });
    await writeAdmissions(cloud, live, [
      into(0, hall!),
      into(1, hall!),
      into(2, lounge!),
      into(3, lounge!),
      into(4, lounge!),
    ]);
    await writeAdmissions(cloud, live, [
      {
        serial: s[4]!,
        origin: 'gate-a',
        originSeq: 6,
        direction: 'out',
        at: at + 10,
        fromZone: lounge!,
        toZone: OUTSIDE,
      },
    ]);
    // Another event of the same venue, doors not open and no moves: not exported.
    const quiet = await seedEvent(cloud);

    const text = await scrape();
    const zone = (id: string, name: string) => ({ event_id: live.eventId, zone_id: id, zone: name });
    expect(sample(text, 'zone_occupancy', zone(hall!, 'Hall'))).toBe(2);
    expect(sample(text, 'zone_occupancy', zone(lounge!, 'Lounge'))).toBe(2);
    expect(sample(text, 'zone_occupancy', zone(terrace!, 'Terrace'))).toBe(0);
    expect(sample(text, 'zone_capacity', zone(hall!, 'Hall'))).toBe(10);
    expect(sample(text, 'zone_capacity', zone(lounge!, 'Lounge'))).toBe(4);
    expect(sample(text, 'zone_capacity', zone(terrace!, 'Terrace'))).toBeUndefined();
    expect(sample(text, 'zone_occupancy', { event_id: quiet.eventId })).toBeUndefined();
    expect(text).toMatch(/# HELP zone_occupancy .*doors open or an admission in the last 6 h/);
  });
});

describe('series that exist before their first event', () => {
  it('starts every business and job counter at zero, so the first increment is visible to rate()', async () => {
    const text = await createMetrics().registry.metrics();
    for (const series of [
      'reconciliation_findings_total{kind="double_admission"} 0',
      'reconciliation_findings_total{kind="revoked_admission"} 0',
      'jobs_total{job="refund",outcome="failed"} 0',
      'jobs_total{job="mint-ticket",outcome="failed"} 0',
      'minting_requests_total{outcome="circuit_open"} 0',
      'ticket_purchases_total{outcome="failed"} 0',
      'scans_ingested_total{outcome="quarantined"} 0',
    ]) {
      expect(text).toContain(series);
    }
  });
});

describe('scrape-time sources', () => {
  it('a job queue source that hangs or throws leaves the gauge empty and the scrape answers', async () => {
    const metrics = createMetrics();
    metrics.attach({
      jobDepth: async () => [
        { job: 'refund', state: 'waiting', count: 4 },
        { job: 'refund', state: 'failed', count: 1 },
      ],
    });
    let text = await metrics.registry.metrics();
    expect(sample(text, 'job_queue_depth', { job: 'refund', state: 'waiting' })).toBe(4);
    expect(sample(text, 'job_queue_depth', { job: 'refund', state: 'failed' })).toBe(1);

    metrics.attach({ jobDepth: () => new Promise(() => {}) });
    const started = performance.now();
    text = await metrics.registry.metrics();
    expect(performance.now() - started).toBeLessThan(SOURCE_TIMEOUT_MS + 1_000);
    expect(sample(text, 'job_queue_depth', { job: 'refund', state: 'waiting' })).toBeUndefined();

    metrics.attach({
      jobDepth: async () => {
        throw new Error('redis down');
      },
    });
    text = await metrics.registry.metrics();
    expect(sample(text, 'job_queue_depth', { job: 'refund', state: 'waiting' })).toBeUndefined();
    // Counted as each scrape's sources settle, so a failure shows in the next scrape's counter.
    metrics.attach({ jobDepth: async () => [{ job: 'refund', state: 'waiting', count: 0 }] });
    text = await metrics.registry.metrics();
    expect(sample(text, 'metrics_source_errors_total', { source: 'job_queue_depth' })).toBe(2);
    expect(sample(text, 'job_queue_depth', { job: 'refund', state: 'waiting' })).toBe(0);
  });

  it('dependency_up follows the readiness checks: a real Redis up, an unreachable one down', async () => {
    const redisUrl = process.env['REDIS_URL'];
    if (!redisUrl && process.env['CI'] === 'true') throw new Error('CI=true but REDIS_URL is not set');
    const metrics = createMetrics();
    const up = redisUrl ? new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 }) : undefined;
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    down.on('error', () => {});
    try {
      metrics.attach({
        dependencies: {
          database: async () => {},
          ...(up ? { redis: async () => void (await up.ping()) } : {}),
          'redis-down': async () => {
            await down.connect().catch(() => {});
            await down.ping();
          },
          hanging: () => new Promise(() => {}),
        },
      });
      const text = await metrics.registry.metrics();
      expect(sample(text, 'dependency_up', { dependency: 'database' })).toBe(1);
      if (up) expect(sample(text, 'dependency_up', { dependency: 'redis' })).toBe(1);
      expect(sample(text, 'dependency_up', { dependency: 'redis-down' })).toBe(0);
      expect(sample(text, 'dependency_up', { dependency: 'hanging' })).toBe(0);
    } finally {
      up?.disconnect();
      down.disconnect();
    }
  });
});

/** Debian's promtool (`apt-get install prometheus`; .ci/run installs it), or undefined. */
const promtool = spawnSync('promtool', ['--version']).status === 0 ? 'promtool' : undefined;

describe.skipIf(!promtool && process.env['CI'] !== 'true')('promtool check metrics', () => {
  it('finds nothing to say about the cloud’s own metrics (Node’s default metrics aside)', async () => {
    if (!promtool)
      throw new Error('promtool is not installed (apt-get install prometheus): CI must run this');
    // Series of every kind first: a gate report (per-gate gauges and counters), a purchase, an error.
    const device = await enrollTestDevice(cloud, seeded, 0);
    expect((await sendGateReport(cloud, device, gateReport(cloud))).status).toBe(200);
    await buyTickets(cloud, seeded);
    await cloud.call('GET', '/api/v1/nothing-here', { token: opsToken });
    const text = await scrape();
    expect(text).toContain('# TYPE gate_reported_decisions_total counter');
    const checked = spawnSync(promtool, ['check', 'metrics'], {
      input: text,
      encoding: 'utf8',
      timeout: 30_000,
    });
    const problems = `${checked.stdout}${checked.stderr}`
      .split('\n')
      .filter((line) => line.trim() !== '')
      // prom-client's default process and Node.js metrics are not ours to rename.
      .filter((line) => !/^(nodejs_|process_)/.test(line.trim()));
    expect(problems).toEqual([]);
  });
});
