/**
 * Mints user JWTs the way an identity provider would (HS256 with the configured secret), for tests,
 * benchmarks and the dev seed. Never used by the server to authenticate anyone.
 */
import { SignJWT } from 'jose';
import type { Role } from '../services/actor';

export interface MintTokenInput {
  sub: string;
  tid: string;
  role: Role;
  secret: string;
  issuer?: string;
  audience?: string;
  /** Seconds until expiry (default 1 hour); negative makes an already expired token. */
  expiresInSeconds?: number;
  /** Override the algorithm (security tests use this to try `none`-like downgrades). */
  algorithm?: string;
}

/** Signs a user JWT with claims sub, tid, role, iss, aud, exp (SPEC section 3). */
export async function mintUserToken(input: MintTokenInput): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ tid: input.tid, role: input.role })
    .setProtectedHeader({ alg: input.algorithm ?? 'HS256', typ: 'JWT' })
    .setSubject(input.sub)
    .setIssuer(input.issuer ?? 'tickets-dev')
    .setAudience(input.audience ?? 'tickets-api')
    .setIssuedAt(now)
    .setExpirationTime(now + (input.expiresInSeconds ?? 3600))
    .sign(new TextEncoder().encode(input.secret));
}
