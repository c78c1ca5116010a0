/**
 * How a gate device gets its identity and its access tokens (SPEC section 6): enrollment with a one-time
 * token and the device's public key, then challenge → signed challenge → short-lived access token.
 *
 * Rate limits: only a failure (an unknown, used or expired enrollment token or challenge, an unknown or
 * revoked device, a bad signature) counts against the `auth` class of the client address, so anonymous
 * traffic from the same address — the venue's NAT, or any client behind the load balancer — cannot stop
 * a gate from renewing its token. Tokens issued count against the `deviceToken` class of the device,
 * checked only after its signature verified, so only the device itself can spend them.
 */
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  ChallengeRequest,
  ChallengeResponse,
  DeviceTokenRequest,
  DeviceTokenResponse,
  EnrollRequest,
  EnrollResponse,
} from '../../shared/sync-protocol';
import type { ErrorCode, Result } from '../errors';
import { createdResponses, okResponses } from '../http/answers';
import type { AppEnv } from '../http/context';
import { createRouter, jsonBody, type SyncRouteDeps, unwrap } from '../http/openapi';
import { createChallenge, issueDeviceToken, verifyTokenRequest } from '../services/device-challenges';
import { enrollDevice } from '../services/devices';

/** The failures that count against the `auth` class of the client address. */
const AUTHENTICATION_FAILURES: ReadonlySet<ErrorCode> = new Set([
  'UNAUTHENTICATED',
  'DEVICE_REVOKED',
  'ENROLLMENT_TOKEN_INVALID',
]);

/** Routes under /api/v1 for device enrollment and access tokens. */
export function enrollmentRoutes(deps: SyncRouteDeps) {
  const { services, failedAuthentication, limiter } = deps;
  const unauthenticated = { tags: ['sync'], security: [] };
  /** The value of a result; a failed authentication is counted first (and may answer 429 instead). */
  const checked = async <T extends object>(c: Context<AppEnv>, result: Result<T>): Promise<T> => {
    if (!result.ok && AUTHENTICATION_FAILURES.has(result.code)) await failedAuthentication(c);
    return unwrap(result);
  };
  return createRouter()
    .openapi(
      createRoute({
        method: 'post',
        path: '/devices/enroll',
        summary: 'Exchange a one-time enrollment token and the device’s public key for a device identity',
        ...unauthenticated,
        request: {
          body: jsonBody(EnrollRequest, {
            enrollmentToken: 'enr_3q2x7w_example_token_0123456789',
            publicKey: 'hJ0aWdVq6nQ2l1yq7s9kC3mS8rT4uV5wX6yZ7a8b9c0',
            name: 'North gate, lane 1',
          }),
        },
        responses: createdResponses(EnrollResponse, 'The enrolled device'),
      }),
      async (c) => {
        const { deviceId, credentials, gate, events, signingKeys, cloudTime } = await checked(
          c,
          await enrollDevice(services, c.req.valid('json')),
        );
        return c.json({ deviceId, credentials, gate, events, signingKeys, cloudTime }, 201);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/devices/challenge',
        summary: 'A single-use challenge for the device to sign',
        ...unauthenticated,
        request: { body: jsonBody(ChallengeRequest, { deviceId: '0196f3a2-7c1e-7b3a-9f2d-708192031425' }) },
        responses: okResponses(ChallengeResponse, 'The challenge'),
      }),
      async (c) => {
        const { deviceId } = c.req.valid('json');
        const { challenge, expiresAt } = await checked(c, await createChallenge(services, deviceId));
        return c.json({ challenge, expiresAt }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/devices/token',
        summary: 'Exchange a signed challenge for a short-lived device access token',
        ...unauthenticated,
        request: {
          body: jsonBody(DeviceTokenRequest, {
            deviceId: '0196f3a2-7c1e-7b3a-9f2d-708192031425',
            challenge: 'q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c',
            signature: `${'A'.repeat(85)}g`,
          }),
        },
        responses: okResponses(DeviceTokenResponse, 'The access token'),
      }),
      async (c) => {
        const { deviceId } = await checked(c, await verifyTokenRequest(services, c.req.valid('json')));
        await limiter('deviceToken', `device:${deviceId}`);
        const { accessToken, expiresAt } = await issueDeviceToken(services, deviceId);
        return c.json({ accessToken, expiresAt }, 200);
      },
    );
}
