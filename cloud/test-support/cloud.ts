/**
 * A real cloud app over a real (test) database for HTTP tests: `app.request()` on the production app,
 * a controllable clock, JWT minting for any role and tenant, and seeding through the public API.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { type CloudApp, createApp } from '../app';
import { type Config, loadConfig } from '../config';
import { createLogger } from '../logger';
import type { Role } from '../services/actor';
import { Keyring } from '../services/keyring';
import { type PaymentProvider, TestPaymentProvider } from '../services/payments';
import { createTestDatabase, type TestDatabase } from './database';
import { mintUserToken } from './tokens';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-0123456789';

export interface TestCloud<P extends PaymentProvider = TestPaymentProvider> extends CloudApp {
  database: TestDatabase;
  config: Config;
  payments: P;
  keyring: Keyring;
  /** Every log line written by the app (for "no secrets in logs" checks). */
  logLines: string[];
  /** The test clock (unix ms); move it with `advance`. */
  now(): number;
  advance(ms: number): void;
  /** A bearer token for `role` in `tenant` (default: a fresh user id). */
  token(role: Role, tenant: string, sub?: string): Promise<string>;
  /** `app.request` with JSON body and bearer token. */
  call(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string> },
    // biome-ignore lint/suspicious/noExplicitAny: tests inspect response bodies of many shapes
  ): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/**
 * Builds a test cloud. `env` overrides configuration (e.g. RESERVATION_TTL_SECONDS; REDIS_URL with a
 * unique JOBS_PREFIX runs the jobs on BullMQ). `realClock` uses Date.now instead of the fixed test clock
 * (for jobs whose delays must elapse in real time); `advance` then shifts it forward. `payments` replaces
 * the test payment provider (e.g. Stripe against a local fake).
 */
export async function createTestCloud<P extends PaymentProvider = TestPaymentProvider>(
  env: Record<string, string> = {},
  options: { realClock?: boolean; payments?: P } = {},
): Promise<TestCloud<P>> {
  const database = await createTestDatabase();
  const config = loadConfig(
    {
      NODE_ENV: 'test',
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'info',
      RATE_LIMIT_READ_PER_MINUTE: '100000',
      RATE_LIMIT_PURCHASE_PER_MINUTE: '100000',
      RATE_LIMIT_AUTH_PER_MINUTE: '100000',
      // Like the rate limits: out of the way of tests that seed many tickets for one buyer. The cap's own
      // tests (cloud/tests/hold-limit.test.ts) set it.
      HOLD_LIMIT_PER_CUSTOMER: '100000',
      ...env,
    },
    { generateDevSecrets: false },
  );
  const logLines: string[] = [];
  const logger = createLogger(
    config.logLevel,
    new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    }),
  );
  let shift = 0;
  let fixed = Date.parse('2027-05-01T12:00:00Z');
  const now = options.realClock ? () => Date.now() + shift : () => fixed;
  const keyring = new Keyring(database.db, config.keyEncryptionKey);
  await keyring.init(new Date(now()));
  const payments = (options.payments ?? new TestPaymentProvider()) as P;
  const cloud = createApp({ config, database, keyring, logger, payments, clock: now });

  const call: TestCloud<P>['call'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers['authorization'] = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    }
    const response = await cloud.app.request(path, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
    return { status: response.status, body: parsed, headers: response.headers };
  };

  return {
    ...cloud,
    database,
    config,
    payments,
    keyring,
    logLines,
    now,
    advance: (ms) => {
      fixed += ms;
      shift += ms;
    },
    token: (role, tenant, sub) =>
      mintUserToken({ sub: sub ?? `user-${randomUUID()}`, tid: tenant, role, secret: TEST_JWT_SECRET }),
    call,
    close: async () => {
      await cloud.jobs.close();
      await database.close();
    },
  };
}

/** What seeding and buying need of a cloud: its API, tokens and clock (a TestCloud, or a cloud process). */
export type CloudApi = Pick<TestCloud<PaymentProvider>, 'call' | 'token' | 'now'>;

export interface SeededEvent {
  tenant: string;
  adminToken: string;
  venueId: string;
  gateIds: string[];
  eventId: string;
  ticketTypeIds: string[];
}

