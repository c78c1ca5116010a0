/** User JWTs through an identity provider's JWKS: explicit algorithms, issuer, audience, no HS256 confusion. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from './auth';

let server: Server;
let url: string;
type SigningKey = Parameters<SignJWT['sign']>[0];
let privateKey: SigningKey;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
});

afterAll(() => {
  server?.close();
});

function token(key: SigningKey, alg: string, claims: Record<string, unknown> = {}, audience = 'tickets-api') {
  return new SignJWT({ tid: 'tenant-1', role: 'venue_staff', ...claims })
    .setProtectedHeader({ alg, kid: 'k1' })
    .setSubject('staff-1')
    .setIssuer('tickets-dev')
    .setAudience(audience)
    .setExpirationTime('10m')
    .sign(key);
}

describe('JWKS authentication', () => {
  it('accepts a token signed by the identity provider', async () => {
    const authenticate = createAuthenticator({
      auth: { kind: 'jwks', url },
      authIssuer: 'tickets-dev',
      authAudience: 'tickets-api',
    });
    expect(await authenticate(await token(privateKey, 'ES256'))).toEqual({
      userId: 'staff-1',
      tenantId: 'tenant-1',
      role: 'venue_staff',
    });
  });

  it('refuses other keys, HS256 tokens, unknown roles and wrong audiences', async () => {
    const authenticate = createAuthenticator({
      auth: { kind: 'jwks', url },
      authIssuer: 'tickets-dev',
      authAudience: 'tickets-api',
    });
    const stranger = (await generateKeyPair('ES256')).privateKey;
    expect(await authenticate(await token(stranger, 'ES256'))).toBeUndefined();
    expect(
      await authenticate(await token(new TextEncoder().encode('x'.repeat(64)), 'HS256')),
    ).toBeUndefined();
    expect(await authenticate(await token(privateKey, 'ES256', { role: 'superuser' }))).toBeUndefined();
    expect(await authenticate(await token(privateKey, 'ES256', {}, 'someone-else'))).toBeUndefined();
  });
});
