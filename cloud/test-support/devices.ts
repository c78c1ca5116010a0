/**
 * A gate device for cloud tests: enrolls through the real API with its own key pair, earns access
 * tokens by signing challenges, and reads manifest pages the way a gate does (decompress, verify the
 * cloud's signature over the exact bytes, parse).
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import {
  createManifestPageVerifier,
  fromBase64Url,
  generateDeviceKeyPair,
  signDetached,
  toBase64Url,
} from '../../shared/crypto';
import {
  deviceTokenMessage,
  MANIFEST_KEY_ID_HEADER,
  MANIFEST_SIGNATURE_HEADER,
  ManifestPage,
} from '../../shared/sync-protocol';
import type { CloudApi, SeededEvent, TestCloud } from './cloud';

export interface TestDevice {
  deviceId: string;
  accessToken: string;
  privateKey: Uint8Array;
  enrollment: { gate: { id: string; name: string }; events: Array<{ id: string; name: string }> };
}

export async function enrollmentToken(
  cloud: Pick<CloudApi, 'call'>,
  seeded: SeededEvent,
  gateIndex = 0,
  body: object = {},
) {
  const response = await cloud.call('POST', `/api/v1/gates/${seeded.gateIds[gateIndex]}/enrollments`, {
    token: seeded.adminToken,
    body,
  });
  if (response.status !== 201)
    throw new Error(`enrollment: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as { id: string; token: string; expiresAt: string; qrSvg: string };
}

export async function enrollTestDevice(
  cloud: Pick<CloudApi, 'call'>,
  seeded: SeededEvent,
  gateIndex = 0,
): Promise<TestDevice> {
  const { token } = await enrollmentToken(cloud, seeded, gateIndex);
  const keys = generateDeviceKeyPair();
  const response = await cloud.call('POST', '/api/v1/devices/enroll', {
    body: { enrollmentToken: token, publicKey: toBase64Url(keys.publicKey), name: `Gate ${gateIndex}` },
  });
  if (response.status !== 201) throw new Error(`enroll: ${response.status} ${JSON.stringify(response.body)}`);
  return {
    deviceId: response.body.deviceId,
    accessToken: response.body.credentials.accessToken,
    privateKey: keys.privateKey,
    enrollment: response.body,
  };
}

/** Earns a fresh access token the way a gate does: challenge → signature → token. */
export async function refreshDeviceToken(cloud: TestCloud, device: TestDevice) {
  const challenge = await cloud.call('POST', '/api/v1/devices/challenge', {
    body: { deviceId: device.deviceId },
  });
  if (challenge.status !== 200) return challenge;
  const signature = signDetached(
    device.privateKey,
    deviceTokenMessage(device.deviceId, challenge.body.challenge),
    'device-request',
  );
  const token = await cloud.call('POST', '/api/v1/devices/token', {
    body: {
      deviceId: device.deviceId,
      challenge: challenge.body.challenge,
      signature: toBase64Url(signature),
    },
  });
  if (token.status === 200) device.accessToken = token.body.accessToken;
  return token;
}

/** GET /sync/manifest as a gate reads it; `page` is set only for a 200 with a valid signature. */
export async function pullPage(
  cloud: TestCloud,
  device: TestDevice,
  query: { eventId: string; after?: number; epoch?: string; limit?: number },
  encoding = 'br, gzip',
) {
  const params = new URLSearchParams({ eventId: query.eventId, after: String(query.after ?? 0) });
  if (query.epoch) params.set('epoch', query.epoch);
  if (query.limit) params.set('limit', String(query.limit));
  const response = await cloud.app.request(`/api/v1/sync/manifest?${params}`, {
    headers: { authorization: `Bearer ${device.accessToken}`, 'accept-encoding': encoding },
  });
  const raw = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200)
    return { status: response.status, body: JSON.parse(raw.toString()), bytes: raw.length };
  const contentEncoding = response.headers.get('content-encoding');
  const body =
    contentEncoding === 'br' ? brotliDecompressSync(raw) : contentEncoding === 'gzip' ? gunzipSync(raw) : raw;
  const keys = (await cloud.keyring.publicSigningKeys()).map((k) => ({
    keyId: k.keyId,
    publicKey: fromBase64Url(k.publicKey)!,
  }));
  const verify = createManifestPageVerifier(keys);
  const signature = fromBase64Url(response.headers.get(MANIFEST_SIGNATURE_HEADER) ?? '');
  const keyId = Number(response.headers.get(MANIFEST_KEY_ID_HEADER));
  const signed = signature !== undefined && verify(keyId, body, signature);
  return {
    status: 200,
    signed,
    encoding: contentEncoding,
    bytes: raw.length,
    page: ManifestPage.parse(JSON.parse(body.toString('utf8'))),
    body,
  };
}
