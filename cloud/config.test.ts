/** Configuration: defaults, and every bad value stops the start with a message naming its variable. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';
const KEK = randomBytes(32).toString('base64');
const base = { AUTH_JWT_SECRET: SECRET, KEY_ENCRYPTION_KEY: KEK };

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env, { generateDevSecrets: false });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the SPEC defaults', () => {
    const config = loadConfig(base, { generateDevSecrets: false });
    expect(config).toMatchObject({
      port: 3000,
      databaseUrl: undefined,
      redisUrl: undefined,
      authIssuer: 'tickets-dev',
      authAudience: 'tickets-api',
      reservationTtlSeconds: 600,
      logLevel: 'info',
      auth: { kind: 'hs256', secret: SECRET },
    });
    expect(config.keyEncryptionKey).toHaveLength(32);
    expect(config.dataDir).toMatch(/data\/cloud$/);
  });

  it.each([
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }],
    ['REDIS_URL', { REDIS_URL: 'http://localhost' }],
    ['AUTH_JWT_SECRET', { AUTH_JWT_SECRET: 'short' }],
    ['AUTH_JWKS_URL', { AUTH_JWKS_URL: 'not a url', AUTH_JWT_SECRET: '' }],
    ['AUTH_JWKS_URL', { AUTH_JWKS_URL: 'https://idp.example/jwks' }],
    ['KEY_ENCRYPTION_KEY', { KEY_ENCRYPTION_KEY: randomBytes(16).toString('base64') }],
    ['KEY_ENCRYPTION_KEY', { KEY_ENCRYPTION_KEY: 'not base64 !!' }],
    ['RESERVATION_TTL_SECONDS', { RESERVATION_TTL_SECONDS: '0' }],
    ['RESERVATION_TTL_SECONDS', { RESERVATION_TTL_SECONDS: '-5' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['CORS_ORIGINS', { CORS_ORIGINS: 'javascript:alert(1)' }],
  ])('names %s when it is bad', (variable, env) => {
    const error = errorOf({ ...base, ...env });
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
  });

  it('requires the secrets in production instead of generating them', () => {
    expect(errorOf({ NODE_ENV: 'production', KEY_ENCRYPTION_KEY: KEK }).variable).toBe('AUTH_JWT_SECRET');
    expect(errorOf({ NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET }).variable).toBe('KEY_ENCRYPTION_KEY');
  });

  it('accepts a JWKS URL instead of a secret', () => {
    const config = loadConfig(
      { AUTH_JWKS_URL: 'https://idp.example/.well-known/jwks.json', KEY_ENCRYPTION_KEY: KEK },
      { generateDevSecrets: false },
    );
    expect(config.auth).toEqual({ kind: 'jwks', url: 'https://idp.example/.well-known/jwks.json' });
  });

  it('never puts the secret in the error message', () => {
    const error = errorOf({ ...base, AUTH_JWT_SECRET: 'short-secret' });
    expect(error.message).not.toContain('short-secret');
  });
});
