/**
 * Orders as an organiser (and a customer) reads them (issue 16): GET /orders/{id} with its tickets and
 * refund facts, GET /events/{id}/orders paged and filtered, and its CSV export. Who may read what, and
 * that nothing crosses tenants: tenant B's admin and orders never see or show in tenant A's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';
import { csvRecords } from '../test-support/csv';

let cloud: TestCloud;
let a: SeededEvent;
let b: SeededEvent;
/** Tenant A: two paid orders (2 Standard, 1 of type 2) and one refunded by the admin. */
let paid2: { token: string; orderId: string; customer: string };
let paid1: { token: string; orderId: string };
let refunded: { orderId: string; customer: string };
let orderOfB: string;
const REASON = '=SUM(A1:A9),"x"';

async function buyAs(seeded: SeededEvent, customer: string, typeIndex: number, quantity: number) {
  const token = await cloud.token('customer', seeded.tenant, customer);
  const { purchase } = await buyTickets(cloud, seeded, { customerToken: token, typeIndex, quantity });
  return { token, orderId: purchase.order.id as string, customer };
}

beforeAll(async () => {
  cloud = await createTestCloud();
  a = await seedEvent(cloud, { capacities: [100, 10] });
  b = await seedEvent(cloud);
  paid2 = await buyAs(a, 'cust-1', 0, 2);
  paid1 = await buyAs(a, 'cust-2', 1, 1);
  refunded = await buyAs(a, 'cust-3', 0, 1);
  const refund = await cloud.call('POST', `/api/v1/orders/${refunded.orderId}/refund`, {
    token: a.adminToken,
    body: { reason: REASON },
  });
  expect(refund.status).toBe(200);
  orderOfB = (await buyAs(b, 'cust-1', 0, 1)).orderId;
});

afterAll(async () => {
  await cloud?.close();
});

const get = (path: string, token?: string) => cloud.call('GET', path, token ? { token } : {});

describe('GET /orders/{id}', () => {
  it('gives the customer their own order with its tickets, serials, types and holders (no QR)', async () => {
    const response = await get(`/api/v1/orders/${paid2.orderId}`, paid2.token);
    expect(response.status).toBe(200);
    const order = response.body;
    expect(order).toMatchObject({
      id: paid2.orderId,
      eventId: a.eventId,
      customerUserId: 'cust-1',
      status: 'paid',
      totalCents: 5000,
      currency: 'EUR',
      ticketCount: 2,
      refundedAt: null,
      refundedBy: null,
      refundReason: null,
      refundOverride: null,
    });
    expect(order.createdAt).toBe(new Date(cloud.now()).toISOString());
    expect(order.paymentId).toEqual(expect.any(String));
    expect(order.tickets).toHaveLength(2);
    const [first, second] = order.tickets;
    expect(second.serial).toBeGreaterThan(first.serial);
    expect(first).toMatchObject({
      ticketTypeId: a.ticketTypeIds[0],
      typeNo: 1,
      ticketTypeName: 'Standard',
      status: 'valid',
      revokedReason: null,
      holderUserId: 'cust-1',
      holderName: null,
      generation: 1,
    });
    expect(JSON.stringify(order)).not.toMatch(/"qr"/);
  });

  it('shows a refund: when, by whom, why, and the revoked tickets', async () => {
    const response = await get(`/api/v1/orders/${refunded.orderId}`, a.adminToken);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      status: 'refunded',
      refundedAt: new Date(cloud.now()).toISOString(),
      refundReason: REASON,
      refundOverride: null,
    });
    expect(response.body.refundedBy).toMatch(/^user-/); // the admin's token subject
    expect(response.body.tickets).toEqual([
      expect.objectContaining({ status: 'revoked', holderUserId: 'cust-3' }),
    ]);
  });

  it('is readable by the tenant admin and ops; 404 for another customer or tenant; 403 for venue staff', async () => {
    const ops = await cloud.token('ops', 'platform');
    expect((await get(`/api/v1/orders/${paid2.orderId}`, a.adminToken)).status).toBe(200);
    expect((await get(`/api/v1/orders/${paid2.orderId}`, ops)).status).toBe(200);
    expect((await get(`/api/v1/orders/${paid2.orderId}`, paid1.token)).status).toBe(404);
    // The same user id in another tenant is another customer.
    const sameSubOtherTenant = await cloud.token('customer', b.tenant, 'cust-1');
    expect((await get(`/api/v1/orders/${paid2.orderId}`, sameSubOtherTenant)).status).toBe(404);
    const otherTenant = await get(`/api/v1/orders/${orderOfB}`, a.adminToken);
    expect(otherTenant.status).toBe(404);
    expect(otherTenant.body.error.code).toBe('NOT_FOUND');
    const staff = await cloud.token('venue_staff', a.tenant);
    expect((await get(`/api/v1/orders/${paid2.orderId}`, staff)).status).toBe(403);
    expect((await get(`/api/v1/orders/${paid2.orderId}`)).status).toBe(401);
  });

  it('answers 400 for an id that is not a UUID', async () => {
    const response = await get('/api/v1/orders/not-an-id', a.adminToken);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('VALIDATION_FAILED');
  });
});

