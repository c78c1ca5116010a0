/**
 * Gate health reports end to end: a real gate agent, enrolled with the real cloud (production app, real
 * database) over loopback HTTP, scans and syncs; its report arrives in `devices.last_report`, in the
 * cloud's per-gate gauges and in the event operations JSON, and its own /metrics has the gate metric
 * names with the values its scans produced. A report that hangs or is refused never holds up an upload
 * (only the network in between is faked, by the link proxy of test-support/real-cloud.ts).
 */
import { Writable } from 'node:stream';
import { count, eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deviceScans, devices } from '../../cloud/db/schema';
import { buyTickets } from '../../cloud/test-support/cloud';
import { type GateReport, GateReport as GateReportSchema } from '../../shared/sync-protocol/index';
import { type GateAgent, startGateAgent } from '../agent';
import { type RealCloud, startRealCloud } from '../test-support/real-cloud';
import { makeTempDir } from '../test-support/stores';
import { GATE_AGENT_VERSION } from './sync-engine';

const GATE_METRICS = [
  'gate_decision_latency_seconds',
  'gate_decisions_total',
  'gate_sync_failures_total',
  'gate_scans_pending_upload',
  'gate_manifest_age_seconds',
  'gate_offline_seconds',
  'gate_last_upload_age_seconds',
] as const;

let real: RealCloud;
let dataDir: string;
const agents: GateAgent[] = [];
let tickets: Array<{ id: string; qr: string }>;
let logLines: string[];

/** The gate's clock: two hours after the cloud's (inside the event's doors), moving with it. */
const gateClock = () => real.cloud.now() + 2 * 3_600_000;

async function start(cloudUrl: string): Promise<GateAgent> {
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    }),
  );
  const agent = await startGateAgent({
    dataDir,
    cloudUrl,
    enrollmentToken: await real.enrollmentToken(),
    port: 0,
    clock: gateClock,
    logger,
    syncIntervalMs: 3_600_000,
  });
  agents.push(agent);
  return agent;
}

async function until<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function storedReport(deviceId: string) {
  const [row] = await real.cloud.database.db
    .select({ report: devices.lastReport, at: devices.lastReportAt })
    .from(devices)
    .where(eq(devices.id, deviceId));
  return row?.report ? { report: GateReportSchema.parse(row.report), at: row.at } : undefined;
}

async function cloudScans(deviceId: string) {
  const [row] = await real.cloud.database.db
    .select({ n: count() })
    .from(deviceScans)
    .where(eq(deviceScans.deviceId, deviceId));
  return row?.n ?? 0;
}

