/** Configuration: defaults, and every bad value stops the start with a message naming its variable. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
      holdLimitPerCustomer: 10,
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
    ['HOLD_LIMIT_PER_CUSTOMER', { HOLD_LIMIT_PER_CUSTOMER: '0' }],
    ['HOLD_LIMIT_PER_CUSTOMER', { HOLD_LIMIT_PER_CUSTOMER: 'ten' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['CORS_ORIGINS', { CORS_ORIGINS: 'javascript:alert(1)' }],
    ['TRUSTED_PROXIES', { TRUSTED_PROXIES: 'load-balancer.internal' }],
    ['TRUSTED_PROXIES', { TRUSTED_PROXIES: '10.0.0.0/33' }],
    ['TRUSTED_PROXIES', { TRUSTED_PROXIES: '10.0.0.1, fd00::/129' }],
    ['RATE_LIMIT_DEVICE_TOKEN_PER_MINUTE', { RATE_LIMIT_DEVICE_TOKEN_PER_MINUTE: '0' }],
    ['DATABASE_POOL_SIZE', { DATABASE_POOL_SIZE: '0' }],
    ['DATABASE_POOL_SIZE', { DATABASE_POOL_SIZE: '201' }],
    ['DATABASE_POOL_SIZE', { DATABASE_POOL_SIZE: 'many' }],
  ])('names %s when it is bad', (variable, env) => {
    const error = errorOf({ ...base, ...env });
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
  });

  it('reads CLOUD_WORKERS (1 by default, 1..64) and refuses several processes without PostgreSQL and Redis', () => {
    const shared = { DATABASE_URL: 'postgres://db/cloud', REDIS_URL: 'redis://redis:6379' };
    expect(loadConfig(base, { generateDevSecrets: false }).cloudWorkers).toBe(1);
    expect(
      loadConfig({ ...base, ...shared, CLOUD_WORKERS: '4' }, { generateDevSecrets: false }).cloudWorkers,
    ).toBe(4);
    for (const bad of ['0', '65', '1.5', 'two', '-1']) {
      const error = errorOf({ ...base, ...shared, CLOUD_WORKERS: bad });
      expect(error.variable).toBe('CLOUD_WORKERS');
      expect(error.message).toContain('1 to 64');
    }
    const noPostgres = errorOf({ ...base, REDIS_URL: shared.REDIS_URL, CLOUD_WORKERS: '2' });
    expect(noPostgres.variable).toBe('CLOUD_WORKERS');
    expect(noPostgres.message).toContain('DATABASE_URL');
    const noRedis = errorOf({ ...base, DATABASE_URL: shared.DATABASE_URL, CLOUD_WORKERS: '2' });
    expect(noRedis.message).toContain('REDIS_URL');
  });

  it('reads DATABASE_POOL_SIZE (the main pool of each process; 8 by default, 1..200)', () => {
    expect(loadConfig(base, { generateDevSecrets: false }).databasePoolSize).toBe(8);
    expect(
      loadConfig({ ...base, DATABASE_POOL_SIZE: '20' }, { generateDevSecrets: false }).databasePoolSize,
    ).toBe(20);
  });

  it('reads CLOUD_SCAN_WORKERS (0 by default, 0..16); a scan lane needs PostgreSQL and Redis too', () => {
    const shared = { DATABASE_URL: 'postgres://db/cloud', REDIS_URL: 'redis://redis:6379' };
    expect(loadConfig(base, { generateDevSecrets: false }).scanWorkers).toBe(0);
    expect(
      loadConfig({ ...base, ...shared, CLOUD_SCAN_WORKERS: '1' }, { generateDevSecrets: false }).scanWorkers,
    ).toBe(1);
    for (const bad of ['17', '1.5', 'one', '-1']) {
      const error = errorOf({ ...base, ...shared, CLOUD_SCAN_WORKERS: bad });
      expect(error.variable).toBe('CLOUD_SCAN_WORKERS');
      expect(error.message).toContain('0 to 16');
    }
    const noPostgres = errorOf({ ...base, REDIS_URL: shared.REDIS_URL, CLOUD_SCAN_WORKERS: '1' });
    expect(noPostgres.variable).toBe('CLOUD_SCAN_WORKERS');
    expect(noPostgres.message).toContain('DATABASE_URL');
    const noRedis = errorOf({ ...base, DATABASE_URL: shared.DATABASE_URL, CLOUD_SCAN_WORKERS: '1' });
    expect(noRedis.message).toContain('REDIS_URL');
  });

  it('trusts no proxy by default and reads TRUSTED_PROXIES as a list of IPs and CIDRs', () => {
    expect(loadConfig(base, { generateDevSecrets: false }).trustedProxies).toEqual([]);
    expect(loadConfig(base, { generateDevSecrets: false }).rateLimits.deviceToken).toBe(10);
    const config = loadConfig(
      { ...base, TRUSTED_PROXIES: ' 10.0.0.0/8,192.168.1.7  fd00::/8 ' },
      { generateDevSecrets: false },
    );
    expect(config.trustedProxies).toEqual(['10.0.0.0/8', '192.168.1.7', 'fd00::/8']);
  });

  it('requires the secrets in production instead of generating them', () => {
    expect(errorOf({ NODE_ENV: 'production', KEY_ENCRYPTION_KEY: KEK }).variable).toBe('AUTH_JWT_SECRET');
    expect(errorOf({ NODE_ENV: 'production', AUTH_JWT_SECRET: SECRET }).variable).toBe('KEY_ENCRYPTION_KEY');
  });

  it('uses the test payment provider outside production, and refuses it in production', () => {
    expect(loadConfig(base, { generateDevSecrets: false }).payments).toEqual({ provider: 'test' });
    const production = { ...base, NODE_ENV: 'production' };
    const missing = errorOf(production);
    expect(missing.variable).toBe('PAYMENT_PROVIDER');
    expect(missing.message).toContain('PAYMENT_PROVIDER=stripe');
    expect(missing.message).toContain('STRIPE_SECRET_KEY');
    expect(errorOf({ ...production, PAYMENT_PROVIDER: 'test' }).variable).toBe('PAYMENT_PROVIDER');
  });

  it('requires the Stripe secret key and webhook secret with PAYMENT_PROVIDER=stripe', () => {
    const stripe = { ...base, PAYMENT_PROVIDER: 'stripe' };
    const key = 'sk_live_51abcDEF0123456789';
    const webhook = 'whsec_0123456789abcdefABCDEF';
    expect(errorOf(stripe).variable).toBe('STRIPE_SECRET_KEY');
    expect(errorOf({ ...stripe, STRIPE_SECRET_KEY: key }).variable).toBe('STRIPE_WEBHOOK_SECRET');
    expect(
      errorOf({ ...stripe, STRIPE_SECRET_KEY: 'pk_live_publishable', STRIPE_WEBHOOK_SECRET: webhook })
        .variable,
    ).toBe('STRIPE_SECRET_KEY');
    expect(errorOf({ ...stripe, STRIPE_SECRET_KEY: key, STRIPE_WEBHOOK_SECRET: 'CHANGE-ME' }).variable).toBe(
      'STRIPE_WEBHOOK_SECRET',
    );
    expect(
      errorOf({ ...stripe, STRIPE_SECRET_KEY: 'CHANGE-ME', STRIPE_WEBHOOK_SECRET: webhook }).message,
    ).not.toContain('CHANGE-ME');
    const config = loadConfig(
      { ...stripe, NODE_ENV: 'production', STRIPE_SECRET_KEY: key, STRIPE_WEBHOOK_SECRET: webhook },
      { generateDevSecrets: false },
    );
    expect(config.payments).toEqual({ provider: 'stripe', secretKey: key, webhookSecret: webhook });
    // Test mode takes no money: fine in development, refused in production.
    const testKey = { ...stripe, STRIPE_SECRET_KEY: 'sk_test_51abc', STRIPE_WEBHOOK_SECRET: webhook };
    expect(loadConfig(testKey, { generateDevSecrets: false }).payments.provider).toBe('stripe');
    expect(errorOf({ ...testKey, NODE_ENV: 'production' }).variable).toBe('STRIPE_SECRET_KEY');
    // A Stripe key is never silently ignored.
    expect(errorOf({ ...base, STRIPE_SECRET_KEY: key }).variable).toBe('PAYMENT_PROVIDER');
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

  it('generates development secrets into 0600 files and announces where, never what', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'config-dev-'));
    try {
      const said: string[] = [];
      const config = loadConfig({ DATA_DIR: dataDir }, { announce: (message) => said.push(message) });
      if (config.auth.kind !== 'hs256') throw new Error('expected the development HS256 secret');
      const file = join(dataDir, 'dev-auth-jwt-secret');
      expect(readFileSync(file, 'utf8').trim()).toBe(config.auth.secret);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(said.join('\n')).toContain(file);
      expect(said.join('\n')).not.toContain(config.auth.secret);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
