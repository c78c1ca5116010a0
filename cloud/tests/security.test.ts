/**
 * Security, table-driven over every /api/v1 route: authentication failures (missing, malformed, expired,
 * wrong issuer/audience/secret/algorithm), roles (SPEC section 3) and tenant isolation (another tenant's
 * id answers 404 exactly like a missing one; lists never show another tenant's rows). Nothing a refused
 * request tries is written.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, orders, tickets } from '../db/schema';
import type { Role } from '../services/actor';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  TEST_JWT_SECRET,
  type TestCloud,
} from '../test-support/cloud';
import { mintUserToken } from '../test-support/tokens';

let cloud: TestCloud;
let a: SeededEvent;
let ownerToken: string;
let ids: Record<'venue' | 'gate' | 'event' | 'type' | 'reservation' | 'ticket' | 'order' | 'qr', string>;

const ROLES: Role[] = ['customer', 'venue_staff', 'admin', 'ops'];

interface RouteCase {
  name: string;
  method: string;
  path: () => string;
  body?: () => unknown;
  headers?: Record<string, string>;
  allowed: Role[];
  /** 'id' = another tenant gets 404; 'list' = another tenant gets 200 without our rows; 'none' = no tenant data addressed. */
  isolation: 'id' | 'list' | 'none';
}

const routes: RouteCase[] = [
  {
    name: 'create venue',
    method: 'POST',
    path: () => '/api/v1/venues',
    body: () => ({ name: 'X', timezone: 'UTC' }),
    allowed: ['admin'],
    isolation: 'none',
  },
  {
    name: 'list venues',
    method: 'GET',
    path: () => '/api/v1/venues',
    allowed: ['admin', 'venue_staff'],
    isolation: 'list',
  },
  {
    name: 'get venue',
    method: 'GET',
    path: () => `/api/v1/venues/${ids.venue}`,
    allowed: ['admin', 'venue_staff'],
    isolation: 'id',
  },
  {
    name: 'create gate',
    method: 'POST',
    path: () => `/api/v1/venues/${ids.venue}/gates`,
    body: () => ({ name: 'G' }),
    allowed: ['admin'],
    isolation: 'id',
  },
  {
    name: 'list gates',
    method: 'GET',
    path: () => `/api/v1/venues/${ids.venue}/gates`,
    allowed: ['admin', 'venue_staff'],
    isolation: 'id',
  },
  {
    name: 'create event',
    method: 'POST',
    path: () => '/api/v1/events',
    body: () => ({
      venueId: ids.venue,
      name: 'E',
      startsAt: '2027-06-01T18:00:00Z',
      endsAt: '2027-06-01T22:00:00Z',
    }),
    allowed: ['admin'],
    isolation: 'id',
  },
  {
    name: 'list events',
    method: 'GET',
    path: () => '/api/v1/events',
    allowed: ['admin', 'venue_staff', 'customer'],
    isolation: 'list',
  },
  {
    name: 'get event',
    method: 'GET',
    path: () => `/api/v1/events/${ids.event}`,
    allowed: ['admin', 'venue_staff', 'customer'],
    isolation: 'id',
  },
  {
    name: 'patch event',
    method: 'PATCH',
    path: () => `/api/v1/events/${ids.event}`,
    body: () => ({ name: 'Hacked' }),
    allowed: ['admin'],
    isolation: 'id',
  },
  {
    name: 'delete event',
    method: 'DELETE',
    path: () => `/api/v1/events/${ids.event}`,
    allowed: ['admin'],
    isolation: 'id',
  },
  {
    name: 'publish event',
    method: 'POST',
    path: () => `/api/v1/events/${ids.event}/publish`,
    allowed: ['admin'],
    isolation: 'id',
  },
  {
    name: 'cancel event',
    method: 'POST',
    path: () => `/api/v1/events/${ids.event}/cancel`,
    body: () => ({ reason: 'x' }),
    allowed: ['admin'],
    isolation: 'id',
  },
  {
    name: 'create ticket type',
    method: 'POST',
    path: () => `/api/v1/events/${ids.event}/ticket-types`,
    body: () => ({ name: 'T', priceCents: 1, currency: 'EUR', capacity: 1 }),
    allowed: ['admin'],
    isolation: 'id',
  },
  {
    name: 'patch ticket type',
    method: 'PATCH',
    path: () => `/api/v1/events/${ids.event}/ticket-types/${ids.type}`,
    body: () => ({ capacity: 1000 }),
    allowed: ['admin'],
    isolation: 'id',
  },
  {
    name: 'list ticket types',
    method: 'GET',
    path: () => `/api/v1/events/${ids.event}/ticket-types`,
    allowed: ['admin', 'venue_staff', 'customer'],
    isolation: 'id',
  },
  {
    name: 'hold',
    method: 'POST',
    path: () => `/api/v1/events/${ids.event}/reservations`,
    body: () => ({ items: [{ ticketTypeId: ids.type, quantity: 1 }] }),
    allowed: ['customer'],
    isolation: 'id',
  },
  {
    name: 'release hold',
    method: 'DELETE',
    path: () => `/api/v1/reservations/${ids.reservation}`,
    allowed: ['customer'],
    isolation: 'id',
  },
  {
    name: 'purchase',
    method: 'POST',
    path: () => `/api/v1/reservations/${ids.reservation}/purchase`,
    headers: { 'idempotency-key': 'security-test-key-0001' },
    body: () => ({ paymentToken: 'tok_visa' }),
    allowed: ['customer'],
    isolation: 'id',
  },
  {
    name: 'my tickets',
    method: 'GET',
    path: () => '/api/v1/me/tickets',
    allowed: ['customer'],
    isolation: 'list',
  },
  {
    name: 'get ticket',
    method: 'GET',
    path: () => `/api/v1/tickets/${ids.ticket}`,
    allowed: ['customer', 'admin'],
    isolation: 'id',
  },
  {
    name: 'ticket QR',
    method: 'GET',
    path: () => `/api/v1/tickets/${ids.ticket}/qr.svg`,
    allowed: ['customer', 'admin'],
    isolation: 'id',
  },
  {
    name: 'transfer',
    method: 'POST',
    path: () => `/api/v1/tickets/${ids.ticket}/transfer`,
    body: () => ({ toUserId: 'thief' }),
    allowed: ['customer'],
    isolation: 'id',
  },
  {
    name: 'refund',
    method: 'POST',
    path: () => `/api/v1/orders/${ids.order}/refund`,
    allowed: ['customer', 'admin'],
    isolation: 'id',
  },
  {
    name: 'validate',
    method: 'POST',
    path: () => '/api/v1/validate',
    body: () => ({ qr: ids.qr, gateId: ids.gate }),
    allowed: ['venue_staff'],
    isolation: 'id',
  },
];

