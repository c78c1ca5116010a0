/**
 * Gate devices (SPEC section 6): one-time enrollment tokens, enrollment with the device's own Ed25519
 * key, challenge → short-lived access token (device-challenges.ts), authentication of every sync call,
 * listing and revocation.
 *
 * Why challenge + token rather than signing each request with a timestamp: a gate's clock may be hours
 * off, and skew must never block sync. The token's expiry is judged by the cloud's clock only, and the
 * private key that earns it never leaves the device. Tokens and enrollment tokens are random and stored
 * only as SHA-256, in PostgreSQL, so every cloud process behind a load balancer accepts them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, asc, eq, gt, inArray, isNull, sql } from 'drizzle-orm';
import { canReceiveWrappedKeys, fromBase64Url, toBase64Url } from '../../shared/crypto';
import type { EnrollResponse } from '../../shared/sync-protocol';
import type { Executor } from '../db/client';
import { deviceChallenges, devices, deviceTokens, enrollmentTokens, events, gates } from '../db/schema';
import { fail, type Result } from '../errors';
import type { Actor } from './actor';
import type { ServiceContext } from './context';
import { announcePeerChange } from './event-peers';
import { keysetPage, type Page, type PageRequest } from './pagination';

export const DEVICE_TOKEN_TTL_MS = 15 * 60_000;
export const DEFAULT_ENROLLMENT_TTL_SECONDS = 24 * 3600;

export type DeviceRow = typeof devices.$inferSelect;

export interface DeviceView {
  id: string;
  gateId: string;
  name: string;
  status: 'active' | 'revoked';
  eventIds: string[] | null;
  ackedSeq: number;
  lastSeenAt: string | null;
  lastUploadAt: string | null;
  clockOffsetMs: number | null;
  createdAt: string;
  revokedAt: string | null;
}

export function deviceView(row: DeviceRow): DeviceView {
  return {
    id: row.id,
    gateId: row.gateId,
    name: row.name,
    status: row.status,
    eventIds: row.eventIds ?? null,
    ackedSeq: row.ackedSeq,
    lastSeenAt: row.lastSeenAt?.toISOString() ?? null,
    lastUploadAt: row.lastUploadAt?.toISOString() ?? null,
    clockOffsetMs: row.clockOffsetMs ?? null,
    createdAt: row.createdAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function randomToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

/** The events a device may sync: those at its gate's venue, narrowed by its enrollment, not drafts. */
export async function eventsForDevice(
  executor: Executor,
  device: Pick<DeviceRow, 'tenantId' | 'gateId' | 'eventIds'>,
): Promise<Array<{ id: string; name: string; venueId: string }>> {
  const rows = await executor
    .select({ id: events.id, name: events.name, venueId: events.venueId })
    .from(events)
    .innerJoin(gates, eq(gates.venueId, events.venueId))
    .where(
      and(
        eq(gates.id, device.gateId),
        eq(events.tenantId, device.tenantId),
        inArray(events.status, ['published', 'cancelled']),
        device.eventIds && device.eventIds.length > 0 ? inArray(events.id, device.eventIds) : undefined,
      ),
    )
    .orderBy(asc(events.startsAt));
  return rows;
}

