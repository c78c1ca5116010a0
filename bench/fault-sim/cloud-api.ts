/**
 * The simulation's client of the cloud's public API: each call as a user (tenant, role, subject) with a
 * JWT minted with the cloud's secret; a non-2xx answer throws CloudApiError with its status and body, so
 * the world can tell a refused transfer (409) from a broken cloud.
 */
import { mintUserToken } from '../../cloud/test-support/tokens';

export class CloudApiError extends Error {
  override readonly name = 'CloudApiError';
  constructor(
    readonly status: number,
    readonly body: unknown,
    message: string,
  ) {
    super(message);
  }
}

/** Who calls the API: JWT `sub`, `tid` (tenant) and `role`. */
export interface ApiUser {
  role: string;
  tenant: string;
  sub: string;
}

/** Calls `method path` on the cloud at `url` as `user`; returns the JSON answer, throws CloudApiError. */
export async function callCloudApi<T>(
  cloud: { url: string; secret: string },
  user: ApiUser,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const token = await mintUserToken({
    sub: user.sub,
    tid: user.tenant,
    role: user.role as never,
    secret: cloud.secret,
  });
  const response = await fetch(`${cloud.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let json: unknown = text;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text for the error message
  }
  if (!response.ok)
    throw new CloudApiError(
      response.status,
      json,
      `${method} ${path}: ${response.status} ${text.slice(0, 300)}`,
    );
  return json as T;
}
