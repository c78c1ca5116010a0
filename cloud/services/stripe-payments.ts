/**
 * Stripe as the payment provider (PAYMENT_PROVIDER=stripe), through the official `stripe` SDK.
 *
 * - Charge: one PaymentIntent, created and confirmed in the same call with the buyer's token from
 *   Stripe.js (a PaymentMethod `pm_…` or a ConfirmationToken `ctoken_…`), cards only, and
 *   `error_on_requires_action` (this checkout cannot hand a 3-D Secure challenge back to the buyer, so
 *   such a card is declined instead of left waiting). The purchase's idempotency key goes to Stripe as
 *   the request's Idempotency-Key, so a retried or racing purchase gets the first PaymentIntent back;
 *   the reference (tenant, event, reservation) goes into its metadata. Only `succeeded` sells.
 * - Refund: a Refund of the PaymentIntent, with its own idempotency key, for what remains unrefunded. A
 *   payment already refunded in full (from the Stripe dashboard) answers with that refund.
 * - A free order (total 0) is never sent to Stripe: its payment id is `free_…`, and so is its refund.
 * - Webhook: the `Stripe-Signature` header is verified against STRIPE_WEBHOOK_SECRET over the raw body
 *   (`stripe.webhooks.constructEvent`). A `charge.refunded` for a full refund becomes a `refunded` event
 *   (the PaymentIntent's metadata says which order); every other event type is acknowledged and ignored:
 *   the purchase learns of success or decline synchronously, so the cloud needs no other event.
 *
 * Error messages answered to buyers are our own words; Stripe's messages, codes and request ids go to
 * the log only.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import Stripe from 'stripe';
import {
  type ChargeRequest,
  type ChargeResult,
  type PaymentEvent,
  type PaymentProvider,
  type PaymentReference,
  type PaymentWebhook,
  type RefundRequest,
  type RefundResult,
  WebhookSignatureError,
} from './payments';

export interface StripeProviderOptions {
  secretKey: string;
  webhookSecret: string;
  logger?: Logger;
  /** Where the Stripe API is: only tests change it (a local fake); default https://api.stripe.com. */
  api?: { host: string; port: number; protocol: 'http' | 'https' };
  /** SDK retries of network failures and 409/5xx answers, with the same idempotency key (default 2). */
  maxNetworkRetries?: number;
  /** Per-request timeout (default 20 s; the purchase request waits for it). */
  timeoutMs?: number;
}

/** Stripe limits an idempotency key to 255 characters; a longer one is replaced by its digest. */
export function stripeIdempotencyKey(key: string): string {
  return key.length <= 255 ? key : `sha256:${createHash('sha256').update(key).digest('base64url')}`;
}

/** The payment id of a free order: never sent to Stripe, the same for the same idempotency key. */
const FREE_PREFIX = 'free_';
function freePaymentId(idempotencyKey: string): string {
  return `${FREE_PREFIX}${createHash('sha256').update(idempotencyKey).digest('base64url').slice(0, 24)}`;
}

const METADATA = { tenantId: 'tenant_id', eventId: 'event_id', reservationId: 'reservation_id' } as const;

function metadataOf(reference: PaymentReference): Record<string, string> {
  return {
    [METADATA.tenantId]: reference.tenantId,
    [METADATA.eventId]: reference.eventId,
    [METADATA.reservationId]: reference.reservationId,
  };
}

function referenceOf(metadata: Record<string, string> | null | undefined): PaymentReference | undefined {
  const tenantId = metadata?.[METADATA.tenantId];
  const eventId = metadata?.[METADATA.eventId];
  const reservationId = metadata?.[METADATA.reservationId];
  return tenantId && eventId && reservationId ? { tenantId, eventId, reservationId } : undefined;
}

