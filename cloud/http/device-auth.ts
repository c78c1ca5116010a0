/**
 * Device authentication for the sync endpoints: a bearer access token earned by signing a challenge
 * with the device's own key (services/devices.ts). Puts the device on the context and counts the call
 * against the `sync` rate-limit class of that device. A revoked device gets 401 DEVICE_REVOKED, which
 * tells the gate to wipe its data.
 */
import type { MiddlewareHandler } from 'hono';
import { AppError } from '../errors';
import type { ServiceContext } from '../services/context';
import { authenticateDevice } from '../services/devices';
import type { AppEnv } from './context';
import type { RateLimiter } from './rate-limit';

export function requireDevice(
  services: ServiceContext,
  limiter: RateLimiter,
  onFailure: (c: Parameters<MiddlewareHandler<AppEnv>>[0]) => Promise<void>,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const match = header ? /^Bearer (dtk_[A-Za-z0-9_-]{43})$/.exec(header) : null;
    if (!match?.[1]) {
      await onFailure(c);
      throw new AppError('UNAUTHENTICATED', 'a device access token is required');
    }
    const result = await authenticateDevice(services, match[1]);
    if (!result.ok) {
      await onFailure(c);
      throw new AppError(result.code, result.message);
    }
    await limiter('sync', `device:${result.device.id}`);
    c.set('device', result.device);
    await next();
  };
}
