/**
 * The payment provider boundary. Two implementations: StripePaymentProvider (stripe-payments.ts, what
 * production runs: PAYMENT_PROVIDER=stripe) and the TestPaymentProvider below (development and tests
 * only; the configuration refuses it with NODE_ENV=production). Both calls take an idempotency key so a
 * retried purchase or refund never charges or pays out twice, which is what lets the purchase flow charge
 * outside its database transaction.
 */

/** What a payment is for, stored with it at the provider (Stripe metadata) and read back from webhooks. */
export interface PaymentReference {
  tenantId: string;
  eventId: string;
  reservationId: string;
}

export interface ChargeRequest {
  amountCents: number;
  currency: string;
  /** The buyer's payment token from the client-side checkout. */
  paymentToken: string;
  /** Same key → same charge, never a second one. */
  idempotencyKey: string;
  /** The same for every request with the same key (a provider may compare them). */
  reference: PaymentReference;
}

export type ChargeResult =
  | { ok: true; paymentId: string }
  | {
      ok: false;
      /** IDEMPOTENCY_KEY_REUSED: the provider saw this key with a different purchase. */
      code: 'PAYMENT_DECLINED' | 'PAYMENT_UNAVAILABLE' | 'IDEMPOTENCY_KEY_REUSED';
      message: string;
    };

export interface RefundRequest {
  paymentId: string;
  amountCents: number;
  currency: string;
  idempotencyKey: string;
}

export type RefundResult =
  | { ok: true; refundId: string }
  | { ok: false; code: 'PAYMENT_UNAVAILABLE'; message: string };

/** What a provider's webhook reported, in the cloud's terms. */
export type PaymentEvent =
  /** The payment was refunded in full at the provider (by this cloud, or from the provider's dashboard). */
  | { kind: 'refunded'; paymentId: string; reference: PaymentReference }
  /** Nothing for the cloud to do (other event types, partial refunds, payments not made by this cloud). */
  | { kind: 'ignored'; type: string };

/** A forged, stale or missing webhook signature. */
export class WebhookSignatureError extends Error {
  override readonly name = 'WebhookSignatureError';
}

/** A provider's webhook endpoint: POST /api/v1/payments/<name>/webhook. */
export interface PaymentWebhook {
  readonly name: string;
  /**
   * Verifies the signature over the raw body and reads the event. Throws WebhookSignatureError when
   * the signature does not verify; other errors (provider unreachable) should make the sender retry.
   */
  parse(payload: Uint8Array, header: (name: string) => string | undefined): Promise<PaymentEvent>;
}

/** A payment service provider. Implementations must be idempotent per idempotency key. */
export interface PaymentProvider {
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /** Refunds what remains of the payment (all of it unless part was refunded at the provider). */
  refund(request: RefundRequest): Promise<RefundResult>;
  /** Present when the provider reports changes by webhook. */
  readonly webhook?: PaymentWebhook;
}

/**
 * The built-in test provider (SPEC section 4), for development and tests — it takes no money, and the
 * configuration refuses it with NODE_ENV=production. Test tokens: `tok_decline` is declined (402
 * PAYMENT_DECLINED); every other token (the tests use `tok_visa`) succeeds. Idempotency is kept in
 * memory, which is enough for one process.
 * Everything it remembers is bounded (the most recent `memory` keys and records): `npm run cloud` runs
 * with it for days, and the load test found an unbounded map growing by ~1 KB per purchase.
 */
export class TestPaymentProvider implements PaymentProvider {
  readonly #memory: number;
  readonly #charges = new Map<string, ChargeResult>();
  readonly #refunds = new Map<string, RefundResult>();
  #sequence = 0;
  /** The most recent refunds performed, for tests and the dev console. */
  readonly refunded: RefundRequest[] = [];
  /** The most recent successful charges (first time per idempotency key), for tests. */
  readonly charged: (ChargeRequest & { paymentId: string })[] = [];

  /** `memory`: how many idempotency keys and records of each kind it keeps (default 10,000). */
  constructor(options: { memory?: number } = {}) {
    this.#memory = options.memory ?? 10_000;
    if (!Number.isInteger(this.#memory) || this.#memory < 1) throw new RangeError('memory must be ≥ 1');
  }

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const previous = this.#charges.get(request.idempotencyKey);
    if (previous) return previous;
    const result: ChargeResult =
      request.paymentToken === 'tok_decline'
        ? { ok: false, code: 'PAYMENT_DECLINED', message: 'the card was declined' }
        : { ok: true, paymentId: `pay_test_${++this.#sequence}` };
    this.#remember(this.#charges, request.idempotencyKey, result);
    if (result.ok) this.#record(this.charged, { ...request, paymentId: result.paymentId });
    return result;
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const previous = this.#refunds.get(request.idempotencyKey);
    if (previous) return previous;
    const result: RefundResult = { ok: true, refundId: `re_test_${++this.#sequence}` };
    this.#remember(this.#refunds, request.idempotencyKey, result);
    this.#record(this.refunded, request);
    return result;
  }

  /** Keeps the newest keys: a Map iterates in insertion order, so the first key is the oldest. */
  #remember<T>(map: Map<string, T>, key: string, value: T): void {
    map.set(key, value);
    if (map.size > this.#memory) map.delete(map.keys().next().value!);
  }

  #record<T>(list: T[], entry: T): void {
    list.push(entry);
    if (list.length > this.#memory) list.splice(0, list.length - this.#memory);
  }
}
