/**
 * The running process: startCloud serves HTTP on PGlite in a data directory, and a graceful shutdown
 * lets an in-flight purchase finish before the pools close.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config';
import { type RunningCloud, startCloud } from './server';
import { type ChargeRequest, TestPaymentProvider } from './services/payments';
import { mintUserToken } from './test-support/tokens';

const SECRET = randomBytes(32).toString('base64url');
const dataDir = mkdtempSync(join(tmpdir(), 'cloud-server-test-'));

/** A provider whose charges wait until the test lets them through. */
class GatedProvider extends TestPaymentProvider {
  release: () => void = () => {};
  entered: Promise<void>;
  #enter: () => void = () => {};
  constructor() {
    super();
    this.entered = new Promise((resolve) => {
      this.#enter = resolve;
    });
  }
  override async charge(request: ChargeRequest) {
    this.#enter();
    await new Promise<void>((resolve) => {
      this.release = resolve;
    });
    return super.charge(request);
  }
}

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('startCloud', () => {
  it('serves, and on close finishes the in-flight purchase before shutting down', async () => {
    const config = loadConfig(
      {
        PORT: '0',
        DATA_DIR: dataDir,
        AUTH_JWT_SECRET: SECRET,
        KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        LOG_LEVEL: 'silent',
      },
      { generateDevSecrets: false },
    );
    const payments = new GatedProvider();
    const running: RunningCloud = await startCloud(config, { payments, hostname: '127.0.0.1' });
    const call = async (token: string, method: string, path: string, body?: unknown, headers = {}) => {
      const response = await fetch(`${running.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as { id: string } };
    };
    const admin = await mintUserToken({ sub: 'admin', tid: 't', role: 'admin', secret: SECRET });
    const customer = await mintUserToken({ sub: 'buyer', tid: 't', role: 'customer', secret: SECRET });
    const venue = await call(admin, 'POST', '/api/v1/venues', { name: 'V', timezone: 'UTC' });
    const event = await call(admin, 'POST', '/api/v1/events', {
      venueId: venue.body.id,
      name: 'E',
      startsAt: new Date(Date.now() + 86_400_000).toISOString(),
      endsAt: new Date(Date.now() + 90_000_000).toISOString(),
    });
    const type = await call(admin, 'POST', `/api/v1/events/${event.body.id}/ticket-types`, {
      name: 'G',
      priceCents: 100,
      currency: 'EUR',
      capacity: 10,
    });
    await call(admin, 'POST', `/api/v1/events/${event.body.id}/publish`);
    const hold = await call(customer, 'POST', `/api/v1/events/${event.body.id}/reservations`, {
      items: [{ ticketTypeId: type.body.id, quantity: 1 }],
    });
    expect(hold.status).toBe(201);

    const purchase = call(
      customer,
      'POST',
      `/api/v1/reservations/${hold.body.id}/purchase`,
      { paymentToken: 'tok' },
      {
        'idempotency-key': `k-${randomUUID()}`,
      },
    );
    await payments.entered;
    let closed = false;
    const closing = running.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(false);
    payments.release();
    expect((await purchase).status).toBe(201);
    await closing;
    expect(closed).toBe(true);
    await expect(fetch(`${running.url}/health`)).rejects.toThrow();
  });
});