async function gateMetrics(agent: GateAgent): Promise<string> {
  const response = await fetch(`${agent.url}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

beforeEach(async () => {
  logLines = [];
  real = await startRealCloud();
  const { purchase } = await buyTickets(real.cloud, real.seeded, { quantity: 4 });
  tickets = purchase.tickets;
  dataDir = makeTempDir();
});

afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.close();
  await real.stop();
});

/** The value of the sample `name{labels}` in a Prometheus text exposition. */
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

describe('gate health report through a real sync', () => {
  it('reaches devices.last_report, the per-gate gauges and the operations JSON', async () => {
    const agent = await start(real.url);
    const { deviceId } = await agent.syncNow();
    expect(deviceId).toBeTruthy();
    expect((await agent.scan(tickets[0]!.qr)).reason).toBe('OK');
    expect((await agent.scan(tickets[1]!.qr)).reason).toBe('OK');
    expect((await agent.scan(tickets[0]!.qr)).reason).toBe('ALREADY_USED');
    expect((await agent.scan('NOT A TICKET')).reason).toBe('INVALID');
    await agent.syncNow();

    const stored = await until(async () => {
      const row = await storedReport(deviceId!);
      return row && row.report.decisions.accepted === 2 && row.report.pendingUploads === 0 ? row : undefined;
    });
    const report: GateReport = stored.report;
    expect(report).toMatchObject({
      agentVersion: GATE_AGENT_VERSION,
      online: true,
      offlineSeconds: 0,
      pendingUploads: 0,
      lastScanSeq: 4,
      decisions: { accepted: 2, rejected: 2 },
      rejectsByReason: { ALREADY_USED: 1, INVALID: 1 },
      syncFailures: { pull: 0, upload: 0 },
    });
    expect(report.deviceTime).toBe(gateClock());
    expect(report.clockOffsetMs).toBe(-2 * 3_600_000);
    expect(report.events).toEqual([
      expect.objectContaining({ eventId: real.seeded.eventId, tickets: 4, manifestAgeSeconds: 0 }),
    ]);
    expect(stored.at?.getTime()).toBe(real.cloud.now());
    expect(await cloudScans(deviceId!)).toBe(4);

    real.cloud.advance(20_000);
    const ops = await real.cloud.token('ops', 'platform');
    const metrics = String((await real.cloud.call('GET', '/metrics', { token: ops })).body);
    const labels = {
      tenant: real.seeded.tenant,
      venue: real.seeded.venueId,
      gate: real.seeded.gateIds[0]!,
      device: deviceId!,
    };
    expect(sample(metrics, 'gate_last_report_age_seconds', labels)).toBe(20);
    expect(sample(metrics, 'gate_reported_pending_uploads', labels)).toBe(0);
    expect(sample(metrics, 'gate_reported_decisions_total', labels)).toBe(4);
    expect(sample(metrics, 'gate_reported_rejects_total', { ...labels, reason: 'INVALID' })).toBe(1);
    expect(sample(metrics, 'gate_reported_manifest_age_seconds', labels)).toBe(0);
    expect(sample(metrics, 'gate_reported_offline_seconds', labels)).toBe(0);

    const view = await real.cloud.call('GET', `/api/v1/events/${real.seeded.eventId}/operations`, {
      token: real.seeded.adminToken,
    });
    expect(view.status).toBe(200);
    const north = view.body.gates.find((g: { name: string }) => g.name === 'North');
    // Rejected: ALREADY_USED and the unreadable code; amber because of the clock (below).
    expect(north).toMatchObject({ health: 'warning', admitted: 2, accepted: 2, rejected: 2 });
    expect(north.devices[0]).toMatchObject({
      deviceId,
      connection: 'online',
      pendingUploads: 0,
      manifestAgeSeconds: 20,
      clockSkewMs: -2 * 3_600_000,
      decisions: { accepted: 2, rejected: 2 },
    });
    // The device's clock is two hours ahead: the page says so.
    expect(north.devices[0].problems).toEqual(['clock 2.0 h ahead']);
    // INVALID named no event; it counts here as a scan of this event's device on its day.
    expect(view.body.rejectReasons).toEqual([
      { reason: 'ALREADY_USED', count: 1 },
      { reason: 'INVALID', count: 1 },
    ]);
  });

  it('the gate’s /metrics has its metric names with the values its scans and outage produced', async () => {
    const agent = await start(real.url);
    await agent.syncNow();
    await agent.scan(tickets[0]!.qr);
    await agent.scan(tickets[0]!.qr);
    let text = await gateMetrics(agent);
    for (const name of GATE_METRICS) expect(text, name).toContain(`# TYPE ${name} `);
    expect(sample(text, 'gate_decisions_total', { decision: 'accept', reason: 'OK' })).toBe(1);
    expect(sample(text, 'gate_decisions_total', { decision: 'reject', reason: 'ALREADY_USED' })).toBe(1);
    expect(sample(text, 'gate_decision_latency_seconds_count', { decision: 'accept', reason: 'OK' })).toBe(1);
    expect(sample(text, 'gate_scans_pending_upload')).toBe(2);
    expect(sample(text, 'gate_manifest_age_seconds', { event: real.seeded.eventId })).toBe(0);
    expect(sample(text, 'gate_offline_seconds')).toBe(0);

    await agent.syncNow();
    // The link goes down right after that sync, before the test clock moves: otherwise a background
    // contact (the admission stream reconnecting, a health report) at the advanced clock would move
    // "last contact" and the figures below would depend on how busy the machine is.
    real.link = 'down';
    real.cloud.advance(30_000);
    text = await gateMetrics(agent);
    expect(sample(text, 'gate_scans_pending_upload')).toBe(0);
    expect(sample(text, 'gate_last_upload_age_seconds')).toBe(30);

    await agent.syncNow();
    real.cloud.advance(45_000);
    text = await gateMetrics(agent);
    // Offline since the last contact: the sync 30 + 45 s of (test) clock ago.
    expect(sample(text, 'gate_offline_seconds')).toBe(75);
    expect(sample(text, 'gate_sync_failures_total', { direction: 'pull' })).toBeGreaterThanOrEqual(1);
    // Nothing was waiting, so the upload loop had no reason to call the cloud and did not fail.
    expect(sample(text, 'gate_sync_failures_total', { direction: 'upload' })).toBeUndefined();
    expect(sample(text, 'gate_manifest_age_seconds', { event: real.seeded.eventId })).toBe(75);
    expect(sample(text, 'gate_last_upload_age_seconds')).toBe(75);
  });
});

describe('a report never holds anything up', () => {
  it('uploads and scans go on while reports hang, and a refused report is logged and counted', async () => {
    const agent = await start(real.url);
    const { deviceId } = await agent.syncNow();
    await until(async () => (await storedReport(deviceId!)) ?? undefined);

    real.link = 'hang-reports';
    expect((await agent.scan(tickets[0]!.qr)).reason).toBe('OK');
    expect((await agent.syncNow()).pendingUploads).toBe(0);
    await until(() => (real.heldReports > 0 ? true : undefined)); // the cycle's report is stuck in the link
    expect((await agent.scan(tickets[1]!.qr)).reason).toBe('OK');
    const started = performance.now();
    const status = await agent.syncNow();
    // Inside the stuck report's 5 s timeout: the upload did not wait for it (the bound is the timeout
    // itself, not a guess at how fast a loaded machine is).
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(status.pendingUploads).toBe(0);
    expect(await cloudScans(deviceId!)).toBe(2);

    real.link = 'refuse-reports';
    expect((await agent.scan(tickets[2]!.qr)).reason).toBe('OK');
    expect((await agent.syncNow()).pendingUploads).toBe(0);
    expect(await cloudScans(deviceId!)).toBe(3);
    await until(() => (logLines.some((l) => l.includes('health report refused')) ? true : undefined));
    const text = await gateMetrics(agent);
    expect(sample(text, 'gate_sync_failures_total', { direction: 'report' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'gate_sync_failures_total', { direction: 'upload' })).toBeUndefined();
    // What the cloud holds is still the last report that got through: before the three scans.
    expect((await storedReport(deviceId!))?.report.decisions.accepted).toBe(0);
  });
});
