/**
 * How a device renews its access token: it asks for a challenge, signs it with its own key and exchanges
 * the signature for a token (SPEC section 6).
 *
 * A challenge is stateless: 12 random bytes, its expiry (unix seconds) and a MAC over both and the device
 * id under a key derived from KEY_ENCRYPTION_KEY (32 bytes in all, the wire format the gates already
 * know). Handing one out writes nothing, so anyone may ask for as many as they like without filling a
 * table or spending a gate's limits; every cloud process accepts every other's challenges. A challenge is
 * recorded only when it is presented (device_challenges, primary key = the challenge), which makes it
 * single-use: a replay, or a second try after a forged signature, finds it already used.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { lt } from 'drizzle-orm';
import { fromBase64Url, toBase64Url, verifyDetached } from '../../shared/crypto';
import { deviceTokenMessage } from '../../shared/sync-protocol';
import { deviceChallenges, deviceTokens } from '../db/schema';
import { fail, type Result } from '../errors';
import type { ServiceContext } from './context';
import { activeDevice, issueAccessToken } from './devices';

const CHALLENGE_TTL_MS = 2 * 60_000;
const NONCE_BYTES = 12;
const MAC_BYTES = 16;

function challengeMac(ctx: Pick<ServiceContext, 'keyring'>, deviceId: string, body: Uint8Array): Buffer {
  return createHmac('sha256', ctx.keyring.macKey('device-challenge'))
    .update(`device-challenge\n${deviceId}\n`)
    .update(body)
    .digest()
    .subarray(0, MAC_BYTES);
}

/** A challenge for an active device to sign; writes nothing. */
export async function createChallenge(
  ctx: ServiceContext,
  deviceId: string,
): Promise<Result<{ challenge: string; expiresAt: number }>> {
  const found = await activeDevice(ctx.db, deviceId);
  if (!found.ok) return found;
  const expiresAtSeconds = Math.ceil((ctx.clock() + CHALLENGE_TTL_MS) / 1000);
  const body = Buffer.alloc(NONCE_BYTES + 4);
  randomBytes(NONCE_BYTES).copy(body);
  body.writeUInt32BE(expiresAtSeconds, NONCE_BYTES);
  const challenge = Buffer.concat([body, challengeMac(ctx, deviceId, body)]);
  return { ok: true, challenge: toBase64Url(challenge), expiresAt: expiresAtSeconds * 1000 };
}

/** The expiry of a challenge this cloud issued to `deviceId`, or undefined for anything else. */
function challengeExpiry(ctx: ServiceContext, deviceId: string, challenge: string): number | undefined {
  const bytes = fromBase64Url(challenge);
  if (bytes?.length !== NONCE_BYTES + 4 + MAC_BYTES) return undefined;
  const body = bytes.subarray(0, NONCE_BYTES + 4);
  if (!timingSafeEqual(challengeMac(ctx, deviceId, body), bytes.subarray(NONCE_BYTES + 4))) return undefined;
  return Buffer.from(body).readUInt32BE(NONCE_BYTES) * 1000;
}

/**
 * Checks a token request: a challenge this cloud issued to this device, unexpired and never presented
 * before (it is used up now, whatever follows), of an active device, signed with the device's own key.
 * Resolves to the device id; every failure is UNAUTHENTICATED (or DEVICE_REVOKED).
 */
export async function verifyTokenRequest(
  ctx: ServiceContext,
  input: { deviceId: string; challenge: string; signature: string },
): Promise<Result<{ deviceId: string }>> {
  const now = ctx.clock();
  const expiresAt = challengeExpiry(ctx, input.deviceId, input.challenge);
  if (expiresAt === undefined || expiresAt <= now) {
    return fail('UNAUTHENTICATED', 'the challenge is unknown, used or expired');
  }
  const found = await activeDevice(ctx.db, input.deviceId);
  if (!found.ok) return found;
  const [fresh] = await ctx.db
    .insert(deviceChallenges)
    .values({ challenge: input.challenge, deviceId: input.deviceId, expiresAt: new Date(expiresAt) })
    .onConflictDoNothing()
    .returning({ challenge: deviceChallenges.challenge });
  if (!fresh) return fail('UNAUTHENTICATED', 'the challenge is unknown, used or expired');
  const publicKey = fromBase64Url(found.device.publicKey);
  const signature = fromBase64Url(input.signature);
  const message = deviceTokenMessage(input.deviceId, input.challenge);
  if (!publicKey || !signature || !verifyDetached(publicKey, message, signature, 'device-request')) {
    return fail('UNAUTHENTICATED', 'the signature does not match the device key');
  }
  return { ok: true, deviceId: input.deviceId };
}

/** Issues an access token to a device whose token request verified; sweeps expired rows on the way. */
export async function issueDeviceToken(
  ctx: ServiceContext,
  deviceId: string,
): Promise<{ accessToken: string; expiresAt: number }> {
  const now = ctx.clock();
  // Housekeeping: used challenges past their expiry can no longer be replayed, expired tokens are worthless.
  await ctx.db.delete(deviceChallenges).where(lt(deviceChallenges.expiresAt, new Date(now)));
  await ctx.db.delete(deviceTokens).where(lt(deviceTokens.expiresAt, new Date(now)));
  return issueAccessToken(ctx.db, deviceId, now);
}
