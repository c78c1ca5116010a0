/**
 * Refund windows (issue 15, finding 5): self-refunds end when the doors open (doorsOpenAt, else
 * startsAt) and for an order with a ticket that has ever been admitted (any admission record in the
 * cloud's history, by online validation or a gate's upload); an admin may still refund then, but only
 * explicitly — `{"override": true, "reason": …}` — and the order records the rule set aside and who.
 *
 * seedEvent's clock: doors open at t0 + 1 h, the event starts at t0 + 3 h.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orders } from '../db/schema';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';
import { enrollTestDevice, refreshDeviceToken } from '../test-support/devices';
import { scanRecord } from '../test-support/scan-records';

const MINUTE = 60_000;

let cloud: TestCloud;
let t0: number;

beforeAll(async () => {
  cloud = await createTestCloud();
  t0 = cloud.now();
});

afterAll(async () => {
  await cloud?.close();
});

/** Runs `work` with the test clock at t0 + `minutes`, then puts it back. */
async function at<T>(minutes: number, work: () => Promise<T>): Promise<T> {
  const shift = t0 + minutes * MINUTE - cloud.now();
  cloud.advance(shift);
  try {
    return await work();
  } finally {
    cloud.advance(-shift);
  }
}

function refund(orderId: string, token: string, body?: unknown) {
  return cloud.call('POST', `/api/v1/orders/${orderId}/refund`, { token, body });
}

async function orderRow(orderId: string) {
  const [row] = await cloud.database.db.select().from(orders).where(eq(orders.id, orderId));
  return row!;
}

/** Admits the ticket online at the North gate (doors must be open). */
async function admit(seeded: SeededEvent, qr: string, direction: 'in' | 'out' = 'in') {
  const staff = await cloud.token('venue_staff', seeded.tenant);
  const answer = await cloud.call('POST', '/api/v1/validate', {
    token: staff,
    body: { qr, gateId: seeded.gateIds[0], direction },
  });
  expect(answer.body).toMatchObject({ decision: 'accept' });
}

