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
 */
export class TestPaymentProvider implements PaymentProvider {
  readonly #charges = new Map<string, ChargeResult>();
  readonly #refunds = new Map<string, RefundResult>();
  #sequence = 0;
  /** Refunds performed, for tests and the dev console. */
  readonly refunded: RefundRequest[] = [];
  /** Successful charges (first time per idempotency key), for tests. */
  readonly charged: (ChargeRequest & { paymentId: string })[] = [];

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const previous = this.#charges.get(request.idempotencyKey);
    if (previous) return previous;
    const result: ChargeResult =
      request.paymentToken === 'tok_decline'
        ? { ok: false, code: 'PAYMENT_DECLINED', message: 'the card was declined' }
        : { ok: true, paymentId: `pay_test_${++this.#sequence}` };
    this.#charges.set(request.idempotencyKey, result);
    if (result.ok) this.charged.push({ ...request, paymentId: result.paymentId });
    return result;
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const previous = this.#refunds.get(request.idempotencyKey);
    if (previous) return previous;
    const result: RefundResult = { ok: true, refundId: `re_test_${++this.#sequence}` };
    this.#refunds.set(request.idempotencyKey, result);
    this.refunded.push(request);
    return result;
  }
}