/**
 * Seeds, through the API, a published event in a fresh tenant: one venue, two gates, and one ticket type
 * per capacity given (the second restricted to the second gate when `vipGate` is set).
 */
export async function seedEvent(
  cloud: CloudApi,
  options: { capacities?: number[]; vipGate?: boolean; publish?: boolean; tenant?: string } = {},
): Promise<SeededEvent> {
  const tenant = options.tenant ?? `tenant-${randomUUID()}`;
  const adminToken = await cloud.token('admin', tenant);
  const expectStatus = (response: { status: number; body: unknown }, status: number) => {
    if (response.status !== status)
      throw new Error(`seed: expected ${status}, got ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as { id: string };
  };
  const venue = expectStatus(
    await cloud.call('POST', '/api/v1/venues', {
      token: adminToken,
      body: { name: 'Arena', timezone: 'Europe/Berlin' },
    }),
    201,
  );
  const gateIds: string[] = [];
  for (const name of ['North', 'VIP']) {
    const gate = expectStatus(
      await cloud.call('POST', `/api/v1/venues/${venue.id}/gates`, { token: adminToken, body: { name } }),
      201,
    );
    gateIds.push(gate.id);
  }
  const now = cloud.now();
  const event = expectStatus(
    await cloud.call('POST', '/api/v1/events', {
      token: adminToken,
      body: {
        venueId: venue.id,
        name: 'Concert',
        startsAt: new Date(now + 3 * 3600_000).toISOString(),
        endsAt: new Date(now + 6 * 3600_000).toISOString(),
        doorsOpenAt: new Date(now + 3600_000).toISOString(),
      },
    }),
    201,
  );
  const ticketTypeIds: string[] = [];
  for (const [index, capacity] of (options.capacities ?? [100]).entries()) {
    const type = expectStatus(
      await cloud.call('POST', `/api/v1/events/${event.id}/ticket-types`, {
        token: adminToken,
        body: {
          name: index === 0 ? 'Standard' : `Type ${index + 1}`,
          priceCents: 2500 + index * 1000,
          currency: 'EUR',
          capacity,
          ...(options.vipGate && index === 1 ? { gates: [gateIds[1]] } : {}),
        },
      }),
      201,
    );
    ticketTypeIds.push(type.id);
  }
  if (options.publish ?? true) {
    expectStatus(await cloud.call('POST', `/api/v1/events/${event.id}/publish`, { token: adminToken }), 200);
  }
  return { tenant, adminToken, venueId: venue.id, gateIds, eventId: event.id, ticketTypeIds };
}

/** Holds and buys `quantity` tickets of a type as a new customer; returns the purchase body and token. */
export async function buyTickets(
  cloud: CloudApi,
  seeded: SeededEvent,
  options: {
    typeIndex?: number;
    quantity?: number;
    customerToken?: string;
    paymentToken?: string;
    holderNames?: (string | null)[];
  } = {},
) {
  const token = options.customerToken ?? (await cloud.token('customer', seeded.tenant));
  const hold = await cloud.call('POST', `/api/v1/events/${seeded.eventId}/reservations`, {
    token,
    body: {
      items: [
        { ticketTypeId: seeded.ticketTypeIds[options.typeIndex ?? 0], quantity: options.quantity ?? 1 },
      ],
    },
  });
  if (hold.status !== 201)
    throw new Error(`buyTickets: hold failed ${hold.status} ${JSON.stringify(hold.body)}`);
  const purchase = await cloud.call('POST', `/api/v1/reservations/${hold.body.id}/purchase`, {
    token,
    headers: { 'idempotency-key': `key-${randomUUID()}` },
    body: {
      paymentToken: options.paymentToken ?? 'tok_visa',
      ...(options.holderNames ? { holderNames: options.holderNames } : {}),
    },
  });
  if (purchase.status !== 201) {
    throw new Error(`buyTickets: purchase failed ${purchase.status} ${JSON.stringify(purchase.body)}`);
  }
  return { token, reservationId: hold.body.id as string, purchase: purchase.body };
}
