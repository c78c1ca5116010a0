/**
 * What the cloud does with a payment provider's webhook event (routes/payment-webhooks.ts verifies it).
 * One event matters: a payment refunded in full at the provider — from its dashboard, or the echo of a
 * refund this cloud made. The order it paid for is refunded here too (`refundOrder`: tickets revoked
 * and pushed to the gates, seats returned), so a ticket refunded in the dashboard stops opening doors.
 * `refundOrder` is idempotent and asks the provider first, which answers with the refund already made,
 * so the echo of our own refund and a re-delivered event change nothing.
 *
 * The order is found through the reference stored with the payment (tenant and reservation: one order
 * per reservation) and must carry this very payment: a charge voided after losing a race for a hold
 * (orders.ts) refers to a reservation whose order was paid by another payment, and is left alone.
 */
import { and, eq } from 'drizzle-orm';
import { orders } from '../db/schema';
import type { Failure } from '../errors';
import type { ServiceContext } from './context';
import { refundOrder } from './orders';
import type { PaymentEvent } from './payments';

export type PaymentEventOutcome =
  | { ok: true; outcome: 'ignored' | 'no_order' | 'refunded' | 'already_refunded'; orderId?: string }
  | Failure;

/** Applies a verified provider event. A failure (provider unreachable) should make the sender retry. */
export async function applyPaymentEvent(
  ctx: ServiceContext,
  event: PaymentEvent,
): Promise<PaymentEventOutcome> {
  if (event.kind === 'ignored') return { ok: true, outcome: 'ignored' };
  const { tenantId, reservationId } = event.reference;
  const [order] = await ctx.db
    .select({ id: orders.id, paymentId: orders.paymentId })
    .from(orders)
    .where(and(eq(orders.tenantId, tenantId), eq(orders.reservationId, reservationId)));
  if (!order || order.paymentId !== event.paymentId) return { ok: true, outcome: 'no_order' };
  const result = await refundOrder(ctx, { tenantId, orderId: order.id, reason: 'provider_refund' });
  if (!result.ok) return result;
  return { ok: true, outcome: result.alreadyRefunded ? 'already_refunded' : 'refunded', orderId: order.id };
}