function send(route: RouteCase, token: string | undefined) {
  return cloud.call(route.method, route.path(), {
    ...(token ? { token } : {}),
    ...(route.body ? { body: route.body() } : {}),
    ...(route.headers ? { headers: route.headers } : {}),
  });
}

async function snapshot() {
  const [event] = await cloud.database.db.select().from(events).where(eq(events.id, ids.event));
  const [ticket] = await cloud.database.db.select().from(tickets).where(eq(tickets.id, ids.ticket));
  const [order] = await cloud.database.db.select().from(orders).where(eq(orders.id, ids.order));
  return { event, ticket, order };
}

beforeAll(async () => {
  cloud = await createTestCloud();
  a = await seedEvent(cloud, { capacities: [50] });
  const bought = await buyTickets(cloud, a);
  ownerToken = bought.token;
  const pending = await cloud.call('POST', `/api/v1/events/${a.eventId}/reservations`, {
    token: ownerToken,
    body: { items: [{ ticketTypeId: a.ticketTypeIds[0], quantity: 1 }] },
  });
  ids = {
    venue: a.venueId,
    gate: a.gateIds[0]!,
    event: a.eventId,
    type: a.ticketTypeIds[0]!,
    reservation: pending.body.id,
    ticket: bought.purchase.tickets[0].id,
    order: bought.purchase.order.id,
    qr: bought.purchase.tickets[0].qr,
  };
});

afterAll(async () => {
  await cloud?.close();
});

describe('authentication', () => {
  const probe = () => cloud.call('GET', '/api/v1/events', {});
  const variants: [string, () => Promise<string>][] = [
    ['garbage', async () => 'not-a-jwt'],
    [
      'expired',
      () =>
        mintUserToken({
          sub: 'u',
          tid: a.tenant,
          role: 'admin',
          secret: TEST_JWT_SECRET,
          expiresInSeconds: -120,
        }),
    ],
    [
      'wrong issuer',
      () =>
        mintUserToken({ sub: 'u', tid: a.tenant, role: 'admin', secret: TEST_JWT_SECRET, issuer: 'evil' }),
    ],
    [
      'wrong audience',
      () =>
        mintUserToken({ sub: 'u', tid: a.tenant, role: 'admin', secret: TEST_JWT_SECRET, audience: 'other' }),
    ],
    [
      'wrong secret',
      () =>
        mintUserToken({
          sub: 'u',
          tid: a.tenant,
          role: 'admin',
          secret: 'another-secret-that-is-long-enough-xyz',
        }),
    ],
    [
      'HS512 algorithm',
      () =>
        mintUserToken({
          sub: 'u',
          tid: a.tenant,
          role: 'admin',
          secret: TEST_JWT_SECRET,
          algorithm: 'HS512',
        }),
    ],
    [
      'unknown role',
      () => mintUserToken({ sub: 'u', tid: a.tenant, role: 'root' as Role, secret: TEST_JWT_SECRET }),
    ],
    [
      'alg none',
      async () => {
        const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
        const exp = Math.floor(Date.now() / 1000) + 600;
        return `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ sub: 'u', tid: a.tenant, role: 'admin', iss: 'tickets-dev', aud: 'tickets-api', exp })}.`;
      },
    ],
  ];

  it('answers 401 with the envelope without a token', async () => {
    const response = await probe();
    expect(response.status).toBe(401);
    expect(response.body.error).toMatchObject({ code: 'UNAUTHENTICATED', requestId: expect.any(String) });
  });

  it.each(variants)('answers 401 to a token that is %s', async (_name, make) => {
    const response = await cloud.call('GET', '/api/v1/events', { token: await make() });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('UNAUTHENTICATED');
  });

  it.each(routes)('$name: 401 without a token', async (route) => {
    expect((await send(route, undefined)).status).toBe(401);
  });

  it('keeps /metrics for ops only', async () => {
    expect((await cloud.call('GET', '/metrics')).status).toBe(401);
    expect(
      (await cloud.call('GET', '/metrics', { token: await cloud.token('admin', a.tenant) })).status,
    ).toBe(403);
  });
});

