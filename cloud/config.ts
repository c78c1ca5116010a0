/**
 * Cloud configuration: the environment parsed once at start with zod (SPEC section 2). A bad value
 * stops the process with a message naming the variable; nothing else in the cloud reads process.env.
 * Development conveniences (a generated JWT secret and key-encryption key) are persisted in DATA_DIR so
 * tokens and wrapped keys survive a restart; with NODE_ENV=production they must be given explicitly, and so
 * must a payment provider that takes real money (the test provider is refused there).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_DATABASE_POOL_SIZE } from './db/client';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const positiveInt = (fallback: number, max: number) =>
  z.coerce.number().int().min(1).max(max).default(fallback);

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: optionalText.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
  ),
  REDIS_URL: optionalText.pipe(
    z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// URL')
      .optional(),
  ),
  DATA_DIR: z.string().min(1).default('./data/cloud'),
  AUTH_JWT_SECRET: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  AUTH_JWKS_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  AUTH_ISSUER: z.string().min(1).default('tickets-dev'),
  AUTH_AUDIENCE: z.string().min(1).default('tickets-api'),
  KEY_ENCRYPTION_KEY: optionalText.pipe(
    z
      .string()
      .refine((value) => decodeKek(value) !== undefined, 'must be 32 bytes encoded as base64')
      .optional(),
  ),
  RESERVATION_TTL_SECONDS: positiveInt(600, 86_400),
  HOLD_LIMIT_PER_CUSTOMER: positiveInt(10, 100_000),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  CORS_ORIGINS: z.string().default('*'),
  RATE_LIMIT_AUTH_PER_MINUTE: positiveInt(30, 1_000_000),
  RATE_LIMIT_PURCHASE_PER_MINUTE: positiveInt(120, 1_000_000),
  RATE_LIMIT_READ_PER_MINUTE: positiveInt(1200, 1_000_000),
  RATE_LIMIT_SYNC_PER_MINUTE: positiveInt(600, 1_000_000),
  RATE_LIMIT_DEVICE_TOKEN_PER_MINUTE: positiveInt(10, 1_000_000),
  TRUSTED_PROXIES: z.string().default(''),
  SHUTDOWN_GRACE_MS: positiveInt(10_000, 600_000),
  CLOUD_WORKERS: z.coerce
    .number({ error: 'must be a whole number from 1 to 64' })
    .int('must be a whole number from 1 to 64')
    .min(1, 'must be a whole number from 1 to 64')
    .max(64, 'must be a whole number from 1 to 64')
    .default(1),
  CLOUD_SCAN_WORKERS: z.coerce
    .number({ error: 'must be a whole number from 0 to 16' })
    .int('must be a whole number from 0 to 16')
    .min(0, 'must be a whole number from 0 to 16')
    .max(16, 'must be a whole number from 0 to 16')
    .default(0),
  DATABASE_POOL_SIZE: positiveInt(DEFAULT_DATABASE_POOL_SIZE, 200),
  SYNC_STREAM_HEARTBEAT_MS: positiveInt(5_000, 60_000),
  MINTING_SERVICE_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  INTERNAL_SERVICE_SECRET: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  MINTING_TIMEOUT_MS: positiveInt(5_000, 120_000),
  RECONCILIATION_LOCAL_TIME: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour, venue local time)')
    .default('04:00'),
  JOBS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only')
    .default('gate-jobs'),
  PAYMENT_PROVIDER: optionalText.pipe(z.enum(['test', 'stripe']).optional()),
  STRIPE_SECRET_KEY: optionalText.pipe(
    z
      .string()
      .regex(/^(sk|rk)_(live|test)_\w+$/, 'must be a Stripe secret or restricted key (sk_live_… / rk_live_…)')
      .optional(),
  ),
  STRIPE_WEBHOOK_SECRET: optionalText.pipe(
    z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/=_-]+$/, 'must be a webhook signing secret (whsec_…)')
      .optional(),
  ),
});

/** How user JWTs are verified: a shared HS256 secret or an identity provider's JWKS. */
export type AuthConfig = { kind: 'hs256'; secret: string } | { kind: 'jwks'; url: string };

