/**
 * The running process: startCloud serves HTTP on PGlite in a data directory, keeps idle keep-alive
 * connections 65 s, and a graceful shutdown lets an in-flight purchase finish (its answer saying
 * `Connection: close`) and then ends at once — not a keep-alive timeout or a grace period later.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, type IncomingHttpHeaders, request } from 'node:http';
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

/** One request through node:http (fetch hides the connection headers), on a keep-alive agent. */
function rawRequest(
  agent: Agent,
  url: string,
  options: { method: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { agent, method: options.method, headers: options.headers }, (incoming) => {
      let body = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk: string) => {
        body += chunk;
      });
      incoming.on('end', () =>
        resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

describe('startCloud', () => {
  it('serves, and on close finishes the in-flight purchase, then shuts down without waiting for idle connections', async () => {
    const config = loadConfig(
      {
        PORT: '0',
        DATA_DIR: dataDir,
        AUTH_JWT_SECRET: SECRET,
        KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        LOG_LEVEL: 'silent',
        // Long enough that a shutdown waiting for a kept-alive connection would show.
        SHUTDOWN_GRACE_MS: '30000',
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
    const agent = new Agent({ keepAlive: true });
    const live = await rawRequest(agent, `${running.url}/health/live`, { method: 'GET' });
    expect(live.status).toBe(200);
    // Idle connections are kept longer than a load balancer's 60 s, and the server says so.
    expect(live.headers['keep-alive']).toBe('timeout=65');
    const hold = await call(customer, 'POST', `/api/v1/events/${event.body.id}/reservations`, {
      items: [{ ticketTypeId: type.body.id, quantity: 1 }],
    });
    expect(hold.status).toBe(201);

    // Through the agent's kept-alive connection: once the shutdown starts it is busy, then idle.
    const purchase = rawRequest(agent, `${running.url}/api/v1/reservations/${hold.body.id}/purchase`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${customer}`,
        'content-type': 'application/json',
        'idempotency-key': `k-${randomUUID()}`,
      },
      body: JSON.stringify({ paymentToken: 'tok' }),
    });
    await payments.entered;
    let closed = false;
    const closing = running.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(false);
    payments.release();
    const answered = await purchase;
    expect(answered.status).toBe(201);
    // Its client is told not to send another request on this connection …
    expect(answered.headers.connection).toBe('close');
    const answeredAt = Date.now();
    await closing;
    // … and the shutdown ends soon (pools and workers close), not after the keep-alive timeout (65 s) or
    // the grace period (30 s): without the drain it took 26.6 s here.
    expect(Date.now() - answeredAt).toBeLessThan(15_000);
    expect(closed).toBe(true);
    agent.destroy();
    await expect(fetch(`${running.url}/health`)).rejects.toThrow();
    // Migrations and the cloud's start take most of it: 16 s beside two busy cores.
  }, 60_000);
});
