/**
 * Rate limits per route class (SPEC section 4): `auth` (failed authentications per client address —
 * bogus user JWTs, device tokens, enrollment tokens, challenges and signatures; a request that
 * authenticates is never refused by it), `purchase` (holds and purchases per user), `read` (every other
 * API call per user), `sync` (device sync calls per device) and `deviceToken` (access tokens issued per
 * device, counted only after the device's signature verified, so nobody else can spend a gate's
 * renewals). The client address is the one http/client-address.ts finds. In Redis when REDIS_URL is set, so all cloud processes share the counts;
 * an in-memory insurance limiter takes over while Redis is down (failing open to per-process limits
 * rather than refusing every request).
 */
import type { MiddlewareHandler } from 'hono';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitConfig } from '../config';
import { AppError } from '../errors';
import type { AppEnv } from './context';

export type RateLimitClass = keyof RateLimitConfig;

/** Consumes one point of a class for a key; throws AppError RATE_LIMITED (with Retry-After) when out. */
export type RateLimiter = (limitClass: RateLimitClass, key: string) => Promise<void>;

type Limiter = RateLimiterMemory | RateLimiterRedis;

/** Builds one limiter per class. */
export function createRateLimiter(limits: RateLimitConfig, redis?: Redis): RateLimiter {
  const limiters = new Map<RateLimitClass, Limiter>();
  for (const limitClass of Object.keys(limits) as RateLimitClass[]) {
    const options = { points: limits[limitClass], duration: 60, keyPrefix: `rl:${limitClass}` };
    const memory = new RateLimiterMemory(options);
    limiters.set(
      limitClass,
      redis ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: memory }) : memory,
    );
  }
  return async (limitClass, key) => {
    const limiter = limiters.get(limitClass);
    if (!limiter) return;
    try {
      await limiter.consume(key);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        throw new AppError('RATE_LIMITED', 'too many requests', {
          retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)),
        });
      }
      // Any other failure is the store's: fail open rather than take the API down with it.
    }
  };
}

/** Middleware consuming one point of `limitClass`, keyed by the authenticated user. */
export function rateLimit(limiter: RateLimiter, limitClass: RateLimitClass): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const actor = c.get('actor');
    await limiter(limitClass, `${actor.tenantId}:${actor.userId}`);
    await next();
  };
}