/** Requests allowed per minute for each rate-limit class (SPEC section 4, "Operations"). */
export interface RateLimitConfig {
  /** Failed authentications per client address (user JWTs, device tokens, enrollments, challenges). */
  auth: number;
  purchase: number;
  read: number;
  sync: number;
  /** Access tokens issued per device, counted only once the device's signature has been verified. */
  deviceToken: number;
}

/** The parsed, validated configuration of one cloud process. */
export interface Config {
  nodeEnv: 'development' | 'test' | 'production';
  port: number;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  dataDir: string;
  auth: AuthConfig;
  authIssuer: string;
  authAudience: string;
  /** 32 bytes that wrap per-event and signing keys at rest. Never logged. */
  keyEncryptionKey: Uint8Array;
  reservationTtlSeconds: number;
  /** At most this many tickets in one customer's active holds for one event (HOLD_LIMIT_PER_CUSTOMER). */
  holdLimitPerCustomer: number;
  logLevel: (typeof LOG_LEVELS)[number];
  corsOrigins: string[] | '*';
  rateLimits: RateLimitConfig;
  /**
   * Peers whose X-Forwarded-For is believed (IPs and CIDRs, e.g. the load balancer); empty = the client
   * address is always the socket's.
   */
  trustedProxies: string[];
  shutdownGraceMs: number;
  /**
   * Cloud processes `npm run cloud` runs on this machine, sharing its port (CLOUD_WORKERS, cloud/cluster.ts);
   * 1 = one process, no cluster. More than 1 needs DATABASE_URL and REDIS_URL.
   */
  cloudWorkers: number;
  /**
   * Cloud processes that serve the scan lane only (CLOUD_SCAN_WORKERS, cloud/http/lane-router.ts): a
   * connection whose first request is `POST /api/v1/validate` goes to one of them, every other to the
   * CLOUD_WORKERS. 0 = no lane. More than 0 runs a cluster and needs DATABASE_URL and REDIS_URL.
   */
  scanWorkers: number;
  /**
   * Connections of this process's main PostgreSQL pool (DATABASE_POOL_SIZE); online scans (8) and the
   * durability flush (4) have small pools of their own beside it.
   */
  databasePoolSize: number;
  /**
   * How often an idle push stream sends a heartbeat (SYNC_STREAM_HEARTBEAT_MS). Gates treat a stream silent
   * for 2.5 heartbeats as dead and reconnect: a path that dies without closing the connection (a cloud
   * killed behind a proxy, a link that goes dark) costs seconds, not a 30 s pull timer.
   */
  streamHeartbeatMs: number;
  /** Delegated ticket minting (SPEC section 8); undefined = tickets are not minted elsewhere. */
  minting: MintingConfig | undefined;
  /** Venue-local time (HH:MM) of the nightly reconciliation. */
  reconciliationLocalTime: string;
  /** BullMQ key prefix (tests give each run its own). */
  jobsPrefix: string;
  /** Who takes the money (cloud/services/payments.ts); never `test` in production. */
  payments: PaymentConfig;
}

/**
 * The payment provider. `test` is the built-in TestPaymentProvider (takes no money; development and
 * tests only); `stripe` charges through Stripe PaymentIntents and verifies its webhooks.
 */
export type PaymentConfig =
  | { provider: 'test' }
  | { provider: 'stripe'; secretKey: string; webhookSecret: string };

/** Where and how the cloud calls the external minting service. */
export interface MintingConfig {
  url: string;
  /** Shared secret for the X-Internal-Auth HMAC. Never logged, never put in job data. */
  secret: string;
  timeoutMs: number;
}

/** A configuration value that stops the process; `variable` names the environment variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`invalid configuration: ${variable}: ${detail}`);
  }
}

function decodeKek(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
  return bytes.length === 32 ? new Uint8Array(bytes) : undefined;
}

export interface LoadConfigOptions {
  /**
   * Generate and persist a JWT secret / key-encryption key in DATA_DIR when they are missing outside
   * production. Tests pass false to keep loadConfig free of file-system effects.
   */
  generateDevSecrets?: boolean;
  /** Where to announce generated development secrets (default: stderr). */
  announce?: (message: string) => void;
}

/**
 * Parses the environment into a Config. Throws ConfigError naming the first bad variable.
 */
