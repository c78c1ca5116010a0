/**
 * User identity (SPEC section 3): bearer JWTs verified with jose against explicit algorithms, issuer and
 * audience — an HS256 shared secret or an identity provider's JWKS. A token's `tid` is the tenant every
 * query is scoped to; `role` is one of the four roles, nothing else.
 */

import { createSecretKey } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import { z } from 'zod';
import type { Config } from '../config';
import { AppError } from '../errors';
import { type Actor, ROLES, type Role } from '../services/actor';
import type { AppEnv } from './context';

export type { Role };

/** Verifies a bearer token; resolves to the actor, or undefined for any invalid token. */
export type Authenticator = (token: string) => Promise<Actor | undefined>;

const ID_CLAIM = z.string().regex(/^[A-Za-z0-9._:@|-]{1,128}$/);

/** The claims a token must carry: the user (`sub`), the tenant (`tid`) and one of the four roles. */
const ActorClaims = z.object({ sub: ID_CLAIM, tid: ID_CLAIM, role: z.enum(ROLES) });

function actorFrom(payload: JWTPayload): Actor | undefined {
  const claims = ActorClaims.safeParse(payload);
  if (!claims.success) return undefined;
  return { userId: claims.data.sub, tenantId: claims.data.tid, role: claims.data.role };
}

const CACHE_LIMIT = 10_000;
const CACHE_TTL_MS = 60_000;

/**
 * Remembers verified tokens for up to a minute (never past their `exp`): clients send the same token on
 * every request, and verifying its signature again each time was a tenth of a purchase's CPU. The key is
 * the whole token, signature included, so only a token that did verify can hit.
 */
function withCache(
  verify: (token: string) => Promise<{ actor: Actor; exp: number } | undefined>,
): Authenticator {
  const cache = new Map<string, { actor: Actor; until: number }>();
  return async (token) => {
    const now = Date.now();
    const hit = cache.get(token);
    if (hit) {
      if (hit.until > now) return hit.actor;
      cache.delete(token);
    }
    const verified = await verify(token);
    if (!verified) return undefined;
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(token, { actor: verified.actor, until: Math.min(now + CACHE_TTL_MS, verified.exp * 1000) });
    return verified.actor;
  };
}

function verified(payload: JWTPayload): { actor: Actor; exp: number } | undefined {
  const actor = actorFrom(payload);
  return actor && typeof payload.exp === 'number' ? { actor, exp: payload.exp } : undefined;
}

/** Builds the verifier from configuration (fails at start, not on the first request, if misconfigured). */
export function createAuthenticator(
  config: Pick<Config, 'auth' | 'authIssuer' | 'authAudience'>,
): Authenticator {
  const options = {
    issuer: config.authIssuer,
    audience: config.authAudience,
    requiredClaims: ['sub', 'exp'],
    // Tolerate small clock differences between the identity provider and this server.
    clockTolerance: 30,
  };
  if (config.auth.kind === 'hs256') {
    if (config.auth.secret.length < 32) throw new Error('createAuthenticator: HS256 secret shorter than 32');
    // A KeyObject made once, instead of importing the raw secret on every verification.
    const secret = createSecretKey(Buffer.from(config.auth.secret, 'utf8'));
    return withCache(async (token) => {
      try {
        const { payload } = await jwtVerify(token, secret, { ...options, algorithms: ['HS256'] });
        return verified(payload);
      } catch {
        return undefined;
      }
    });
  }
  const jwks = createRemoteJWKSet(new URL(config.auth.url));
  return withCache(async (token) => {
    try {
      const { payload } = await jwtVerify(token, jwks, {
        ...options,
        algorithms: ['RS256', 'ES256', 'EdDSA'],
      });
      return verified(payload);
    } catch {
      return undefined;
    }
  });
}

/**
 * Requires a valid bearer token and puts the actor on the context. `onFailure` lets the rate limiter
 * count failed attempts (the "auth" class) before the 401 is answered.
 */
export function authenticate(
  authenticator: Authenticator,
  onFailure: (c: Parameters<MiddlewareHandler<AppEnv>>[0]) => Promise<void>,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const match = header ? /^Bearer ([A-Za-z0-9._~+/=-]{1,4096})$/.exec(header) : null;
    const actor = match?.[1] ? await authenticator(match[1]) : undefined;
    if (!actor) {
      await onFailure(c);
      throw new AppError('UNAUTHENTICATED', 'a valid bearer token is required');
    }
    c.set('actor', actor);
    await next();
  };
}

/** Allows only the given roles (403 FORBIDDEN otherwise). */
export function requireRole(...roles: Role[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!roles.includes(c.get('actor').role)) {
      throw new AppError('FORBIDDEN', 'your role may not do this');
    }
    await next();
  };
}
