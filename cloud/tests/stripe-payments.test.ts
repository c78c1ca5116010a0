/**
 * Stripe as the payment provider, end to end through the official SDK against a local fake of Stripe's
 * API (test-support/fake-stripe.ts): a purchase creates and confirms one PaymentIntent with the hold's
 * amount, currency and reference and the purchase's idempotency key; a declined card sells nothing;
 * refunds go to Stripe's refunds API; the webhook takes only signed events, and a refund made in Stripe's
 * dashboard revokes the order's tickets. And production does not start without a real provider.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../app';
import { loadConfig } from '../config';
import { orders, tickets } from '../db/schema';
import { createLogger } from '../logger';
import { TestPaymentProvider } from '../services/payments';
import { StripePaymentProvider, stripeIdempotencyKey } from '../services/stripe-payments';
import {
  buyTickets,
  createTestCloud,
  type SeededEvent,
  seedEvent,
  type TestCloud,
} from '../test-support/cloud';
import { type FakeStripe, startFakeStripe } from '../test-support/fake-stripe';

const SECRET_KEY = `sk_test_${randomBytes(12).toString('hex')}`;
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64url')}`;
const WEBHOOK = '/api/v1/payments/stripe/webhook';

let stripe: FakeStripe;
let cloud: TestCloud<StripePaymentProvider>;
let seeded: SeededEvent;

beforeAll(async () => {
  stripe = await startFakeStripe({ secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET });
  const payments = new StripePaymentProvider({
    secretKey: SECRET_KEY,
    webhookSecret: WEBHOOK_SECRET,
    api: stripe.api,
    maxNetworkRetries: 0,
  });
  cloud = await createTestCloud(
    { PAYMENT_PROVIDER: 'stripe', STRIPE_SECRET_KEY: SECRET_KEY, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET },
    { payments },
  );
  seeded = await seedEvent(cloud, { capacities: [50] });
});

afterAll(async () => {
  await cloud?.close();
  await stripe?.close();
});

beforeEach(() => {
  stripe.requests.length = 0;
});

async function hold(token: string, quantity = 1) {
  const response = await cloud.call('POST', `/api/v1/events/${seeded.eventId}/reservations`, {
    token,
    body: { items: [{ ticketTypeId: seeded.ticketTypeIds[0], quantity }] },
  });
  expect(response.status).toBe(201);
  return response.body.id as string;
}

function purchase(token: string, reservationId: string, paymentToken: string, key = `key-${randomUUID()}`) {
  return cloud.call('POST', `/api/v1/reservations/${reservationId}/purchase`, {
    token,
    headers: { 'idempotency-key': key },
    body: { paymentToken },
  });
}

async function orderOf(orderId: string) {
  const [row] = await cloud.database.db.select().from(orders).where(eq(orders.id, orderId));
  return row!;
}

async function ticketStatuses(orderId: string) {
  const rows = await cloud.database.db
    .select({ status: tickets.status })
    .from(tickets)
    .where(eq(tickets.orderId, orderId));
  return rows.map((row) => row.status);
}

function deliver(event: { payload: string; signature?: string }) {
  return cloud.call('POST', WEBHOOK, {
    body: event.payload,
    headers: event.signature === undefined ? {} : { 'stripe-signature': event.signature },
  });
}

describe('purchase through Stripe', () => {
  it('creates and confirms one PaymentIntent with the amount, currency, reference and idempotency key', async () => {
    const token = await cloud.token('customer', seeded.tenant);
    const reservationId = await hold(token, 2);
    const key = `key-${randomUUID()}`;
    const bought = await purchase(token, reservationId, 'pm_card_visa', key);
    expect(bought.status).toBe(201);
    expect(bought.body.tickets).toHaveLength(2);

    const created = stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/payment_intents');
    expect(created).toHaveLength(1);
    const request = created[0]!;
    expect(request.headers.authorization).toBe(`Bearer ${SECRET_KEY}`);
    expect(request.headers['idempotency-key']).toBe(`purchase:${seeded.tenant}:${key}`);
    expect(request.params).toMatchObject({
      amount: '5000',
      currency: 'eur',
      confirm: 'true',
      payment_method: 'pm_card_visa',
      error_on_requires_action: 'true',
      'allowed_payment_method_types[0]': 'card',
      'metadata[tenant_id]': seeded.tenant,
      'metadata[event_id]': seeded.eventId,
      'metadata[reservation_id]': reservationId,
    });
    const order = await orderOf(bought.body.order.id);
    expect(order.paymentId).toMatch(/^pi_fake_/);
    expect(stripe.intents.get(order.paymentId)?.amount).toBe(5000);

    // The same key again: the first order, and no second PaymentIntent.
    const again = await purchase(token, reservationId, 'pm_card_visa', key);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.order.id).toBe(bought.body.order.id);
    expect(stripe.requests.filter((r) => r.path === '/v1/payment_intents')).toHaveLength(1);
  });

  it('passes a ConfirmationToken as such', async () => {
    const token = await cloud.token('customer', seeded.tenant);
    const bought = await purchase(token, await hold(token), 'ctoken_fake_123');
    expect(bought.status).toBe(201);
    const [request] = stripe.requests.filter((r) => r.path === '/v1/payment_intents');
    expect(request?.params['confirmation_token']).toBe('ctoken_fake_123');
    expect(request?.params['payment_method']).toBeUndefined();
  });

  it.each([
    ['a declined card', 'pm_card_chargeDeclined', /declined \(generic_decline\)/],
    [
      'a card that needs 3-D Secure',
      'pm_card_authenticationRequired',
      /declined \(authentication_required\)/,
    ],
    ['an unknown payment method', 'pm_missing', /payment token was not accepted/],
  ])(
    '%s: 402 PAYMENT_DECLINED, no order, no tickets, the hold still buyable',
    async (_name, card, message) => {
      const token = await cloud.token('customer', seeded.tenant);
      const reservationId = await hold(token);
      const declined = await purchase(token, reservationId, card);
      expect(declined.status).toBe(402);
      expect(declined.body.error.code).toBe('PAYMENT_DECLINED');
      expect(declined.body.error.message).toMatch(message);
      expect(JSON.stringify(declined.body)).not.toContain('Your card');
      const rows = await cloud.database.db
        .select()
        .from(orders)
        .where(eq(orders.reservationId, reservationId));
      expect(rows).toEqual([]);
      expect((await cloud.call('GET', '/api/v1/me/tickets', { token })).body.items).toEqual([]);

      const paid = await purchase(token, reservationId, 'pm_card_visa');
      expect(paid.status).toBe(201);
    },
  );

  it('a Stripe outage is a 502 PAYMENT_UNAVAILABLE that sells nothing', async () => {
    const token = await cloud.token('customer', seeded.tenant);
    const reservationId = await hold(token);
    stripe.outage(1);
    const failed = await purchase(token, reservationId, 'pm_card_visa');
    expect(failed.status).toBe(502);
    expect(failed.body.error.code).toBe('PAYMENT_UNAVAILABLE');
    expect((await cloud.call('GET', '/api/v1/me/tickets', { token })).body.items).toEqual([]);
  });

  it('an Idempotency-Key reused for another hold is refused by Stripe: 422, nothing charged', async () => {
    const token = await cloud.token('customer', seeded.tenant);
    const key = `key-${randomUUID()}`;
    expect((await purchase(token, await hold(token), 'pm_card_visa', key)).status).toBe(201);
    const intentsBefore = stripe.intents.size;
    const reused = await purchase(token, await hold(token), 'pm_card_visa', key);
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(stripe.intents.size).toBe(intentsBefore);
  });

  it('a free order never reaches Stripe, neither when bought nor when refunded; a price under the minimum is declined', async () => {
    const priced = async (priceCents: number) => {
      const type = await cloud.call('POST', `/api/v1/events/${seeded.eventId}/ticket-types`, {
        token: seeded.adminToken,
        body: { name: `Price ${priceCents}`, priceCents, currency: 'EUR', capacity: 10 },
      });
      expect(type.status).toBe(201);
      return type.body.id as string;
    };
    const token = await cloud.token('customer', seeded.tenant);
    const holdOf = async (ticketTypeId: string) =>
      (
        await cloud.call('POST', `/api/v1/events/${seeded.eventId}/reservations`, {
          token,
          body: { items: [{ ticketTypeId, quantity: 1 }] },
        })
      ).body.id as string;

    const free = await purchase(token, await holdOf(await priced(0)), 'pm_card_visa');
    expect(free.status).toBe(201);
    expect((await orderOf(free.body.order.id)).paymentId).toMatch(/^free_/);
    const refunded = await cloud.call('POST', `/api/v1/orders/${free.body.order.id}/refund`, { token });
    expect(refunded.status).toBe(200);
    expect(stripe.requests).toEqual([]);

    const cheap = await purchase(token, await holdOf(await priced(10)), 'pm_card_visa');
    expect(cheap.status).toBe(402);
    expect(cheap.body.error.message).toMatch(/amount/);
  });

  it('keeps an idempotency key within Stripe’s 255 characters, deterministically', () => {
    const long = `purchase:${'t'.repeat(100)}:${'k'.repeat(200)}`;
    expect(stripeIdempotencyKey(long)).toHaveLength(`sha256:`.length + 43);
    expect(stripeIdempotencyKey(long)).toBe(stripeIdempotencyKey(long));
    expect(stripeIdempotencyKey('purchase:t:k')).toBe('purchase:t:k');
  });
});

describe('refunds through Stripe', () => {
  it('a refund calls the refunds API for the PaymentIntent and revokes the tickets', async () => {
    const { token, purchase: bought } = await buyTickets(cloud, seeded, { paymentToken: 'pm_card_visa' });
    const orderId = bought.order.id as string;
    const refunded = await cloud.call('POST', `/api/v1/orders/${orderId}/refund`, { token });
    expect(refunded.status).toBe(200);
    expect(refunded.body.order.status).toBe('refunded');

    const order = await orderOf(orderId);
    const calls = stripe.requests.filter((r) => r.method === 'POST' && r.path === '/v1/refunds');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.params['payment_intent']).toBe(order.paymentId);
    expect(calls[0]!.headers['idempotency-key']).toBe(`refund:${seeded.tenant}:${orderId}`);
    expect(order.refundId).toBe(stripe.refunds.at(-1)!.id);
    expect(stripe.intents.get(order.paymentId)!.amount_refunded).toBe(2500);
    expect(await ticketStatuses(orderId)).toEqual(['revoked']);

    // The echo of our own refund: acknowledged, nothing refunded twice.
    const echo = await deliver(stripe.signedEvent('charge.refunded', stripe.chargeObject(order.paymentId)));
    expect(echo.status).toBe(200);
    expect(echo.body.outcome).toBe('already_refunded');
    expect(stripe.refunds.filter((r) => r.payment_intent === order.paymentId)).toHaveLength(1);
  });

  it('a Stripe outage during a refund is a 502 and leaves the order paid', async () => {
    const { token, purchase: bought } = await buyTickets(cloud, seeded, { paymentToken: 'pm_card_visa' });
    stripe.outage(1);
    const failed = await cloud.call('POST', `/api/v1/orders/${bought.order.id}/refund`, { token });
    expect(failed.status).toBe(502);
    expect((await orderOf(bought.order.id)).status).toBe('paid');
    expect(await ticketStatuses(bought.order.id)).toEqual(['valid']);
  });
});

describe('the Stripe webhook', () => {
  it('accepts a validly signed event without a user token, and ignores event types it does not need', async () => {
    const response = await deliver(
      stripe.signedEvent('payment_intent.succeeded', { id: 'pi_x', object: 'payment_intent' }),
    );
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ received: true, outcome: 'ignored' });
  });

  it('refuses an absent, forged, tampered or stale signature with 400', async () => {
    const event = stripe.signedEvent('charge.refunded', { id: 'ch_x', object: 'charge' });
    const forged = stripe.signedEvent(
      'charge.refunded',
      { id: 'ch_x', object: 'charge' },
      { secret: 'whsec_wrong' },
    );
    const stale = stripe.signedEvent(
      'charge.refunded',
      { id: 'ch_x', object: 'charge' },
      {
        timestamp: Math.floor(Date.now() / 1000) - 3600,
      },
    );
    for (const attempt of [
      { payload: event.payload },
      { payload: event.payload, signature: '' },
      { payload: forged.payload, signature: forged.signature },
      { payload: event.payload.replace('ch_x', 'ch_y'), signature: event.signature },
      { payload: stale.payload, signature: stale.signature },
    ]) {
      const response = await deliver(attempt);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    }
    expect(stripe.requests).toEqual([]);
  });

  it('a refund made in Stripe’s dashboard refunds the order here: tickets revoked, once', async () => {
    const { purchase: bought } = await buyTickets(cloud, seeded, { paymentToken: 'pm_card_visa' });
    const orderId = bought.order.id as string;
    const paymentId = (await orderOf(orderId)).paymentId;
    const dashboard = stripe.dashboardRefund(paymentId);

    const event = stripe.signedEvent('charge.refunded', stripe.chargeObject(paymentId));
    const applied = await deliver(event);
    expect(applied.status).toBe(200);
    expect(applied.body.outcome).toBe('refunded');
    const order = await orderOf(orderId);
    expect(order).toMatchObject({
      status: 'refunded',
      refundId: dashboard.id,
      refundReason: 'provider_refund',
    });
    expect(await ticketStatuses(orderId)).toEqual(['revoked']);
    expect(stripe.refunds.filter((r) => r.payment_intent === paymentId)).toHaveLength(1);

    // Stripe delivers at least once: the same event again changes nothing.
    const redelivered = await deliver(event);
    expect(redelivered.status).toBe(200);
    expect(redelivered.body.outcome).toBe('already_refunded');
  });

  it('ignores a partial refund, and a refunded payment that did not pay for the order', async () => {
    const { purchase: bought } = await buyTickets(cloud, seeded, { paymentToken: 'pm_card_visa' });
    const order = await orderOf(bought.order.id);
    stripe.dashboardRefund(order.paymentId, 1000);
    const partial = await deliver(
      stripe.signedEvent('charge.refunded', stripe.chargeObject(order.paymentId)),
    );
    expect(partial.body.outcome).toBe('ignored');

    // A charge voided after losing the race for this hold names the same reservation.
    const voided = stripe.createIntent(2500, {
      tenant_id: seeded.tenant,
      event_id: seeded.eventId,
      reservation_id: order.reservationId,
    });
    stripe.dashboardRefund(voided.id);
    const other = await deliver(stripe.signedEvent('charge.refunded', stripe.chargeObject(voided.id)));
    expect(other.status).toBe(200);
    expect(other.body.outcome).toBe('no_order');
    expect((await orderOf(order.id)).status).toBe('paid');
    expect(await ticketStatuses(order.id)).toEqual(['valid']);
  });

  it('is not mounted for the test provider', async () => {
    const plain = await createTestCloud();
    try {
      expect((await plain.call('POST', WEBHOOK, { body: '{}' })).status).toBe(401);
    } finally {
      await plain.close();
    }
  });
});

describe('production', () => {
  const production = {
    NODE_ENV: 'production',
    AUTH_JWT_SECRET: 'x'.repeat(40),
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  };

  it('`npm run cloud` refuses to start without a payment provider, naming the variable', () => {
    const main = fileURLToPath(new URL('../main.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
    const result = spawnSync(tsx, [main], {
      env: {
        PATH: process.env['PATH'] ?? '',
        ...production,
        PORT: '0',
        DATA_DIR: '/nonexistent/never-created',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('invalid configuration: PAYMENT_PROVIDER');
    expect(result.stderr).toContain('PAYMENT_PROVIDER=stripe');
  }, 90_000);

  it('createApp refuses an injected test provider in production', async () => {
    const config = loadConfig(
      {
        ...production,
        PAYMENT_PROVIDER: 'stripe',
        STRIPE_SECRET_KEY: 'sk_live_abc123',
        STRIPE_WEBHOOK_SECRET: 'whsec_abc123',
      },
      { generateDevSecrets: false },
    );
    expect(() =>
      createApp({
        config,
        database: cloud.database,
        keyring: cloud.keyring,
        logger: createLogger('silent'),
        payments: new TestPaymentProvider(),
      }),
    ).toThrow(/test payment provider/);
  });
});
