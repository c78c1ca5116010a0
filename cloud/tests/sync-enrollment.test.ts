/**
 * Gate enrollment and device authentication (SPEC section 6): a token works once and not after it
 * expires; a device earns access tokens only by signing challenges with its own key; a revoked device
 * is refused with DEVICE_REVOKED; a device never sees another tenant's events; user JWTs and device
 * tokens are not interchangeable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDeviceKeyPair, toBase64Url } from '../../shared/crypto';
import { createTestCloud, type SeededEvent, seedEvent, type TestCloud } from '../test-support/cloud';
import { enrollmentToken, enrollTestDevice, pullPage, refreshDeviceToken } from '../test-support/devices';

let cloud: TestCloud;
let seeded: SeededEvent;

beforeAll(async () => {
  cloud = await createTestCloud();
  seeded = await seedEvent(cloud, { vipGate: true, capacities: [10, 5] });
});
afterAll(async () => {
  await cloud?.close();
});

function enrollWith(token: string) {
  return cloud.call('POST', '/api/v1/devices/enroll', {
    body: {
      enrollmentToken: token,
      publicKey: toBase64Url(generateDeviceKeyPair().publicKey),
      name: 'North 1',
    },
  });
}

describe('enrollment tokens', () => {
  it('enrolls a device once, with its gate and events, and shows the token as a QR', async () => {
    const enrollment = await enrollmentToken(cloud, seeded);
    expect(enrollment.qrSvg).toContain('<svg');
    const first = await enrollWith(enrollment.token);
    expect(first.status).toBe(201);
    expect(first.body.gate).toMatchObject({ id: seeded.gateIds[0], name: 'North' });
    expect(first.body.events.map((e: { id: string }) => e.id)).toEqual([seeded.eventId]);
    expect(first.body.credentials.accessToken).toMatch(/^dtk_/);
    // The cloud's signing keys come with the enrollment, so the device pins them before its first page.
    const keys = await cloud.keyring.publicSigningKeys();
    expect(first.body.signingKeys).toEqual(keys.map((k) => ({ keyId: k.keyId, publicKey: k.publicKey })));
    const again = await enrollWith(enrollment.token);
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe('ENROLLMENT_TOKEN_INVALID');
  });

  it('refuses an expired token and an unknown one', async () => {
    const enrollment = await enrollmentToken(cloud, seeded, 0, { ttlSeconds: 60 });
    cloud.advance(61_000);
    expect((await enrollWith(enrollment.token)).body.error.code).toBe('ENROLLMENT_TOKEN_INVALID');
    expect((await enrollWith('enr_this-token-was-never-issued-by-anyone')).status).toBe(401);
  });

  it('gives exactly one device for one token when two race', async () => {
    const { token } = await enrollmentToken(cloud, seeded);
    const results = await Promise.all([enrollWith(token), enrollWith(token), enrollWith(token)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 401, 401]);
  });

  it('refuses enrollment tokens for another tenant’s gate and to non-admins', async () => {
    const other = await seedEvent(cloud);
    const otherAdmin = other.adminToken;
    const response = await cloud.call('POST', `/api/v1/gates/${seeded.gateIds[0]}/enrollments`, {
      token: otherAdmin,
      body: {},
    });
    expect(response.status).toBe(404);
    const staff = await cloud.token('venue_staff', seeded.tenant);
    const forbidden = await cloud.call('POST', `/api/v1/gates/${seeded.gateIds[0]}/enrollments`, {
      token: staff,
      body: {},
    });
    expect(forbidden.status).toBe(403);
  });
});

describe('device authentication', () => {
  it('issues tokens only for a challenge signed with the device’s own key, once per challenge', async () => {
    const device = await enrollTestDevice(cloud, seeded);
    expect((await refreshDeviceToken(cloud, device)).status).toBe(200);
    const challenge = await cloud.call('POST', '/api/v1/devices/challenge', {
      body: { deviceId: device.deviceId },
    });
    const impostor = generateDeviceKeyPair();
    const { signDetached } = await import('../../shared/crypto');
    const { deviceTokenMessage } = await import('../../shared/sync-protocol');
    const forged = signDetached(
      impostor.privateKey,
      deviceTokenMessage(device.deviceId, challenge.body.challenge),
      'device-request',
    );
    const refused = await cloud.call('POST', '/api/v1/devices/token', {
      body: {
        deviceId: device.deviceId,
        challenge: challenge.body.challenge,
        signature: toBase64Url(forged),
      },
    });
    expect(refused.status).toBe(401);
    // The challenge died with the failed attempt: even the right signature cannot use it now.
    const genuine = signDetached(
      device.privateKey,
      deviceTokenMessage(device.deviceId, challenge.body.challenge),
      'device-request',
    );
    const replay = await cloud.call('POST', '/api/v1/devices/token', {
      body: {
        deviceId: device.deviceId,
        challenge: challenge.body.challenge,
        signature: toBase64Url(genuine),
      },
    });
    expect(replay.status).toBe(401);
  });

  it('expires access tokens by the cloud’s clock', async () => {
    const device = await enrollTestDevice(cloud, seeded);
    expect((await pullPage(cloud, device, { eventId: seeded.eventId })).status).toBe(200);
    cloud.advance(16 * 60_000);
    expect((await pullPage(cloud, device, { eventId: seeded.eventId })).status).toBe(401);
    expect((await refreshDeviceToken(cloud, device)).status).toBe(200);
    expect((await pullPage(cloud, device, { eventId: seeded.eventId })).status).toBe(200);
  });

  it('refuses a revoked device everywhere with DEVICE_REVOKED', async () => {
    const device = await enrollTestDevice(cloud, seeded);
    const revoke = await cloud.call('POST', `/api/v1/devices/${device.deviceId}/revoke`, {
      token: seeded.adminToken,
    });
    expect(revoke.status).toBe(200);
    expect(revoke.body.status).toBe('revoked');
    const pull = await pullPage(cloud, device, { eventId: seeded.eventId });
    expect(pull.status).toBe(401);
    const challenge = await cloud.call('POST', '/api/v1/devices/challenge', {
      body: { deviceId: device.deviceId },
    });
    expect(challenge.status).toBe(401);
    expect(challenge.body.error.code).toBe('DEVICE_REVOKED');
    const listed = await cloud.call('GET', '/api/v1/devices', { token: seeded.adminToken });
    expect(listed.body.items.find((d: { id: string }) => d.id === device.deviceId).status).toBe('revoked');
  });

  it('shows a device only its tenant’s events and keeps user JWTs and device tokens apart', async () => {
    const other = await seedEvent(cloud);
    const device = await enrollTestDevice(cloud, seeded);
    expect((await pullPage(cloud, device, { eventId: other.eventId })).status).toBe(404);
    const userOnSync = await cloud.call('GET', `/api/v1/sync/manifest?eventId=${seeded.eventId}`, {
      token: seeded.adminToken,
    });
    expect(userOnSync.status).toBe(401);
    const deviceOnUserRoute = await cloud.call('GET', '/api/v1/venues', { token: device.accessToken });
    expect(deviceOnUserRoute.status).toBe(401);
    const otherAdminRevoke = await cloud.call('POST', `/api/v1/devices/${device.deviceId}/revoke`, {
      token: other.adminToken,
    });
    expect(otherAdminRevoke.status).toBe(404);
  });

  it('never puts tokens or keys in the logs', async () => {
    const device = await enrollTestDevice(cloud, seeded);
    await refreshDeviceToken(cloud, device);
    const logs = cloud.logLines.join('\n');
    expect(logs).not.toContain(device.accessToken);
    expect(logs).not.toContain('enr_');
  });
});
