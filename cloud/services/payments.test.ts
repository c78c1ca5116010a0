// The built-in test payment provider: idempotent per key, and bounded in what it remembers (it runs for
// days under `npm run cloud`; an unbounded map showed up as heap growth in the load test).
import { describe, expect, it } from 'vitest';
import { TestPaymentProvider } from './payments';

const charge = (key: string, paymentToken = 'tok_visa') => ({
  amountCents: 2500,
  currency: 'EUR',
  paymentToken,
  idempotencyKey: key,
  reference: { tenantId: 't1', eventId: 'e1', reservationId: 'r1' },
});

describe('TestPaymentProvider', () => {
  it('answers a repeated key with the first result, and declines tok_decline', async () => {
    const provider = new TestPaymentProvider();
    const first = await provider.charge(charge('k1'));
    expect(first).toMatchObject({ ok: true });
    expect(await provider.charge(charge('k1'))).toEqual(first);
    expect(await provider.charge(charge('k2', 'tok_decline'))).toMatchObject({ code: 'PAYMENT_DECLINED' });
    expect(provider.charged).toHaveLength(1);
    const refund = { paymentId: 'p', amountCents: 1, currency: 'EUR', idempotencyKey: 'r1' };
    const refunded = await provider.refund(refund);
    expect(await provider.refund(refund)).toEqual(refunded);
    expect(provider.refunded).toHaveLength(1);
  });

  it('remembers only the most recent keys and records', async () => {
    const provider = new TestPaymentProvider({ memory: 3 });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await provider.charge(charge(`k${i}`)));
    expect(provider.charged.map((c) => c.idempotencyKey)).toEqual(['k2', 'k3', 'k4']);
    // The newest keys are still idempotent; the oldest was forgotten (a new charge, as a real provider
    // would after its own retention period).
    expect(await provider.charge(charge('k4'))).toEqual(results[4]);
    expect(await provider.charge(charge('k0'))).not.toEqual(results[0]);
    expect(() => new TestPaymentProvider({ memory: 0 })).toThrow(RangeError);
  });
});