describe('roles', () => {
  const cases = routes.flatMap((route) =>
    ROLES.filter((role) => !route.allowed.includes(role)).map((role) => ({ ...route, role })),
  );
  it.each(cases)('$name: 403 for $role', async (route) => {
    const response = await send(route, await cloud.token(route.role, a.tenant));
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('FORBIDDEN');
  });
});

describe('tenant isolation', () => {
  const cases = routes.flatMap((route) =>
    route.isolation === 'none' ? [] : route.allowed.map((role) => ({ ...route, role })),
  );
  it.each(cases)('$name: another tenant’s $role cannot reach tenant A', async (route) => {
    const other = await cloud.token(route.role, `tenant-${randomUUID()}`);
    const response = await send(route, other);
    if (route.isolation === 'id') {
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('NOT_FOUND');
    } else {
      expect(response.status).toBe(200);
      expect(response.body.items).toEqual([]);
    }
  });

  it('another customer of the same tenant cannot see, move or refund someone else’s ticket', async () => {
    const stranger = await cloud.token('customer', a.tenant);
    for (const route of routes.filter((r) =>
      ['get ticket', 'ticket QR', 'transfer', 'refund', 'release hold', 'purchase'].includes(r.name),
    )) {
      const response = await send(route, stranger);
      expect(response.status, route.name).toBe(404);
    }
  });

  it('an id that does not exist answers exactly like another tenant’s', async () => {
    const admin = await cloud.token('admin', `tenant-${randomUUID()}`);
    const foreign = await cloud.call('GET', `/api/v1/events/${ids.event}`, { token: admin });
    const missing = await cloud.call('GET', `/api/v1/events/${randomUUID()}`, { token: admin });
    expect(foreign.status).toBe(missing.status);
    expect(foreign.body.error.code).toBe(missing.body.error.code);
    expect(foreign.body.error.message).toBe(missing.body.error.message);
  });

  it('wrote nothing for any refused request', async () => {
    const after = await snapshot();
    expect(after.event).toMatchObject({ status: 'published', name: 'Concert' });
    expect(after.ticket).toMatchObject({
      status: 'valid',
      generation: 1,
      ownerUserId: expect.not.stringMatching(/thief/),
    });
    expect(after.order).toMatchObject({ status: 'paid' });
  });
});

describe('secrets', () => {
  it('never writes tokens, secrets or QR payloads to the logs', async () => {
    const logs = cloud.logLines.join('\n');
    expect(logs).not.toContain(TEST_JWT_SECRET);
    expect(logs).not.toContain(ownerToken);
    expect(logs).not.toContain(ids.qr);
  });

  it('never returns key material', async () => {
    const doc = await cloud.call('GET', '/openapi.json');
    const text = JSON.stringify(doc.body);
    // The secrets themselves, in every encoding a leak could take. (The manifest's `wrapped` field is
    // documented on purpose: it is the event key sealed to one device, not key material.)
    const secrets = [
      cloud.config.keyEncryptionKey,
      cloud.keyring.signingKey().privateKey,
      ...(await cloud.keyring.eventKeysOf(ids.event)).map((k) => k.key),
    ];
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    for (const secret of secrets) {
      const bytes = Buffer.from(secret);
      for (const encoded of [bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url')]) {
        expect(text).not.toContain(encoded);
      }
    }
    // Names of the at-rest forms: the key-encryption layer is never part of the API.
    expect(text).not.toMatch(/privateKey|wrappedKey|event_keys|keyEncryptionKey/i);
  });
});
