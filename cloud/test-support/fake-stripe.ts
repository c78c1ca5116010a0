/**
 * A stand-in for the parts of Stripe's HTTP API the cloud uses (cloud/services/stripe-payments.ts): a real
 * HTTP server on 127.0.0.1 (port 0) that the official SDK talks to (`host`/`port`/`protocol: 'http'`).
 * It checks the secret key, keeps Stripe's idempotency rules (same key and same parameters → the first
 * answer again; same key with other parameters → 400 idempotency_error), and knows Stripe's test
 * PaymentMethods: `pm_card_visa` (and any other token) succeeds, `pm_card_chargeDeclined` is declined,
 * `pm_card_authenticationRequired` fails as `error_on_requires_action` makes it, `pm_missing` does not
 * exist; an amount under 50 is `amount_too_small`. Every request is recorded with its headers and form parameters.
 *
 * Endpoints: POST /v1/payment_intents, GET /v1/payment_intents/:id, POST /v1/refunds, GET /v1/refunds.
 * Plus what Stripe's dashboard and webhooks do: `dashboardRefund`, `chargeObject`, `signedEvent`.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

export interface RecordedStripeRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Form parameters (POST) or query parameters (GET), flat: `metadata[tenant_id]`. */
  params: Record<string, string>;
}

interface FakeIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  currency: string;
  status: 'succeeded';
  metadata: Record<string, string>;
  latest_charge: string;
  amount_refunded: number;
}

interface FakeRefund {
  id: string;
  object: 'refund';
  amount: number;
  currency: string;
  payment_intent: string;
  status: 'succeeded';
}

export interface FakeStripe {
  /** For `new StripePaymentProvider({ api })`. */
  api: { host: string; port: number; protocol: 'http' };
  requests: RecordedStripeRequest[];
  intents: Map<string, FakeIntent>;
  refunds: FakeRefund[];
  /** The next `count` API requests answer 500 api_error (a Stripe outage). */
  outage(count: number): void;
  /** A PaymentIntent made outside the cloud's purchase flow (e.g. a voided charge). */
  createIntent(amount: number, metadata: Record<string, string>): FakeIntent;
  /** A refund made in Stripe's dashboard (default: what remains of the payment). */
  dashboardRefund(intentId: string, amount?: number): FakeRefund;
  /** The Charge of an intent as a `charge.refunded` event carries it (no metadata, like Stripe's may). */
  chargeObject(intentId: string): Record<string, unknown>;
  /** An event's JSON and its `Stripe-Signature` header, signed with `secret` at `timestamp` (s). */
  signedEvent(
    type: string,
    object: Record<string, unknown>,
    options?: { secret?: string; timestamp?: number },
  ): { payload: string; signature: string };
  close(): Promise<void>;
}

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'request-id': `req_fake_${Math.random().toString(36).slice(2, 10)}`,
    ...headers,
  });
  response.end(text);
}

const stripeError = (type: string, message: string, more: Record<string, string> = {}) => ({
  error: { type, message, ...more },
});