describe('GET /events/{id}/orders', () => {
  const list = (query: string, token = a.adminToken) =>
    get(`/api/v1/events/${a.eventId}/orders${query}`, token);

  it('lists the event’s orders oldest first, filtered by status', async () => {
    const all = await list('');
    expect(all.status).toBe(200);
    expect(all.body.items.map((o: { id: string }) => o.id)).toEqual([
      paid2.orderId,
      paid1.orderId,
      refunded.orderId,
    ]);
    expect(all.body.nextCursor).toBeNull();
    expect(all.body.items[1]).toMatchObject({ customerUserId: 'cust-2', ticketCount: 1, totalCents: 3500 });
    const paid = await list('?status=paid');
    expect(paid.body.items.map((o: { id: string }) => o.id)).toEqual([paid2.orderId, paid1.orderId]);
    const refundedOnly = await list('?status=refunded');
    expect(refundedOnly.body.items).toEqual([
      expect.objectContaining({ id: refunded.orderId, status: 'refunded', refundReason: REASON }),
    ]);
  });

  it('pages with limit and cursor: two pages, stable, nothing twice', async () => {
    const first = await list('?limit=2');
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect((await list('?limit=2')).body).toEqual(first.body);
    const second = await list(`?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.status).toBe(200);
    expect(second.body.items.map((o: { id: string }) => o.id)).toEqual([refunded.orderId]);
    expect(second.body.nextCursor).toBeNull();
    // A cursor keeps the filter's order: the paid orders one by one.
    const p1 = await list('?status=paid&limit=1');
    const p2 = await list(`?status=paid&limit=1&cursor=${p1.body.nextCursor}`);
    expect([...p1.body.items, ...p2.body.items].map((o: { id: string }) => o.id)).toEqual([
      paid2.orderId,
      paid1.orderId,
    ]);
  });

  it('answers 400 for a bad filter, limit or cursor', async () => {
    for (const query of [
      '?status=open',
      '?limit=0',
      '?limit=201',
      '?limit=x',
      '?cursor=abc',
      '?format=xml',
    ]) {
      const response = await list(query);
      expect(response.status, query).toBe(400);
      expect(response.body.error.code, query).toBe('VALIDATION_FAILED');
    }
    const forged = Buffer.from('not-a-uuid-but-long-enough-to-look-like-one!', 'utf8').toString('base64url');
    expect((await list(`?cursor=${forged}`)).status).toBe(400);
  });

  it('is for the tenant admin and ops only; another tenant’s admin gets 404', async () => {
    const ops = await cloud.token('ops', 'platform');
    expect((await list('', ops)).body.items).toHaveLength(3);
    expect((await list('', b.adminToken)).status).toBe(404);
    expect((await list('', paid2.token)).status).toBe(403);
    expect((await list('', await cloud.token('venue_staff', a.tenant))).status).toBe(403);
    const ofB = await get(`/api/v1/events/${b.eventId}/orders`, b.adminToken);
    expect(ofB.body.items.map((o: { id: string }) => o.id)).toEqual([orderOfB]);
  });
});

describe('GET /events/{id}/orders?format=csv', () => {
  it('exports every matching order as an RFC 4180 attachment with formula-like text defused', async () => {
    const response = await get(`/api/v1/events/${a.eventId}/orders?format=csv`, a.adminToken);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="orders-${a.eventId}.csv"`,
    );
    const text = String(response.body);
    // The refund reason is quoted (comma and quotes) and starts with an apostrophe (formula guard).
    expect(text).toContain(`,"'=SUM(A1:A9),""x""",`);
    const { header, records } = csvRecords(text);
    expect(header).toEqual([
      'order_id',
      'status',
      'customer_user_id',
      'ticket_count',
      'total_cents',
      'currency',
      'payment_id',
      'created_at',
      'refunded_at',
      'refunded_by',
      'refund_reason',
      'refund_override',
    ]);
    expect(
      records.map((r) => [r['order_id'], r['status'], r['customer_user_id'], r['ticket_count']]),
    ).toEqual([
      [paid2.orderId, 'paid', 'cust-1', '2'],
      [paid1.orderId, 'paid', 'cust-2', '1'],
      [refunded.orderId, 'refunded', 'cust-3', '1'],
    ]);
    const at = new Date(cloud.now()).toISOString();
    expect(records[0]).toMatchObject({
      total_cents: '5000',
      currency: 'EUR',
      created_at: at,
      refunded_at: '',
    });
    expect(records[2]).toMatchObject({ refunded_at: at, refund_reason: `'${REASON}`, refund_override: '' });
  });

  it('filters like the list, walks past one page, and refuses paging parameters', async () => {
    const paid = await get(`/api/v1/events/${a.eventId}/orders?format=csv&status=paid`, a.adminToken);
    expect(csvRecords(String(paid.body)).records.map((r) => r['order_id'])).toEqual([
      paid2.orderId,
      paid1.orderId,
    ]);
    for (const query of ['&limit=10', `&cursor=${'A'.repeat(48)}`]) {
      const response = await get(`/api/v1/events/${a.eventId}/orders?format=csv${query}`, a.adminToken);
      expect(response.status, query).toBe(400);
    }
    expect((await get(`/api/v1/events/${a.eventId}/orders?format=csv`, b.adminToken)).status).toBe(404);
    expect((await get(`/api/v1/events/${a.eventId}/orders?format=csv`, paid2.token)).status).toBe(403);
  });

  it('exports more orders than one page holds, each once, in order', async () => {
    const big = await seedEvent(cloud, { capacities: [1000] });
    const token = await cloud.token('customer', big.tenant, 'bulk-buyer');
    const ids: string[] = [];
    for (let i = 0; i < 205; i++) {
      ids.push((await buyTickets(cloud, big, { customerToken: token })).purchase.order.id);
    }
    const response = await get(`/api/v1/events/${big.eventId}/orders?format=csv`, big.adminToken);
    expect(csvRecords(String(response.body)).records.map((r) => r['order_id'])).toEqual(ids);
  });
});