/** Issues a one-time enrollment token for a gate (admin). The token itself is returned only here. */
export async function createEnrollmentToken(
  ctx: ServiceContext,
  actor: Actor,
  gateId: string,
  input: { eventIds?: string[] | undefined; ttlSeconds?: number | undefined },
): Promise<Result<{ id: string; token: string; expiresAt: Date; gateId: string }>> {
  const [gate] = await ctx.db
    .select({ id: gates.id, venueId: gates.venueId })
    .from(gates)
    .where(and(eq(gates.id, gateId), eq(gates.tenantId, actor.tenantId)));
  if (!gate) return fail('NOT_FOUND', 'gate not found');
  if (input.eventIds && input.eventIds.length > 0) {
    const found = await ctx.db
      .select({ id: events.id })
      .from(events)
      .where(
        and(
          inArray(events.id, input.eventIds),
          eq(events.tenantId, actor.tenantId),
          eq(events.venueId, gate.venueId),
        ),
      );
    if (found.length !== new Set(input.eventIds).size) {
      return fail('VALIDATION_FAILED', 'eventIds: every event must exist at the gate’s venue');
    }
  }
  const token = randomToken('enr');
  const now = ctx.clock();
  const expiresAt = new Date(now + (input.ttlSeconds ?? DEFAULT_ENROLLMENT_TTL_SECONDS) * 1000);
  const id = ctx.newId();
  await ctx.db.insert(enrollmentTokens).values({
    id,
    tenantId: actor.tenantId,
    gateId,
    tokenHash: sha256(token),
    eventIds: input.eventIds && input.eventIds.length > 0 ? [...new Set(input.eventIds)] : null,
    expiresAt,
    createdBy: actor.userId,
    createdAt: new Date(now),
  });
  return { ok: true, id, token, expiresAt, gateId };
}

/** Stores (as SHA-256) and returns a new access token of a device. */
export async function issueAccessToken(executor: Executor, deviceId: string, now: number) {
  const accessToken = randomToken('dtk');
  const expiresAt = now + DEVICE_TOKEN_TTL_MS;
  await executor
    .insert(deviceTokens)
    .values({ tokenHash: sha256(accessToken), deviceId, expiresAt: new Date(expiresAt) });
  return { accessToken, expiresAt };
}

/**
 * Exchanges an enrollment token for a device identity. The token is consumed by a conditional UPDATE, so
 * of two devices racing with one token exactly one wins.
 */
export async function enrollDevice(
  ctx: ServiceContext,
  input: { enrollmentToken: string; publicKey: string; name: string },
): Promise<Result<EnrollResponse>> {
  const publicKey = fromBase64Url(input.publicKey);
  if (publicKey?.length !== 32) return fail('VALIDATION_FAILED', 'publicKey: not a 32-byte key');
  // Manifest pages seal event keys to this key (X25519 form): it must be a point of large order.
  if (!canReceiveWrappedKeys(publicKey))
    return fail('VALIDATION_FAILED', 'publicKey: not a usable Ed25519 key');
  const now = ctx.clock();
  const deviceId = ctx.newId();
  // Read before the transaction: the keyring has its own connection, and PGlite has only one.
  const signingKeys = await ctx.keyring.publicSigningKeys();
  const enrolled = await ctx.db.transaction(async (tx): Promise<Result<EnrollResponse>> => {
    const [claimed] = await tx
      .update(enrollmentTokens)
      .set({ usedAt: new Date(now), usedByDeviceId: deviceId })
      .where(
        and(
          eq(enrollmentTokens.tokenHash, sha256(input.enrollmentToken)),
          isNull(enrollmentTokens.usedAt),
          gt(enrollmentTokens.expiresAt, new Date(now)),
        ),
      )
      .returning();
    if (!claimed) return fail('ENROLLMENT_TOKEN_INVALID', 'the enrollment token is unknown, used or expired');
    const [gate] = await tx.select().from(gates).where(eq(gates.id, claimed.gateId));
    if (!gate) return fail('ENROLLMENT_TOKEN_INVALID', 'the gate of this enrollment token no longer exists');
    const [device] = await tx
      .insert(devices)
      .values({
        id: deviceId,
        tenantId: claimed.tenantId,
        gateId: claimed.gateId,
        name: input.name,
        publicKey: toBase64Url(publicKey),
        status: 'active',
        eventIds: claimed.eventIds,
        createdAt: new Date(now),
        lastSeenAt: new Date(now),
      })
      .returning();
    const credentials = await issueAccessToken(tx, deviceId, now);
    const served = await eventsForDevice(tx, device!);
    // The other gates of the venue learn of their new peer (the events' row locks: last in this transaction).
    await announcePeerChange(tx, { tenantId: claimed.tenantId, gateId: claimed.gateId });
    return {
      ok: true,
      deviceId,
      credentials,
      gate: { id: gate.id, name: gate.name, venueId: gate.venueId, zone: gate.zone },
      events: served.map((e) => ({ id: e.id, name: e.name })),
      signingKeys: signingKeys.map((k) => ({ keyId: k.keyId, publicKey: k.publicKey })),
      cloudTime: now,
    };
  });
  if (enrolled.ok) ctx.changesCommitted?.();
  return enrolled;
}

