/**
 * How a gate device gets its identity and its access tokens (SPEC section 6): enrollment with a one-time
 * token and the device's public key, then challenge → signed challenge → short-lived access token. These
 * calls carry no credentials yet, so each counts against the `auth` rate-limit class of its address.
 */
import { createRoute } from '@hono/zod-openapi';
import {
  ChallengeRequest,
  ChallengeResponse,
  DeviceTokenRequest,
  DeviceTokenResponse,
  EnrollRequest,
  EnrollResponse,
} from '../../shared/sync-protocol';
import { createdResponses, okResponses } from '../http/answers';
import { createRouter, jsonBody, type SyncRouteDeps, unwrap } from '../http/openapi';
import { createChallenge, enrollDevice, exchangeChallenge } from '../services/devices';

/** Routes under /api/v1 for device enrollment and access tokens. */
export function enrollmentRoutes(deps: SyncRouteDeps) {
  const { services, authLimit } = deps;
  const unauthenticated = { tags: ['sync'], middleware: [authLimit] };
  return createRouter()
    .openapi(
      createRoute({
        method: 'post',
        path: '/devices/enroll',
        summary: 'Exchange a one-time enrollment token and the device’s public key for a device identity',
        ...unauthenticated,
        request: { body: jsonBody(EnrollRequest) },
        responses: createdResponses(EnrollResponse, 'The enrolled device'),
      }),
      async (c) => {
        const { deviceId, credentials, gate, events, signingKeys, cloudTime } = unwrap(
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
        request: { body: jsonBody(ChallengeRequest) },
        responses: okResponses(ChallengeResponse, 'The challenge'),
      }),
      async (c) => {
        const { deviceId } = c.req.valid('json');
        const { challenge, expiresAt } = unwrap(await createChallenge(services, deviceId));
        return c.json({ challenge, expiresAt }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/devices/token',
        summary: 'Exchange a signed challenge for a short-lived device access token',
        ...unauthenticated,
        request: { body: jsonBody(DeviceTokenRequest) },
        responses: okResponses(DeviceTokenResponse, 'The access token'),
      }),
      async (c) => {
        const { accessToken, expiresAt } = unwrap(await exchangeChallenge(services, c.req.valid('json')));
        return c.json({ accessToken, expiresAt }, 200);
      },
    );
}