export function loadConfig(env: Record<string, string | undefined>, options: LoadConfigOptions = {}): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(variable, issue?.message ?? 'invalid value');
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const generate = options.generateDevSecrets ?? true;
  const announce = options.announce ?? ((message: string) => process.stderr.write(`${message}\n`));
  const dataDir = resolve(e.DATA_DIR);

  if (e.AUTH_JWT_SECRET && e.AUTH_JWKS_URL) {
    throw new ConfigError('AUTH_JWKS_URL', 'set either AUTH_JWT_SECRET or AUTH_JWKS_URL, not both');
  }

  let auth: AuthConfig;
  if (e.AUTH_JWKS_URL) auth = { kind: 'jwks', url: e.AUTH_JWKS_URL };
  else if (e.AUTH_JWT_SECRET) auth = { kind: 'hs256', secret: e.AUTH_JWT_SECRET };
  else if (production || !generate) {
    throw new ConfigError('AUTH_JWT_SECRET', 'required (or AUTH_JWKS_URL) when NODE_ENV=production');
  } else {
    const secret = devSecret(dataDir, 'auth-jwt-secret', () => randomBytes(32).toString('base64url'));
    // Never the secret itself: a console scrolls into logs and screenshots. The file is 0600.
    announce(
      `[config] AUTH_JWT_SECRET not set: using the development secret stored in ${join(dataDir, 'dev-auth-jwt-secret')}`,
    );
    auth = { kind: 'hs256', secret };
  }

  let keyEncryptionKey: Uint8Array;
  if (e.KEY_ENCRYPTION_KEY) keyEncryptionKey = decodeKek(e.KEY_ENCRYPTION_KEY)!;
  else if (production || !generate) {
    throw new ConfigError('KEY_ENCRYPTION_KEY', 'required (32 bytes, base64) when NODE_ENV=production');
  } else {
    const text = devSecret(dataDir, 'key-encryption-key', () => randomBytes(32).toString('base64'));
    const key = decodeKek(text);
    if (!key)
      throw new ConfigError('KEY_ENCRYPTION_KEY', `the stored development key in ${dataDir} is corrupt`);
    announce(`[config] KEY_ENCRYPTION_KEY not set: using the development key stored in ${dataDir}`);
    keyEncryptionKey = key;
  }

  if (e.MINTING_SERVICE_URL && !e.INTERNAL_SERVICE_SECRET) {
    throw new ConfigError('INTERNAL_SERVICE_SECRET', 'required when MINTING_SERVICE_URL is set');
  }

  const payments = paymentConfig(e, production);
  workersNeedSharedStores(e);

  const origins = e.CORS_ORIGINS.split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of origins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ConfigError('CORS_ORIGINS', `not an origin: ${origin}`);
    }
  }

  const trustedProxies = e.TRUSTED_PROXIES.split(/[\s,]+/).filter(Boolean);
  for (const entry of trustedProxies) {
    if (!isAddressOrCidr(entry))
      throw new ConfigError('TRUSTED_PROXIES', `not an IP address or CIDR: ${entry}`);
  }

  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    dataDir,
    auth,
    authIssuer: e.AUTH_ISSUER,
    authAudience: e.AUTH_AUDIENCE,
    keyEncryptionKey,
    reservationTtlSeconds: e.RESERVATION_TTL_SECONDS,
    holdLimitPerCustomer: e.HOLD_LIMIT_PER_CUSTOMER,
    logLevel: e.LOG_LEVEL,
    corsOrigins: origins.includes('*') || origins.length === 0 ? '*' : origins,
    rateLimits: {
      auth: e.RATE_LIMIT_AUTH_PER_MINUTE,
      purchase: e.RATE_LIMIT_PURCHASE_PER_MINUTE,
      read: e.RATE_LIMIT_READ_PER_MINUTE,
      sync: e.RATE_LIMIT_SYNC_PER_MINUTE,
      deviceToken: e.RATE_LIMIT_DEVICE_TOKEN_PER_MINUTE,
    },
    trustedProxies,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    cloudWorkers: e.CLOUD_WORKERS,
    scanWorkers: e.CLOUD_SCAN_WORKERS,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    streamHeartbeatMs: e.SYNC_STREAM_HEARTBEAT_MS,
    minting:
      e.MINTING_SERVICE_URL && e.INTERNAL_SERVICE_SECRET
        ? { url: e.MINTING_SERVICE_URL, secret: e.INTERNAL_SERVICE_SECRET, timeoutMs: e.MINTING_TIMEOUT_MS }
        : undefined,
    reconciliationLocalTime: e.RECONCILIATION_LOCAL_TIME,
    jobsPrefix: e.JOBS_PREFIX,
    payments,
  };
}

