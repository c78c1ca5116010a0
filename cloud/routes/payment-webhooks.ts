/**
 * POST /api/v1/payments/<provider>/webhook (e.g. /api/v1/payments/stripe/webhook): the payment provider's
 * events. No user JWT (app.ts lets the path through): the provider's signature over the raw body is the
 * only credential, and a missing or forged one is a 400 WEBHOOK_SIGNATURE_INVALID before anything is
 * read. Mounted only when the provider has webhooks (not for the test provider). A verified event is
 * answered 200 once applied (services/payment-events.ts); a failure to apply it answers 5xx, so the
 * provider delivers it again.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { AppError, toAppError } from '../errors';
import type { AppEnv } from '../http/context';
import type { ServiceContext } from '../services/context';
import { applyPaymentEvent } from '../services/payment-events';
import { type PaymentEvent, WebhookSignatureError } from '../services/payments';

/** The webhook path of a provider, or undefined when it has none. */
export function paymentWebhookPath(services: ServiceContext): string | undefined {
  const webhook = services.payments.webhook;
  return webhook ? `/api/v1/payments/${webhook.name}/webhook` : undefined;
}

/** Mounts the provider's webhook route on the root app (nothing for a provider without webhooks). */
export function mountPaymentWebhook(app: OpenAPIHono<AppEnv>, services: ServiceContext): void {
  const webhook = services.payments.webhook;
  const path = paymentWebhookPath(services);
  if (!webhook || !path) return;
  app.post(path, async (c) => {
    const logger = c.get('logger');
    // The signature covers the exact bytes received: never a re-serialised JSON body.
    const payload = new Uint8Array(await c.req.arrayBuffer());
    let event: PaymentEvent;
    try {
      event = await webhook.parse(payload, (name) => c.req.header(name));
    } catch (error) {
      if (error instanceof WebhookSignatureError) {
        logger.warn({ provider: webhook.name, reason: error.message }, 'payment webhook refused');
        throw new AppError('WEBHOOK_SIGNATURE_INVALID', 'the webhook signature does not verify');
      }
      throw error;
    }
    const result = await applyPaymentEvent(services, event);
    if (!result.ok) throw toAppError(result);
    logger.info(
      {
        provider: webhook.name,
        event: event.kind === 'ignored' ? event.type : event.kind,
        outcome: result.outcome,
        orderId: result.orderId,
      },
      'payment webhook applied',
    );
    return c.json({ received: true, outcome: result.outcome }, 200);
  });
}