/** What of a Stripe error may be logged: never the request, never the key. */
function loggable(error: unknown) {
  if (error instanceof Stripe.errors.StripeError) {
    return {
      type: error.type,
      code: error.code,
      declineCode: error.decline_code,
      statusCode: error.statusCode,
      requestId: error.requestId,
      message: error.message,
    };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

export class StripePaymentProvider implements PaymentProvider {
  readonly #stripe: Stripe;
  readonly #webhookSecret: string;
  readonly #logger: Logger | undefined;
  readonly webhook: PaymentWebhook;

  constructor(options: StripeProviderOptions) {
    this.#stripe = new Stripe(options.secretKey, {
      maxNetworkRetries: options.maxNetworkRetries ?? 2,
      timeout: options.timeoutMs ?? 20_000,
      telemetry: false,
      ...(options.api ?? {}),
    });
    this.#webhookSecret = options.webhookSecret;
    this.#logger = options.logger?.child({ component: 'stripe' });
    this.webhook = { name: 'stripe', parse: (payload, header) => this.#parseWebhook(payload, header) };
  }

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    // A free order (price 0 is allowed) has nothing to charge, and Stripe takes no zero-amount payment.
    if (request.amountCents === 0) return { ok: true, paymentId: freePaymentId(request.idempotencyKey) };
    const token = request.paymentToken;
    let intent: Stripe.PaymentIntent;
    try {
      intent = await this.#stripe.paymentIntents.create(
        {
          amount: request.amountCents,
          currency: request.currency.toLowerCase(),
          confirm: true,
          allowed_payment_method_types: ['card'],
          error_on_requires_action: true,
          ...(token.startsWith('ctoken_') ? { confirmation_token: token } : { payment_method: token }),
          metadata: metadataOf(request.reference),
        },
        { idempotencyKey: stripeIdempotencyKey(request.idempotencyKey) },
      );
    } catch (error) {
      return this.#chargeFailure(error);
    }
    if (intent.status === 'succeeded') return { ok: true, paymentId: intent.id };
    // Not expected for cards confirmed with error_on_requires_action; never sell on anything else.
    this.#logger?.error({ paymentIntent: intent.id, status: intent.status }, 'payment intent not succeeded');
    if (intent.status !== 'processing' && intent.status !== 'canceled') {
      await this.#stripe.paymentIntents
        .cancel(intent.id, {}, { idempotencyKey: stripeIdempotencyKey(`cancel:${request.idempotencyKey}`) })
        .catch((error: unknown) => this.#logger?.error({ err: loggable(error) }, 'cancel failed'));
    }
    return { ok: false, code: 'PAYMENT_UNAVAILABLE', message: 'the payment could not be completed' };
  }

  #chargeFailure(error: unknown): ChargeResult {
    const { errors } = Stripe;
    if (error instanceof errors.StripeCardError) {
      this.#logger?.info({ err: loggable(error) }, 'card declined');
      const reason = error.decline_code || error.code || 'card_declined';
      return { ok: false, code: 'PAYMENT_DECLINED', message: `the card was declined (${reason})` };
    }
    if (error instanceof errors.StripeIdempotencyError) {
      return {
        ok: false,
        code: 'IDEMPOTENCY_KEY_REUSED',
        message: 'this Idempotency-Key was used for a different purchase',
      };
    }
    if (
      error instanceof errors.StripeInvalidRequestError &&
      (error.param === 'payment_method' || error.param === 'confirmation_token')
    ) {
      this.#logger?.info({ err: loggable(error) }, 'payment token refused');
      return { ok: false, code: 'PAYMENT_DECLINED', message: 'the payment token was not accepted' };
    }
    if (error instanceof errors.StripeInvalidRequestError && error.param === 'amount') {
      // Below the card minimum (amount_too_small, e.g. under 0.50 EUR) or above the maximum.
      this.#logger?.warn({ err: loggable(error) }, 'amount refused');
      return {
        ok: false,
        code: 'PAYMENT_DECLINED',
        message: 'the payment provider does not accept this amount',
      };
    }
    this.#logger?.error({ err: loggable(error) }, 'charge failed');
    return { ok: false, code: 'PAYMENT_UNAVAILABLE', message: 'the payment provider is unavailable' };
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    if (request.paymentId.startsWith(FREE_PREFIX)) return { ok: true, refundId: FREE_PREFIX };
    try {
      // No amount: Stripe refunds what remains, which is the whole payment unless the dashboard
      // refunded part of it (a fixed amount would then fail on every retry).
      const refund = await this.#stripe.refunds.create(
        { payment_intent: request.paymentId },
        { idempotencyKey: stripeIdempotencyKey(request.idempotencyKey) },
      );
      if (refund.status === 'failed' || refund.status === 'canceled') {
        this.#logger?.error({ refund: refund.id, status: refund.status }, 'refund not accepted');
        return { ok: false, code: 'PAYMENT_UNAVAILABLE', message: 'the refund was not accepted' };
      }
      return { ok: true, refundId: refund.id };
    } catch (error) {
      if (
        error instanceof Stripe.errors.StripeInvalidRequestError &&
        error.code === 'charge_already_refunded'
      ) {
        return this.#existingRefund(request.paymentId);
      }
      this.#logger?.error({ err: loggable(error), paymentIntent: request.paymentId }, 'refund failed');
      return { ok: false, code: 'PAYMENT_UNAVAILABLE', message: 'the payment provider is unavailable' };
    }
  }

  /** A payment refunded in full already (from the dashboard): its most recent refund. */
  async #existingRefund(paymentId: string): Promise<RefundResult> {
    try {
      const refunds = await this.#stripe.refunds.list({ payment_intent: paymentId, limit: 10 });
      const refund = refunds.data.find((r) => r.status === 'succeeded' || r.status === 'pending');
      if (refund) return { ok: true, refundId: refund.id };
    } catch (error) {
      this.#logger?.error({ err: loggable(error), paymentIntent: paymentId }, 'listing refunds failed');
    }
    return { ok: false, code: 'PAYMENT_UNAVAILABLE', message: 'the payment provider is unavailable' };
  }

  async #parseWebhook(
    payload: Uint8Array,
    header: (name: string) => string | undefined,
  ): Promise<PaymentEvent> {
    let event: Stripe.Event;
    try {
      event = this.#stripe.webhooks.constructEvent(
        Buffer.from(payload),
        header('stripe-signature') ?? '',
        this.#webhookSecret,
      );
    } catch (error) {
      throw new WebhookSignatureError(
        error instanceof Error ? error.message : 'the webhook signature does not verify',
      );
    }
    if (event.type !== 'charge.refunded') return { kind: 'ignored', type: event.type };
    const charge = event.data.object;
    const intent = charge.payment_intent;
    const paymentId = typeof intent === 'string' ? intent : intent?.id;
    if (!paymentId) return { kind: 'ignored', type: `${event.type} (no payment intent)` };
    if (!charge.refunded) return { kind: 'ignored', type: `${event.type} (partial)` };
    // The charge need not carry the PaymentIntent's metadata; the PaymentIntent does.
    const reference = referenceOf((await this.#stripe.paymentIntents.retrieve(paymentId)).metadata);
    if (!reference) return { kind: 'ignored', type: `${event.type} (not a purchase of this cloud)` };
    return { kind: 'refunded', paymentId, reference };
  }
}