/** Starts the fake. `secretKey` is the only key it accepts; `webhookSecret` signs `signedEvent`. */
export async function startFakeStripe(options: {
  secretKey: string;
  webhookSecret: string;
}): Promise<FakeStripe> {
  const requests: RecordedStripeRequest[] = [];
  const intents = new Map<string, FakeIntent>();
  const refunds: FakeRefund[] = [];
  const answered = new Map<string, { body: string; status: number; answer: unknown }>();
  let sequence = 0;
  let failing = 0;

  const createIntent = (amount: number, currency: string, metadata: Record<string, string>): FakeIntent => {
    const n = ++sequence;
    const intent: FakeIntent = {
      id: `pi_fake_${n}`,
      object: 'payment_intent',
      amount,
      currency,
      status: 'succeeded',
      metadata,
      latest_charge: `ch_fake_${n}`,
      amount_refunded: 0,
    };
    intents.set(intent.id, intent);
    return intent;
  };

  const refund = (intent: FakeIntent, amount: number): FakeRefund => {
    intent.amount_refunded += amount;
    const made: FakeRefund = {
      id: `re_fake_${++sequence}`,
      object: 'refund',
      amount,
      currency: intent.currency,
      payment_intent: intent.id,
      status: 'succeeded',
    };
    refunds.push(made);
    return made;
  };

  const metadataOf = (params: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(params)
        .filter(([key]) => key.startsWith('metadata['))
        .map(([key, value]) => [key.slice('metadata['.length, -1), value]),
    );

  /** One API call: [status, body]. */
  const handle = (method: string, path: string, params: Record<string, string>): [number, unknown] => {
    if (method === 'POST' && path === '/v1/payment_intents') {
      const token = params['payment_method'] ?? params['confirmation_token'];
      if (token === 'pm_card_chargeDeclined') {
        return [
          402,
          stripeError('card_error', 'Your card was declined.', {
            code: 'card_declined',
            decline_code: 'generic_decline',
          }),
        ];
      }
      if (token === 'pm_card_authenticationRequired') {
        return [
          402,
          stripeError('card_error', 'This payment requires authentication.', {
            code: 'authentication_required',
          }),
        ];
      }
      if (token === 'pm_missing') {
        return [
          400,
          stripeError('invalid_request_error', `No such PaymentMethod: '${token}'`, {
            code: 'resource_missing',
            param: 'payment_method',
          }),
        ];
      }
      const amount = Number(params['amount']);
      if (!(amount >= 50)) {
        return [
          400,
          stripeError('invalid_request_error', 'Amount must be at least €0.50 eur', {
            code: 'amount_too_small',
            param: 'amount',
          }),
        ];
      }
      return [200, createIntent(amount, params['currency'] ?? '', metadataOf(params))];
    }
    const intentPath = /^\/v1\/payment_intents\/([\w]+)$/.exec(path);
    if (method === 'GET' && intentPath) {
      const intent = intents.get(intentPath[1]!);
      return intent
        ? [200, intent]
        : [404, stripeError('invalid_request_error', 'No such payment_intent', { code: 'resource_missing' })];
    }
    if (method === 'POST' && path === '/v1/refunds') {
      const intent = intents.get(params['payment_intent'] ?? '');
      if (!intent)
        return [
          404,
          stripeError('invalid_request_error', 'No such payment_intent', {
            code: 'resource_missing',
            param: 'payment_intent',
          }),
        ];
      const remaining = intent.amount - intent.amount_refunded;
      if (remaining <= 0) {
        return [
          400,
          stripeError('invalid_request_error', 'Charge has already been refunded.', {
            code: 'charge_already_refunded',
          }),
        ];
      }
      return [200, refund(intent, params['amount'] ? Number(params['amount']) : remaining)];
    }
    if (method === 'GET' && path === '/v1/refunds') {
      const data = refunds.filter((r) => r.payment_intent === params['payment_intent']).reverse();
      return [
        200,
        {
          object: 'list',
          url: '/v1/refunds',
          has_more: false,
          data: data.slice(0, Number(params['limit'] ?? 10)),
        },
      ];
    }
    return [404, stripeError('invalid_request_error', `Unrecognized request URL (${method}: ${path})`)];
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://fake');
      const body = Buffer.concat(chunks).toString('utf8');
      const method = request.method ?? 'GET';
      const params = Object.fromEntries(new URLSearchParams(method === 'GET' ? url.search : body));
      requests.push({ method, path: url.pathname, headers: request.headers, params });
      if (request.headers.authorization !== `Bearer ${options.secretKey}`) {
        return json(response, 401, stripeError('invalid_request_error', 'Invalid API Key provided'));
      }
      if (failing > 0) {
        failing--;
        return json(response, 500, stripeError('api_error', 'Something went wrong on our end.'));
      }
      const key = method === 'POST' ? request.headers['idempotency-key'] : undefined;
      const cacheKey = typeof key === 'string' ? `${url.pathname} ${key}` : undefined;
      const previous = cacheKey ? answered.get(cacheKey) : undefined;
      if (previous) {
        if (previous.body !== body) {
          return json(
            response,
            400,
            stripeError(
              'idempotency_error',
              'Keys for idempotent requests can only be used with the same parameters they were first used with.',
            ),
          );
        }
        return json(response, previous.status, previous.answer, { 'idempotent-replayed': 'true' });
      }
      const [status, answer] = handle(method, url.pathname, params);
      if (cacheKey) answered.set(cacheKey, { body, status, answer });
      json(response, status, answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const intentOf = (id: string) => {
    const intent = intents.get(id);
    if (!intent) throw new Error(`fake Stripe: no PaymentIntent ${id}`);
    return intent;
  };

  return {
    api: { host: '127.0.0.1', port, protocol: 'http' },
    requests,
    intents,
    refunds,
    outage: (count) => {
      failing = count;
    },
    createIntent: (amount, metadata) => createIntent(amount, 'eur', metadata),
    dashboardRefund: (intentId, amount) => {
      const intent = intentOf(intentId);
      return refund(intent, amount ?? intent.amount - intent.amount_refunded);
    },
    chargeObject: (intentId) => {
      const intent = intentOf(intentId);
      return {
        id: intent.latest_charge,
        object: 'charge',
        amount: intent.amount,
        amount_refunded: intent.amount_refunded,
        currency: intent.currency,
        refunded: intent.amount_refunded >= intent.amount,
        payment_intent: intent.id,
        metadata: {},
      };
    },
    signedEvent: (type, object, signing = {}) => {
      const payload = JSON.stringify({
        id: `evt_fake_${++sequence}`,
        object: 'event',
        type,
        api_version: '2026-11-18.endive',
        created: Math.floor(Date.now() / 1000),
        data: { object },
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
      });
      const signature = Stripe.webhooks.generateTestHeaderString({
        payload,
        secret: signing.secret ?? options.webhookSecret,
        ...(signing.timestamp !== undefined ? { timestamp: signing.timestamp } : {}),
      });
      return { payload, signature };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