describe('customer refunds', () => {
  it('are open until the doors open, and record who refunded', async () => {
    const seeded = await seedEvent(cloud);
    const { token, purchase } = await buyTickets(cloud, seeded, { quantity: 2 });
    const answer = await at(59, () => refund(purchase.order.id, token));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ order: { status: 'refunded' }, revokedTickets: 2, override: null });
    const row = await orderRow(purchase.order.id);
    expect(row.refundOverride).toBeNull();
    expect(row.refundedBy).toBe(
      JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).sub,
    );
  });

  it('end when the doors open, although the event has not started', async () => {
    const seeded = await seedEvent(cloud);
    const { token, purchase } = await buyTickets(cloud, seeded);
    for (const minutes of [60, 120]) {
      const answer = await at(minutes, () => refund(purchase.order.id, token));
      expect(answer.status).toBe(409);
      expect(answer.body.error).toMatchObject({ code: 'ORDER_NOT_REFUNDABLE' });
      expect(answer.body.error.message).toContain('doors have opened');
      // No hint of the admin override to a customer.
      expect(answer.body.error.message).not.toContain('override');
    }
    expect((await orderRow(purchase.order.id)).status).toBe('paid');
  });

  it('end at the start for an event without a doors time', async () => {
    const seeded = await seedEvent(cloud);
    const patched = await cloud.call('PATCH', `/api/v1/events/${seeded.eventId}`, {
      token: seeded.adminToken,
      body: { doorsOpenAt: null },
    });
    expect(patched.status).toBe(200);
    const first = await buyTickets(cloud, seeded);
    const second = await buyTickets(cloud, seeded);
    expect((await at(170, () => refund(first.purchase.order.id, first.token))).status).toBe(200);
    const late = await at(180, () => refund(second.purchase.order.id, second.token));
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('ORDER_NOT_REFUNDABLE');
  });

  it('end once a ticket of the order was admitted online, even with the doors moved later', async () => {
    const seeded = await seedEvent(cloud);
    const { token, purchase } = await buyTickets(cloud, seeded, { quantity: 2 });
    // Admitted at t0 + 90 min and out again; then the organiser moves the doors to t0 + 150 min.
    await at(90, () => admit(seeded, purchase.tickets[1].qr));
    await at(95, () => admit(seeded, purchase.tickets[1].qr, 'out'));
    const moved = await at(100, () =>
      cloud.call('PATCH', `/api/v1/events/${seeded.eventId}`, {
        token: seeded.adminToken,
        body: { doorsOpenAt: new Date(t0 + 150 * MINUTE).toISOString() },
      }),
    );
    expect(moved.status).toBe(200);
    // The doors are closed again by the clock, but the holder has been inside: "ever admitted".
    const answer = await at(100, () => refund(purchase.order.id, token));
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('ORDER_NOT_REFUNDABLE');
    expect(answer.body.error.message).toContain('admitted');
    expect((await orderRow(purchase.order.id)).status).toBe('paid');
  });

  it('do not end for an admission that was undone (issue 17): an undone entry never came in', async () => {
    const seeded = await seedEvent(cloud);
    const { token, purchase } = await buyTickets(cloud, seeded);
    await at(90, () => admit(seeded, purchase.tickets[0].qr));
    const staff = await cloud.token('venue_staff', seeded.tenant);
    const undone = await at(91, () =>
      cloud.call('POST', `/api/v1/events/${seeded.eventId}/admissions/undo`, {
        token: staff,
        body: { origin: 'cloud', originSeq: 1 },
      }),
    );
    expect(undone.status).toBe(200);
    const moved = await at(100, () =>
      cloud.call('PATCH', `/api/v1/events/${seeded.eventId}`, {
        token: seeded.adminToken,
        body: { doorsOpenAt: new Date(t0 + 150 * MINUTE).toISOString() },
      }),
    );
    expect(moved.status).toBe(200);
    const answer = await at(100, () => refund(purchase.order.id, token));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  });

  it('end once a gate uploaded an admission, even one made before the doors by a fast clock', async () => {
    const seeded = await seedEvent(cloud);
    const { token, purchase } = await buyTickets(cloud, seeded);
    const ticket = await cloud.call('GET', `/api/v1/tickets/${purchase.tickets[0].id}`, { token });
    const gate = await enrollTestDevice(cloud, seeded, 0);
    await at(30, async () => {
      await refreshDeviceToken(cloud, gate);
      const uploaded = await cloud.call('POST', '/api/v1/sync/scans', {
        token: gate.accessToken,
        body: {
          scans: [
            scanRecord({
              seq: 1,
              gateId: seeded.gateIds[0]!,
              eventId: seeded.eventId,
              ticketSerial: ticket.body.serial,
              scannedAt: t0 + 25 * MINUTE,
            }),
          ],
        },
      });
      expect(uploaded.status).toBe(200);
    });
    const answer = await at(30, () => refund(purchase.order.id, token));
    expect(answer.status).toBe(409);
    expect(answer.body.error.message).toContain('admitted');
  });

  it('are refused on an order with a ticket given away', async () => {
    const seeded = await seedEvent(cloud);
    const { token, purchase } = await buyTickets(cloud, seeded, { quantity: 2 });
    const moved = await cloud.call('POST', `/api/v1/tickets/${purchase.tickets[0].id}/transfer`, {
      token,
      body: { toUserId: 'a-friend' },
    });
    expect(moved.status).toBe(200);
    const answer = await refund(purchase.order.id, token);
    expect(answer.status).toBe(409);
    expect(answer.body.error.message).toContain('transferred');
  });

  it('may not use the admin override (403), whatever the time', async () => {
    const seeded = await seedEvent(cloud);
    const { token, purchase } = await buyTickets(cloud, seeded);
    for (const minutes of [10, 120]) {
      const answer = await at(minutes, () =>
        refund(purchase.order.id, token, { override: true, reason: 'please' }),
      );
      expect(answer.status).toBe(403);
      expect(answer.body.error.code).toBe('FORBIDDEN');
    }
    expect((await orderRow(purchase.order.id)).status).toBe('paid');
  });

  it('stay open on a cancelled event: its paid orders are owed their money', async () => {
    const seeded = await seedEvent(cloud);
    const { token, purchase } = await buyTickets(cloud, seeded);
    await at(120, async () => {
      const cancelled = await cloud.call('POST', `/api/v1/events/${seeded.eventId}/cancel`, {
        token: seeded.adminToken,
        body: { reason: 'storm' },
      });
      expect(cancelled.status).toBe(200);
      const answer = await refund(purchase.order.id, token);
      expect(answer.status).toBe(200);
      expect(answer.body.order.status).toBe('refunded');
    });
    await cloud.jobs.drain();
  });
});

