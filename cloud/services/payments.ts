/**
 * The payment provider boundary. A real provider (Stripe, Adyen, ...) implements the same two calls; both
 * take an idempotency key so a retried purchase or refund never charges or pays out twice, which is what
 * lets the purchase flow charge outside its database transaction.
 */

export interface ChargeRequest {
  amountCents: number;
  currency: string;
  /** The buyer's payment token from the client-side checkout. */
  paymentToken: string;
  /** Same key → same charge, never a second one. */
  idempotencyKey: string;
}

export type ChargeResult =
  | { ok: true; paymentId: string }
  | { ok: false; code: 'PAYMENT_DECLINED' | 'PAYMENT_UNAVAILABLE'; message: string };

export interface RefundRequest {
  paymentId: string;
  amountCents: number;
  currency: string;
  idempotencyKey: string;
}

export type RefundResult =
  | { ok: true; refundId: string }
  | { ok: false; code: 'PAYMENT_UNAVAILABLE'; message: string };

/** A payment service provider. Implementations must be idempotent per idempotency key. */
export interface PaymentProvider {
  charge(request: ChargeRequest): Promise<ChargeResult>;
  refund(request: RefundRequest): Promise<RefundResult>;
}

/**
 * The built-in test provider (SPEC section 4): accepts any token except `tok_decline`. Idempotency is
 * kept in memory, which is enough for one process; it is for development and tests, not production.
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