export async function activeDevice(
  executor: Executor,
  deviceId: string,
): Promise<Result<{ device: DeviceRow }>> {
  const [device] = await executor.select().from(devices).where(eq(devices.id, deviceId));
  if (!device) return fail('UNAUTHENTICATED', 'unknown device');
  if (device.status === 'revoked') return fail('DEVICE_REVOKED', 'this device has been revoked');
  return { ok: true, device };
}

/** The device behind a bearer access token, or why there is none. */
export async function authenticateDevice(
  ctx: ServiceContext,
  accessToken: string,
): Promise<Result<{ device: DeviceRow }>> {
  const now = ctx.clock();
  const [row] = await ctx.db
    .select({ device: devices })
    .from(deviceTokens)
    .innerJoin(devices, eq(devices.id, deviceTokens.deviceId))
    .where(and(eq(deviceTokens.tokenHash, sha256(accessToken)), gt(deviceTokens.expiresAt, new Date(now))));
  if (!row) return fail('UNAUTHENTICATED', 'a valid device access token is required');
  if (row.device.status === 'revoked') return fail('DEVICE_REVOKED', 'this device has been revoked');
  // lastSeenAt is for operators; coarse updates (once a minute) keep it off the hot path.
  if (!row.device.lastSeenAt || now - row.device.lastSeenAt.getTime() > 60_000) {
    await ctx.db
      .update(devices)
      .set({ lastSeenAt: new Date(now) })
      .where(eq(devices.id, row.device.id));
  }
  return { ok: true, device: row.device };
}

/** Lists the tenant's devices (admin), optionally of one gate. */
export async function listDevices(
  ctx: ServiceContext,
  actor: Actor,
  request: PageRequest & { gateId?: string | undefined },
): Promise<Result<{ page: Page<DeviceView> }>> {
  const query = ctx.db.select().from(devices).$dynamic();
  const gate = request.gateId ? eq(devices.gateId, request.gateId) : undefined;
  return keysetPage(query, devices.id, and(eq(devices.tenantId, actor.tenantId), gate), request, deviceView);
}

/** Revokes a device: its tokens die now, and its next sync is refused so it wipes its data. */
export async function revokeDevice(
  ctx: ServiceContext,
  actor: Actor,
  deviceId: string,
): Promise<Result<{ device: DeviceView }>> {
  const now = new Date(ctx.clock());
  const revoked = await ctx.db.transaction(async (tx): Promise<Result<{ device: DeviceView }>> => {
    const [device] = await tx
      .update(devices)
      .set({ status: 'revoked', revokedAt: sql`coalesce(${devices.revokedAt}, ${now})` })
      .where(and(eq(devices.id, deviceId), eq(devices.tenantId, actor.tenantId)))
      .returning();
    if (!device) return fail('NOT_FOUND', 'device not found');
    await tx.delete(deviceTokens).where(eq(deviceTokens.deviceId, deviceId));
    await tx.delete(deviceChallenges).where(eq(deviceChallenges.deviceId, deviceId));
    // Its peers drop it from their lists now: its messages are refused from their next pull on.
    await announcePeerChange(tx, { tenantId: device.tenantId, gateId: device.gateId });
    return { ok: true, device: deviceView(device) };
  });
  if (revoked.ok) ctx.changesCommitted?.();
  return revoked;
}