/**
 * The payment provider: `PAYMENT_PROVIDER` (default `test` outside production, required in production,
 * where `test` is refused because it takes no money). Stripe needs its secret key and the webhook signing
 * secret; in production a test-mode key is refused for the same reason. A Stripe key without
 * PAYMENT_PROVIDER=stripe is refused rather than silently ignored.
 */
function paymentConfig(e: z.infer<typeof envSchema>, production: boolean): PaymentConfig {
  const provider = e.PAYMENT_PROVIDER ?? (production ? undefined : 'test');
  if (provider === undefined) {
    throw new ConfigError(
      'PAYMENT_PROVIDER',
      'required when NODE_ENV=production: set PAYMENT_PROVIDER=stripe with STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET',
    );
  }
  if (provider === 'test') {
    if (production) {
      throw new ConfigError(
        'PAYMENT_PROVIDER',
        'the test provider takes no money and is refused when NODE_ENV=production: set PAYMENT_PROVIDER=stripe',
      );
    }
    if (e.STRIPE_SECRET_KEY || e.STRIPE_WEBHOOK_SECRET) {
      throw new ConfigError(
        'PAYMENT_PROVIDER',
        'Stripe keys are set: set PAYMENT_PROVIDER=stripe to use them',
      );
    }
    return { provider: 'test' };
  }
  if (!e.STRIPE_SECRET_KEY)
    throw new ConfigError('STRIPE_SECRET_KEY', 'required when PAYMENT_PROVIDER=stripe');
  if (production && /^(sk|rk)_test_/.test(e.STRIPE_SECRET_KEY)) {
    throw new ConfigError(
      'STRIPE_SECRET_KEY',
      'a test-mode key takes no money and is refused when NODE_ENV=production: use a live key',
    );
  }
  if (!e.STRIPE_WEBHOOK_SECRET) {
    throw new ConfigError('STRIPE_WEBHOOK_SECRET', 'required when PAYMENT_PROVIDER=stripe');
  }
  return { provider: 'stripe', secretKey: e.STRIPE_SECRET_KEY, webhookSecret: e.STRIPE_WEBHOOK_SECRET };
}

/**
 * Several cloud processes share everything through PostgreSQL and Redis: PGlite is an embedded database
 * that one process owns, and without Redis every process would keep its own job queue (a job queued by a
 * process that dies is lost until a sweep, the nightly reconciliation would be scheduled once per
 * process) and its own rate-limit counts (every limit multiplied by the number of processes).
 */
function workersNeedSharedStores(e: z.infer<typeof envSchema>): void {
  if (e.CLOUD_WORKERS === 1 && e.CLOUD_SCAN_WORKERS === 0) return;
  const [name, what] =
    e.CLOUD_WORKERS > 1
      ? ['CLOUD_WORKERS', `${e.CLOUD_WORKERS} processes`]
      : ['CLOUD_SCAN_WORKERS', 'a scan lane (its own processes)'];
  if (!e.DATABASE_URL) {
    throw new ConfigError(
      name,
      `${what} need DATABASE_URL (PostgreSQL): the embedded PGlite database belongs to one process`,
    );
  }
  if (!e.REDIS_URL) {
    throw new ConfigError(
      name,
      `${what} need REDIS_URL: jobs and rate limits must be shared by the processes`,
    );
  }
}

/** An IPv4/IPv6 address, or one with a prefix length (`10.0.0.0/8`, `fd00::/8`). */
function isAddressOrCidr(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** Reads a development secret from DATA_DIR, creating it (mode 0600) on first use. */
function devSecret(dataDir: string, name: string, create: () => string): string {
  const file = join(dataDir, `dev-${name}`);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const value = create();
  writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return value;
}
