/**
 * A small client of the cloud's public HTTP API for the demo: mints user JWTs with the development
 * secret (the same way an identity provider would issue them) and calls the API like any client would.
 */
import { mintUserToken } from '../../cloud/test-support/tokens';

export interface DemoIdentity {
  secret: string;
  issuer: string;
  audience: string;
}

export type DemoRole = 'customer' | 'venue_staff' | 'admin' | 'ops';

export class DemoApi {
  constructor(
    readonly baseUrl: string,
    readonly identity: DemoIdentity,
    readonly tenant: string,
  ) {}

  token(role: DemoRole, userId: string, expiresInSeconds?: number): Promise<string> {
    return mintUserToken({
      ...(expiresInSeconds ? { expiresInSeconds } : {}),
      sub: userId,
      tid: this.tenant,
      role,
      secret: this.identity.secret,
      issuer: this.identity.issuer,
      audience: this.identity.audience,
    });
  }

  /** Calls the API as `userId` with `role`; throws with the error envelope on an unexpected status. */
  async call<T = Record<string, unknown>>(
    role: DemoRole,
    userId: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const response = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await this.token(role, userId)}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as T;
  }
}
