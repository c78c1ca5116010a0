/**
 * The sync client and engine against a stand-in cloud over real loopback HTTP (test-support/fake-cloud:
 * the real cloud endpoints do not exist yet). Covers enrollment, device tokens, manifest pull with
 * gzip and signatures, re-snapshot after a restore, the push stream, exactly-once upload through an
 * outage and lost acknowledgements, and revocation wiping the device.
 */
import { rmSync } from 'node:fs';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GateAgent, startGateAgent } from '../agent';
import { FakeCloud } from '../test-support/fake-cloud';
import { ManifestFixture } from '../test-support/manifest-fixture';
import { makeTempDir } from '../test-support/stores';

const logger = pino({ level: 'silent' });
let fixture: ManifestFixture;
let cloud: FakeCloud;
let dataDir: string;
const agents: GateAgent[] = [];

async function start(extra: { enrollmentToken?: string; syncIntervalMs?: number } = {}): Promise<GateAgent> {
  const agent = await startGateAgent({
    dataDir,
    cloudUrl: cloud.url,
    port: 0,
    clock: () => fixture.cloudTime,
    logger,
    syncIntervalMs: extra.syncIntervalMs ?? 3_600_000,
    ...(extra.enrollmentToken ? { enrollmentToken: extra.enrollmentToken } : {}),
  });
  agents.push(agent);
  return agent;
}

beforeEach(async () => {
  fixture = new ManifestFixture();
  for (let serial = 1; serial <= 20; serial++) fixture.issue(serial);
  cloud = new FakeCloud({ fixtures: [fixture] });
  await cloud.start();
  dataDir = makeTempDir();
});

afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.close();
  await cloud.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('enrollment and pull', () => {
  it('enrolls with a one-time token, pulls the manifest and scans offline against it', async () => {
    const agent = await start({ enrollmentToken: cloud.newEnrollmentToken() });
    const status = await agent.syncNow();
    expect(status.deviceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(status.gate).toEqual({ id: cloud.gate.id, name: cloud.gate.name });
    expect(status.online).toBe(true);
    expect(status.events).toEqual([
      {
        id: fixture.eventId,
        name: fixture.event.name,
        manifestSeq: fixture.head,
        tickets: 20,
        manifestAgeSeconds: 0,
      },
    ]);
    expect((await agent.scan(fixture.tokens.get(1)!)).reason).toBe('OK');
  });

  it('refuses a used enrollment token at start', async () => {
    const token = cloud.newEnrollmentToken();
    const first = await start({ enrollmentToken: token });
    await first.close();
    rmSync(dataDir, { recursive: true, force: true });
    dataDir = makeTempDir();
    await expect(start({ enrollmentToken: token })).rejects.toMatchObject({
      code: 'ENROLLMENT_TOKEN_INVALID',
    });
  });

  it('a later start needs only the data directory', async () => {
    const first = await start({ enrollmentToken: cloud.newEnrollmentToken() });
    const { deviceId } = await first.syncNow();
    await first.close();
    const again = await startGateAgent({
      dataDir,
      port: 0,
      clock: () => fixture.cloudTime,
      logger,
      syncIntervalMs: 3_600_000,
    });
    agents.push(again);
    const status = await again.syncNow();
    expect(status.deviceId).toBe(deviceId);
    expect(status.online).toBe(true);
  });

  it('a port given again overrides the stored one; 0 (ephemeral) is never stored', async () => {
    const probe = await start({ enrollmentToken: cloud.newEnrollmentToken() });
    const freePort = probe.port; // free a moment ago: reuse it as the explicit port
    await probe.close();
    const explicit = await startGateAgent({
      dataDir,
      port: freePort,
      clock: () => fixture.cloudTime,
      logger,
      syncIntervalMs: 3_600_000,
    });
    expect(explicit.port).toBe(freePort);
    await explicit.close();
    const stored = await startGateAgent({
      dataDir,
      clock: () => fixture.cloudTime,
      logger,
      syncIntervalMs: 3_600_000,
    });
    agents.push(stored);
    expect(stored.port).toBe(freePort);
  });

  it('re-snapshots after the cloud was restored from a backup (409) and sees changes made since', async () => {
    const agent = await start({ enrollmentToken: cloud.newEnrollmentToken() });
    await agent.syncNow();
    fixture.restoreFromBackup();
    fixture.revoke(5);
    const status = await agent.syncNow();
    expect(status.events[0]!.manifestSeq).toBe(fixture.head);
    expect((await agent.scan(fixture.tokens.get(5)!)).reason).toBe('REVOKED');
  });

  it('renews an access token the cloud no longer accepts', async () => {
    const agent = await start({ enrollmentToken: cloud.newEnrollmentToken() });
    await agent.syncNow();
    cloud.accessTokens.clear();
    fixture.issue(21);
    const status = await agent.syncNow();
    expect(cloud.hits.get('token')).toBeGreaterThanOrEqual(1);
    expect(status.events[0]!.tickets).toBe(21);
    expect(status.deviceId).not.toBeNull();
  });

  it('a change announced on the push stream reaches an online gate within 2 seconds', async () => {
    const agent = await start({ enrollmentToken: cloud.newEnrollmentToken() });
    await agent.syncNow();
    await until(() => (cloud.hits.get('stream') ?? 0) > 0);
    fixture.revoke(7);
    const announced = Date.now();
    cloud.notify(fixture.eventId);
    await until(async () => (await agent.status()).events[0]!.manifestSeq === fixture.head, 2000);
    expect(Date.now() - announced).toBeLessThan(2000);
    expect((await agent.scan(fixture.tokens.get(7)!)).reason).toBe('REVOKED');
  });
});

describe('scan upload', () => {
  it('scanning goes on while the cloud is down; afterwards every scan arrives exactly once', async () => {
    const agent = await start({ enrollmentToken: cloud.newEnrollmentToken() });
    const { deviceId } = await agent.syncNow();
    await cloud.stop();
    for (let serial = 1; serial <= 10; serial++)
      expect((await agent.scan(fixture.tokens.get(serial)!)).decision).toBe('accept');
    await agent.scan('GARBAGE');
    const offline = await agent.syncNow();
    expect(offline.online).toBe(false);
    expect(offline.pendingUploads).toBe(11);

    await cloud.start();
    cloud.loseNextAck = true; // the first batch is stored but its acknowledgement is lost
    await agent.syncNow();
    const back = await agent.syncNow();
    expect(back.online).toBe(true);
    expect(back.pendingUploads).toBe(0);
    const stored = cloud.scans.get(deviceId!)!;
    expect([...stored.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(cloud.ackedSeq(deviceId!)).toBe(11);
    expect(cloud.received).toBe(22); // the lost-ack batch was sent twice, stored once
    expect(stored.get(1)).toMatchObject({
      decision: 'accept',
      reason: 'OK',
      ticketSerial: 1,
      gateId: cloud.gate.id,
    });
    expect(stored.get(11)).toMatchObject({ decision: 'reject', reason: 'INVALID', eventId: null });
  });

  it('uploads keep working while manifest pulls fail, and the other way round', async () => {
    const agent = await start({ enrollmentToken: cloud.newEnrollmentToken() });
    const { deviceId } = await agent.syncNow();
    cloud.failManifest = true;
    await agent.scan(fixture.tokens.get(2)!);
    expect((await agent.syncNow()).pendingUploads).toBe(0);
    expect(cloud.ackedSeq(deviceId!)).toBe(1);
    cloud.failManifest = false;
    cloud.failUploads = true;
    fixture.revoke(3);
    await agent.scan(fixture.tokens.get(4)!);
    const status = await agent.syncNow();
    expect(status.pendingUploads).toBe(1);
    expect(status.events[0]!.manifestSeq).toBe(fixture.head);
  });
});

describe('revocation', () => {
  it('a revoked device wipes its local data and rejects every scan', async () => {
    const agent = await start({ enrollmentToken: cloud.newEnrollmentToken() });
    const { deviceId } = await agent.syncNow();
    expect((await agent.scan(fixture.tokens.get(1)!)).reason).toBe('OK');
    cloud.revoke(deviceId!);
    const status = await agent.syncNow();
    expect(status.deviceId).toBeNull();
    expect(status.events).toEqual([]);
    expect(status.counters).toEqual({ accepted: 0, rejected: 0 });
    expect((await agent.scan(fixture.tokens.get(2)!)).decision).toBe('reject');
  });
});
