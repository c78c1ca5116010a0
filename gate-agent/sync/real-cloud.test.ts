/**
 * The gate agent against the real cloud (the production app on a real database) over loopback HTTP,
 * with only the network between them faked (test-support/real-cloud.ts). SPEC sections 6, 7 and 10:
 * enrollment and snapshot, changes reaching an online gate within 2 s, scanning through an outage with
 * every scan arriving exactly once, uploads and downloads failing independently, revocation wiping the
 * device, a restored cloud, and the gate deciding like the cloud's online /validate.
 */
import { rmSync } from 'node:fs';
import { count, eq, sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deviceScans, devices } from '../../cloud/db/schema';
import { buyTickets } from '../../cloud/test-support/cloud';
import { ADMISSION_XOR_SQL } from '../../shared/sync-protocol/index';
import { type GateAgent, startGateAgent } from '../agent';
import { type RealCloud, startRealCloud } from '../test-support/real-cloud';
import { makeTempDir } from '../test-support/stores';

const logger = pino({ level: 'silent' });
let real: RealCloud;
let dataDir: string;
const agents: GateAgent[] = [];
/** Tickets sold before each test: 5 standard (any gate) in one order, 1 VIP (VIP gate only). */
let standard: Array<{ id: string; qr: string; orderId: string }>;
let vip: { id: string; qr: string; orderId: string };

/** The gate's clock: two hours after the cloud's, inside the event's doors. */
const gateClock = () => real.cloud.now() + 2 * 3_600_000;

async function start(extra: { enrollmentToken?: string; syncIntervalMs?: number } = {}): Promise<GateAgent> {
  const agent = await startGateAgent({
    dataDir,
    cloudUrl: real.url,
    port: 0,
    clock: gateClock,
    logger,
    syncIntervalMs: extra.syncIntervalMs ?? 3_600_000,
    ...(extra.enrollmentToken ? { enrollmentToken: extra.enrollmentToken } : {}),
  });
  agents.push(agent);
  return agent;
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - started;
}

async function buy(typeIndex = 0, quantity = 1) {
  const { purchase } = await buyTickets(real.cloud, real.seeded, { typeIndex, quantity });
  return (purchase.tickets as Array<{ id: string; qr: string }>).map((t) => ({
    ...t,
    orderId: purchase.order.id as string,
  }));
}

async function cloudScans(deviceId: string) {
  const [row] = await real.cloud.database.db
    .select({ n: count() })
    .from(deviceScans)
    .where(eq(deviceScans.deviceId, deviceId));
  return row?.n ?? 0;
}

beforeEach(async () => {
  real = await startRealCloud();
  standard = await buy(0, 5);
  [vip] = (await buy(1, 1)) as [{ id: string; qr: string; orderId: string }];
  dataDir = makeTempDir();
});

afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.close();
  await real.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('gate agent and the real cloud', () => {
  it('enrolls, installs the snapshot, decides offline, and a later start needs only the data directory', async () => {
    const agent = await start({ enrollmentToken: await real.enrollmentToken() });
    const status = await agent.syncNow();
    expect(status.online).toBe(true);
    expect(status.gate.name).toBe('North');
    expect(status.events).toEqual([expect.objectContaining({ id: real.seeded.eventId, tickets: 6 })]);
    real.link = 'down'; // decisions never need the network
    expect((await agent.scan(standard[0]!.qr)).reason).toBe('OK');
    const again = await agent.scan(standard[0]!.qr);
    expect(again.reason).toBe('ALREADY_USED');
    expect(again.alreadyUsed?.gateName).toBe('North');
    expect((await agent.scan(vip.qr)).reason).toBe('WRONG_GATE');
    expect((await agent.scan('NOT A TICKET')).reason).toBe('INVALID');
    await agent.close();
    agents.length = 0;
    real.link = 'up';
    const restarted = await startGateAgent({
      dataDir,
      port: 0,
      clock: gateClock,
      logger,
      syncIntervalMs: 3_600_000,
    });
    agents.push(restarted);
    expect((await restarted.scan(standard[0]!.qr)).reason).toBe('ALREADY_USED');
    expect((await restarted.syncNow()).online).toBe(true);
  });

  it('a refund and a new sale reach an online gate within 2 seconds through the push stream', async () => {
    const agent = await start({ enrollmentToken: await real.enrollmentToken() });
    const first = await agent.syncNow();
    const seq = first.events[0]!.manifestSeq;
    // At once, no pause: a change committed at any moment after the gate's last pull must reach it —
    // through the stream when it is connected, through the pull on (re)connect when it is not yet.
    const refund = await real.cloud.call('POST', `/api/v1/orders/${standard[1]!.orderId}/refund`, {
      token: real.seeded.adminToken,
    });
    expect(refund.status).toBe(200);
    const took = await until(async () => (await agent.status()).events[0]!.manifestSeq > seq, 2000);
    expect(took).toBeLessThan(2000);
    expect((await agent.scan(standard[1]!.qr)).reason).toBe('REVOKED');
    const [fresh] = await buy();
    const before = (await agent.status()).events[0]!.tickets;
    await until(async () => (await agent.status()).events[0]!.tickets > before, 2000);
    expect((await agent.scan(fresh!.qr)).reason).toBe('OK');
  });

  it('a ticket sold while the gate is offline is admitted on its signature as OK_UNSYNCED', async () => {
    const agent = await start({ enrollmentToken: await real.enrollmentToken() });
    await agent.syncNow();
    real.link = 'down';
    const [late] = await buy();
    expect((await agent.scan(late!.qr)).reason).toBe('OK_UNSYNCED');
    expect((await agent.scan(late!.qr)).reason).toBe('ALREADY_USED');
  });

  it('scans through an outage and lost answers, then every scan reaches the cloud exactly once', async () => {
    const agent = await start({ enrollmentToken: await real.enrollmentToken() });
    const { deviceId } = await agent.syncNow();
    real.link = 'down';
    const codes = [...standard.map((t) => t.qr), vip.qr, 'garbage-1', standard[0]!.qr, 'garbage-2'];
    for (const code of codes) await agent.scan(code);
    const offline = await agent.syncNow();
    expect(offline.online).toBe(false);
    expect(offline.pendingUploads).toBe(codes.length);

    real.link = 'lose-upload-answers';
    await agent.syncNow();
    expect(await cloudScans(deviceId!)).toBe(codes.length); // stored, but the gate never heard
    expect((await agent.status()).pendingUploads).toBe(codes.length);

    real.link = 'up';
    const synced = await agent.syncNow();
    expect(synced.pendingUploads).toBe(0);
    expect(await cloudScans(deviceId!)).toBe(codes.length);
    const [device] = await real.cloud.database.db.select().from(devices).where(eq(devices.id, deviceId!));
    expect(device!.ackedSeq).toBe(codes.length);
    expect(device!.clockOffsetMs).toBe(-2 * 3_600_000);

    const attendance = await real.cloud.call('GET', `/api/v1/events/${real.seeded.eventId}/attendance`, {
      token: real.seeded.adminToken,
    });
    expect(attendance.body).toMatchObject({ admitted: 5, inside: 5 });
  });

  it('uploads keep working while manifest pulls fail, and the other way round', async () => {
    const agent = await start({ enrollmentToken: await real.enrollmentToken() });
    const { deviceId } = await agent.syncNow();
    real.link = 'fail-manifest';
    await agent.scan(standard[0]!.qr);
    await agent.syncNow();
    expect(await cloudScans(deviceId!)).toBe(1);
    real.link = 'fail-uploads';
    await agent.scan(standard[1]!.qr);
    await buy(0, 2);
    const status = await agent.syncNow();
    expect(status.events[0]!.tickets).toBe(8);
    expect(status.pendingUploads).toBe(1);
  });

  it('a revoked device wipes its local data and rejects every scan', async () => {
    const agent = await start({ enrollmentToken: await real.enrollmentToken() });
    const { deviceId } = await agent.syncNow();
    expect((await agent.scan(standard[0]!.qr)).decision).toBe('accept');
    const revoke = await real.cloud.call('POST', `/api/v1/devices/${deviceId}/revoke`, {
      token: real.seeded.adminToken,
    });
    expect(revoke.status).toBe(200);
    const after = await agent.syncNow();
    expect(after.deviceId).toBeNull();
    expect(after.events).toEqual([]);
    expect((await agent.scan(standard[2]!.qr)).decision).toBe('reject');
  });

  it('decides like the cloud’s online /validate in the same situations', async () => {
    const agent = await start({ enrollmentToken: await real.enrollmentToken() });
    const [refunded] = await buy();
    // The first entry needs a ticket per side: the gate shares its admission with the cloud at once, so a
    // ticket the gate has just admitted may already be ALREADY_USED online.
    const [onlineFirst] = await buy();
    await real.cloud.call('POST', `/api/v1/orders/${refunded!.orderId}/refund`, {
      token: real.seeded.adminToken,
    });
    await agent.syncNow();
    const staff = await real.cloud.token('venue_staff', real.seeded.tenant);
    real.cloud.advance(2 * 3_600_000); // the cloud's clock to the gate's: inside the doors
    const online = async (qr: string) =>
      (
        await real.cloud.call('POST', '/api/v1/validate', {
          token: staff,
          body: { qr, gateId: real.seeded.gateIds[0], direction: 'in' },
        })
      ).body.reason as string;
    // Each situation on its own ticket, so the gate's and the cloud's admission records do not mix.
    // [situation, the gate's code, the cloud's code]: rejections record nothing, so they share a code.
    const situations: Array<[string, string, string]> = [
      ['first entry', standard[2]!.qr, onlineFirst!.qr],
      ['wrong gate', vip.qr, vip.qr],
      ['refunded', refunded!.qr, refunded!.qr],
      ['garbage', 'NOT A TICKET AT ALL', 'NOT A TICKET AT ALL'],
    ];
    for (const [name, atGate, atCloud] of situations) {
      expect((await agent.scan(atGate)).reason, name).toBe(await online(atCloud));
    }
    const gateSecond = (await agent.scan(standard[2]!.qr)).reason;
    const cloudSecond = await online(onlineFirst!.qr);
    expect([gateSecond, cloudSecond]).toEqual(['ALREADY_USED', 'ALREADY_USED']);
  });

  it('refuses a used enrollment token at start', async () => {
    const token = await real.enrollmentToken();
    const first = await start({ enrollmentToken: token });
    await first.close();
    agents.length = 0;
    rmSync(dataDir, { recursive: true, force: true });
    dataDir = makeTempDir();
    await expect(start({ enrollmentToken: token })).rejects.toMatchObject({
      code: 'ENROLLMENT_TOKEN_INVALID',
    });
  });

  it('renews its access token by signing a new challenge when the cloud no longer accepts the old one', async () => {
    const agent = await start({ enrollmentToken: await real.enrollmentToken() });
    await agent.syncNow();
    // Counted before the clock moves: the agent's own background loops may renew the token as soon as the
    // cloud refuses the old one, which is the behaviour under test too.
    const before = real.hits.get('/api/v1/devices/token') ?? 0;
    real.cloud.advance(16 * 60_000); // past the 15-minute token lifetime, by the cloud's clock
    await buy(0, 2);
    const status = await agent.syncNow();
    expect(real.hits.get('/api/v1/devices/token') ?? 0).toBeGreaterThan(before);
    expect(status.online).toBe(true);
    expect(status.events[0]!.tickets).toBe(8);
  });

  it('after the cloud is restored from an older backup: re-snapshots, sees changes made since, re-uploads what was lost', async () => {
    const agent = await start({ enrollmentToken: await real.enrollmentToken() });
    const { deviceId } = await agent.syncNow();
    for (const ticket of standard.slice(0, 3)) await agent.scan(ticket.qr);
    await agent.syncNow();
    const db = real.cloud.database.db;
    const result = await db.execute(sql`select change_seq from events where id = ${real.seeded.eventId}`);
    const backupHead = Number(
      (result as unknown as { rows: Array<{ change_seq: string | number }> }).rows[0]!.change_seq,
    );
    // After the backup: a refund, and more scans uploaded.
    await real.cloud.call('POST', `/api/v1/orders/${vip.orderId}/refund`, { token: real.seeded.adminToken });
    await agent.scan(standard[3]!.qr);
    await agent.scan(standard[4]!.qr);
    const beforeRestore = await agent.syncNow();
    expect(beforeRestore.pendingUploads).toBe(0);
    expect(await cloudScans(deviceId!)).toBe(5);

    // The restore: every table as it was at the backup (the refund and the last two scans are gone).
    await db.execute(
      sql`delete from ticket_changes where event_id = ${real.seeded.eventId} and seq > ${backupHead}`,
    );
    await db.execute(
      sql`delete from admissions where event_id = ${real.seeded.eventId} and seq > ${backupHead}`,
    );
    await db.execute(sql`update events set admission_count = a.n, admission_xor = coalesce(a.x, 0)
      from (select count(*) as n, ${sql.raw(ADMISSION_XOR_SQL)} as x from admissions
             where event_id = ${real.seeded.eventId}) a where id = ${real.seeded.eventId}`);
    await db.execute(sql`update events set change_seq = ${backupHead} where id = ${real.seeded.eventId}`);
    await db.execute(sql`update tickets set status = 'valid', revoked_reason = null where id = ${vip.id}`);
    await db.execute(
      sql`update orders set status = 'paid', refund_id = null, refunded_at = null where id = ${vip.orderId}`,
    );
    await db.execute(sql`delete from device_scans where device_id = ${deviceId} and seq > 3`);
    await db.execute(sql`update devices set acked_seq = 3 where id = ${deviceId}`);
    expect(await cloudScans(deviceId!)).toBe(3);

    // A change made after the restore must reach the gate too.
    const [late] = await buy();
    const after = await agent.syncNow();
    await agent.syncNow(); // the re-upload may take a second round (rewind, then resend)
    expect(await cloudScans(deviceId!)).toBe(5);
    expect(after.events[0]!.tickets).toBe(7);
    expect((await agent.scan(late!.qr)).reason).toBe('OK');
    // The refund was lost with the restore: the cloud says the VIP ticket is valid again, and so does the gate.
    expect((await agent.scan(vip.qr)).reason).toBe('WRONG_GATE');
  });

  it('a port given again overrides the stored one; 0 (ephemeral) is never stored', async () => {
    const probe = await start({ enrollmentToken: await real.enrollmentToken() });
    const freePort = probe.port; // free a moment ago: reuse it as the explicit port
    await probe.close();
    agents.length = 0;
    const explicit = await startGateAgent({
      dataDir,
      port: freePort,
      clock: gateClock,
      logger,
      syncIntervalMs: 3_600_000,
    });
    expect(explicit.port).toBe(freePort);
    await explicit.close();
    const stored = await startGateAgent({ dataDir, clock: gateClock, logger, syncIntervalMs: 3_600_000 });
    agents.push(stored);
    expect(stored.port).toBe(freePort);
  });
});