describe('admin refunds', () => {
  it('before the doors need no override and record the admin', async () => {
    const seeded = await seedEvent(cloud);
    const { purchase } = await buyTickets(cloud, seeded);
    const answer = await at(30, () => refund(purchase.order.id, seeded.adminToken));
    expect(answer.status).toBe(200);
    expect(answer.body.override).toBeNull();
    const row = await orderRow(purchase.order.id);
    expect(row).toMatchObject({ status: 'refunded', refundReason: 'admin_refund', refundOverride: null });
    expect(row.refundedBy).toMatch(/^user-/);
  });

  it('after the doors need {override, reason}; the order records the rule, the admin and the reason', async () => {
    const seeded = await seedEvent(cloud);
    const { purchase } = await buyTickets(cloud, seeded);
    const plain = await at(120, () => refund(purchase.order.id, seeded.adminToken, { reason: 'goodwill' }));
    expect(plain.status).toBe(409);
    expect(plain.body.error.code).toBe('ORDER_NOT_REFUNDABLE');
    expect(plain.body.error.message).toContain('"override": true');

    const noReason = await at(120, () => refund(purchase.order.id, seeded.adminToken, { override: true }));
    expect(noReason.status).toBe(400);
    expect(noReason.body.error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(noReason.body.error.message).toContain('reason');

    const linesBefore = cloud.logLines.length;
    const forced = await at(120, () =>
      refund(purchase.order.id, seeded.adminToken, { override: true, reason: 'stuck in traffic' }),
    );
    expect(forced.status).toBe(200);
    expect(forced.body).toMatchObject({
      order: { status: 'refunded' },
      revokedTickets: 1,
      override: 'doors_open',
    });
    const row = await orderRow(purchase.order.id);
    expect(row).toMatchObject({ refundOverride: 'doors_open', refundReason: 'stuck in traffic' });
    expect(row.refundedBy).toMatch(/^user-/);
    const logged = cloud.logLines.slice(linesBefore).map((line) => JSON.parse(line));
    expect(logged).toContainEqual(
      expect.objectContaining({
        msg: 'refund override',
        orderId: purchase.order.id,
        rule: 'doors_open',
        reason: 'stuck in traffic',
        refundedBy: row.refundedBy,
      }),
    );
    // A replay answers the recorded override and changes nothing.
    const again = await at(130, () =>
      refund(purchase.order.id, seeded.adminToken, { override: true, reason: 'again' }),
    );
    expect(again.body).toMatchObject({ alreadyRefunded: true, override: 'doors_open' });
    expect((await orderRow(purchase.order.id)).refundReason).toBe('stuck in traffic');
  });

  it('of an admitted ticket record `admitted`', async () => {
    const seeded = await seedEvent(cloud);
    const { purchase } = await buyTickets(cloud, seeded);
    await at(90, () => admit(seeded, purchase.tickets[0].qr));
    const forced = await at(100, () =>
      refund(purchase.order.id, seeded.adminToken, { override: true, reason: 'sent home, ill' }),
    );
    expect(forced.status).toBe(200);
    expect(forced.body.override).toBe('admitted');
    expect((await orderRow(purchase.order.id)).refundOverride).toBe('admitted');
  });
});

describe('OpenAPI document', () => {
  it('states the override in the refund request and answer', async () => {
    const doc = await cloud.call('GET', '/openapi.json');
    const schemas = doc.body.components.schemas;
    expect(schemas.RefundRequest.properties).toHaveProperty('override');
    expect(schemas.RefundResult.properties.override).toBeDefined();
    expect(schemas.RefundResult.required).toContain('override');
    const operation = doc.body.paths['/api/v1/orders/{id}/refund'].post;
    expect(operation.description).toContain('override');
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '403', '404', '409']));
  });
});
