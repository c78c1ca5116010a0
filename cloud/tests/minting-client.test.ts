/**
 * The MintingServiceClient against a real local HTTP server standing in for the minting service
 * (the only fake): retry schedule, no retry on 4xx, the circuit breaker opening, refusing and
 * half-opening, timeouts and resets as failures, and the X-Internal-Auth HMAC over the exact bytes.
 * Delays are shortened through the client's options (retry base 10–100 ms, half-open 300 ms).
 */
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  MINT_TICKET_PATH,
  type MintingClientOptions,
  MintingServiceClient,
  type MintTicketRequest,
} from '../services/minting/client';
import { signInternalRequest, verifyInternalAuth } from '../services/minting/signature';
import { type FakeMintingServer, startFakeMintingServer } from '../test-support/fake-minting-server';

const SECRET = 'minting-test-secret-0123456789abcdef';

const request: MintTicketRequest = {
  ticketId: '0190f0e8-0000-7000-8000-000000000001',
  tenantId: 'tenant-a',
  eventId: '0190f0e8-0000-7000-8000-0000000000e1',
  ticketTypeId: '0190f0e8-0000-7000-8000-0000000000f1',
  generation: 1,
  owner: 'user-1',
  event: { name: 'Demo Night — “Zürich”', startsAt: '2027-06-01T18:00:00.000Z' },
  venue: { id: '0190f0e8-0000-7000-8000-0000000000a1', name: 'Arena', timezone: 'Europe/Zurich' },
  ticketType: { name: 'Standing', priceCents: 4500, currency: 'EUR' },
};

let server: FakeMintingServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(
  options: Partial<MintingClientOptions> = {},
): Promise<{ fake: FakeMintingServer; client: MintingServiceClient }> {
  server = await startFakeMintingServer({ secret: SECRET });
  const client = new MintingServiceClient({
    url: server.url,
    secret: SECRET,
    timeoutMs: 2_000,
    retryBaseMs: 10,
    halfOpenAfterMs: 300,
    ...options,
  });
  return { fake: server, client };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('retries', () => {
  it('retries 5xx three times after 1×, 2× and 4× the base, then mints', async () => {
    const base = 100;
    const { fake, client } = await setup({ retryBaseMs: base });
    fake.script(
      { kind: 'status', status: 503 },
      { kind: 'status', status: 500 },
      { kind: 'status', status: 502 },
      { kind: 'mint', ref: 'nft-42' },
    );
    const result = await client.mintTicket(request);
    expect(result).toEqual({ outcome: 'minted', ref: 'nft-42' });
    expect(fake.requests).toHaveLength(4);
    const gaps = fake.requests.slice(1).map((r, i) => r.arrivedAt - fake.requests[i]!.arrivedAt);
    // Timers never fire early; on a loaded 2-core machine they may fire late, hence the wide upper bound.
    [base, 2 * base, 4 * base].forEach((expected, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(expected - 2);
      expect(gaps[i]).toBeLessThan(expected + 250);
    });
    // The same logical call: one request id on every retry, each retry signed afresh and valid.
    expect(new Set(fake.requests.map((r) => r.headers['x-request-id'])).size).toBe(1);
    expect(fake.requests.every((r) => r.auth.ok)).toBe(true);
  });

  it('gives up after 1 + 3 attempts and reports the service unavailable', async () => {
    const { fake, client } = await setup();
    fake.setDefault({ kind: 'status', status: 503, message: 'down for maintenance' });
    const result = await client.mintTicket(request);
    expect(result).toEqual({
      outcome: 'unavailable',
      reason: 'failed',
      message: 'HTTP 503: down for maintenance',
    });
    expect(fake.requests).toHaveLength(4);
    expect(client.circuitState).toBe('closed');
  });

  it('does not retry a 4xx and returns it as rejected', async () => {
    const { fake, client } = await setup();
    fake.script({ kind: 'status', status: 422, message: 'ticket type not mintable' });
    const result = await client.mintTicket(request);
    expect(result).toEqual({
      outcome: 'rejected',
      status: 422,
      message: 'HTTP 422: ticket type not mintable',
    });
    await sleep(100); // a retry (10 ms base) would have arrived by now
    expect(fake.requests).toHaveLength(1);
  });

  it('does not retry 429 in the call, but reports it as unavailable (try later), not rejected', async () => {
    const { fake, client } = await setup();
    fake.script({ kind: 'status', status: 429, message: 'slow down' });
    expect(await client.mintTicket(request)).toEqual({
      outcome: 'unavailable',
      reason: 'failed',
      message: 'HTTP 429: slow down',
    });
    await sleep(100);
    expect(fake.requests).toHaveLength(1);
  });

  it('retries a reset connection and a 2xx without a ref', async () => {
    const { fake, client } = await setup();
    fake.script({ kind: 'reset' }, { kind: 'mint', body: { status: 'ok' } }, { kind: 'mint', ref: 'nft-7' });
    expect(await client.mintTicket(request)).toEqual({ outcome: 'minted', ref: 'nft-7' });
    expect(fake.requests).toHaveLength(3);
  });
});

describe('circuit breaker', () => {
  it('opens after 5 consecutive failures and refuses calls without reaching the server', async () => {
    // A 100 ms base: a refused call that were retried would take ≥ 700 ms, far above the bound below.
    const { fake, client } = await setup({ retryBaseMs: 100 });
    fake.setDefault({ kind: 'status', status: 503 });
    // Call 1: four failed attempts (1 + 3 retries), not yet open.
    expect(await client.mintTicket(request)).toMatchObject({ outcome: 'unavailable', reason: 'failed' });
    expect(fake.requests).toHaveLength(4);
    expect(client.circuitState).toBe('closed');
    // Call 2: its first attempt is the fifth failure; its retry is refused by the open circuit.
    expect(await client.mintTicket(request)).toMatchObject({
      outcome: 'unavailable',
      reason: 'circuit_open',
    });
    expect(fake.requests).toHaveLength(5);
    expect(client.circuitState).toBe('open');
    // While open: refused at once, nothing reaches the server.
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      expect(await client.mintTicket(request)).toMatchObject({
        outcome: 'unavailable',
        reason: 'circuit_open',
      });
      expect(performance.now() - started).toBeLessThan(300);
    }
    expect(fake.requests).toHaveLength(5);
  });

  it('half-opens after the reset time and closes on a successful trial call', async () => {
    const { fake, client } = await setup({ halfOpenAfterMs: 300 });
    fake.script(...Array.from({ length: 5 }, () => ({ kind: 'status', status: 500 }) as const));
    await client.mintTicket(request);
    await client.mintTicket(request);
    expect(client.circuitState).toBe('open');
    const openedAt = performance.now();
    // Before the reset time it is still refusing.
    await sleep(100);
    expect(await client.mintTicket(request)).toMatchObject({ reason: 'circuit_open' });
    expect(fake.requests).toHaveLength(5);
    await sleep(Math.max(0, 300 - (performance.now() - openedAt)) + 20);
    // The trial call goes through (the script is used up: the server mints) and closes the circuit.
    expect(await client.mintTicket(request)).toEqual({
      outcome: 'minted',
      ref: `mint-${request.ticketId}-g1`,
    });
    expect(fake.requests).toHaveLength(6);
    expect(client.circuitState).toBe('closed');
    expect(await client.mintTicket(request)).toMatchObject({ outcome: 'minted' });
    expect(fake.requests).toHaveLength(7);
  });

  it('re-opens when the half-open trial call fails', async () => {
    const { fake, client } = await setup({ halfOpenAfterMs: 300 });
    fake.setDefault({ kind: 'status', status: 500 });
    await client.mintTicket(request);
    await client.mintTicket(request);
    expect(client.circuitState).toBe('open');
    await sleep(330);
    // One trial attempt, which fails: open again, and the retry after it is refused.
    expect(await client.mintTicket(request)).toMatchObject({ reason: 'circuit_open' });
    expect(fake.requests).toHaveLength(6);
    expect(client.circuitState).toBe('open');
    expect(await client.mintTicket(request)).toMatchObject({ reason: 'circuit_open' });
    expect(fake.requests).toHaveLength(6);
  });

  it('counts timeouts as failures: a hanging service opens the circuit', async () => {
    const timeoutMs = 150;
    const { fake, client } = await setup({ timeoutMs });
    fake.setDefault({ kind: 'hang' });
    const started = performance.now();
    expect(await client.mintTicket(request)).toEqual({
      outcome: 'unavailable',
      reason: 'failed',
      message: `timed out after ${timeoutMs} ms`,
    });
    // Four attempts, each cut at the timeout, with 10 + 20 + 40 ms between them.
    expect(performance.now() - started).toBeGreaterThanOrEqual(4 * timeoutMs + 70 - 5);
    expect(fake.requests).toHaveLength(4);
    expect(await client.mintTicket(request)).toMatchObject({ reason: 'circuit_open' });
    expect(fake.requests).toHaveLength(5);
    expect(client.circuitState).toBe('open');
  });

  it('does not count a 4xx as a failure', async () => {
    const { fake, client } = await setup();
    fake.script(
      ...Array.from({ length: 4 }, () => ({ kind: 'status', status: 503 }) as const),
      { kind: 'status', status: 409, message: 'duplicate' },
      ...Array.from({ length: 4 }, () => ({ kind: 'status', status: 503 }) as const),
    );
    expect(await client.mintTicket(request)).toMatchObject({ reason: 'failed' }); // 4 failures
    expect(await client.mintTicket(request)).toMatchObject({ outcome: 'rejected', status: 409 });
    // Had the 409 been a failure it would have been the fifth in a row and opened the circuit.
    expect(client.circuitState).toBe('closed');
    expect(await client.mintTicket(request)).toMatchObject({ reason: 'failed' });
    expect(fake.requests).toHaveLength(9);
  });
});

describe('X-Internal-Auth', () => {
  it('is an HMAC-SHA256 over the timestamp and the exact body bytes sent', async () => {
    const { fake, client } = await setup();
    await client.mintTicket(request);
    const [sent] = fake.requests;
    expect(sent).toBeDefined();
    expect(sent!.method).toBe('POST');
    expect(sent!.path).toBe(MINT_TICKET_PATH);
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(sent!.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const header = String(sent!.headers['x-internal-auth']);
    const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
    expect(match).not.toBeNull();
    const t = Number(match![1]);
    expect(Math.abs(t - Date.now() / 1000)).toBeLessThan(5);
    // Recomputed independently of the module under test, over the raw bytes received.
    const expected = createHmac('sha256', SECRET).update(`${t}.`).update(sent!.rawBody).digest('hex');
    expect(match![2]).toBe(expected);
    expect(sent!.auth).toEqual({ ok: true, unixSeconds: t });
    // The body is the request as JSON (non-ASCII intact) and nothing else: no QR, digest or key.
    expect(sent!.body).toEqual(request);
    expect(sent!.rawBody.toString('utf8')).toBe(JSON.stringify(request));
    // One changed byte, or the right bytes at another time, no longer verify.
    const tampered = Buffer.from(sent!.rawBody);
    const flipped = tampered.length - 3;
    tampered[flipped] = tampered[flipped]! ^ 1;
    expect(verifyInternalAuth(header, tampered, SECRET, t)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyInternalAuth(header, sent!.rawBody, SECRET, t + 301)).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('is refused by the service when signed with another secret (401, not retried)', async () => {
    const { fake } = await setup();
    const impostor = new MintingServiceClient({
      url: fake.url,
      secret: 'another-secret-of-enough-length-000000',
      timeoutMs: 2_000,
      retryBaseMs: 10,
    });
    const result = await impostor.mintTicket(request);
    expect(result).toMatchObject({ outcome: 'rejected', status: 401 });
    await sleep(100);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.auth).toEqual({ ok: false, reason: 'mismatch' });
    expect(fake.requests[0]!.behaviour).toBeUndefined();
  });

  it('verifier rejects missing, malformed and expired headers and accepts a rotated pair', () => {
    const body = new TextEncoder().encode('{"a":1}');
    const now = 1_800_000_000;
    expect(verifyInternalAuth(undefined, body, SECRET, now)).toEqual({ ok: false, reason: 'missing' });
    expect(verifyInternalAuth('garbage', body, SECRET, now)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyInternalAuth('t=abc,v1=00', body, SECRET, now)).toEqual({ ok: false, reason: 'malformed' });
    const signed = signInternalRequest(SECRET, body, now - 10);
    expect(verifyInternalAuth(signed, body, SECRET, now)).toEqual({ ok: true, unixSeconds: now - 10 });
    expect(verifyInternalAuth(signed, body, SECRET, now + 400)).toEqual({ ok: false, reason: 'expired' });
    const old = signInternalRequest('an-old-secret-that-is-long-enough-0000', body, now);
    const both = `${signed.replace(`t=${now - 10}`, `t=${now}`)},${old.split(',')[1]}`;
    // Signed with the old secret (second v1) and a forged first v1: accepted only via the right MAC.
    expect(verifyInternalAuth(both, body, 'an-old-secret-that-is-long-enough-0000', now)).toMatchObject({
      ok: true,
    });
    expect(verifyInternalAuth(both, body, 'a-third-secret-that-is-long-enough-000', now)).toMatchObject({
      ok: false,
    });
  });
});

describe('configuration', () => {
  it('refuses bad options at construction', () => {
    const good = { url: 'http://127.0.0.1:1', secret: SECRET, timeoutMs: 1_000 };
    expect(() => new MintingServiceClient({ ...good, url: 'not a url' })).toThrow(/url/);
    expect(() => new MintingServiceClient({ ...good, url: 'ftp://host' })).toThrow(/url/);
    expect(() => new MintingServiceClient({ ...good, secret: 'short' })).toThrow(/secret/);
    expect(() => new MintingServiceClient({ ...good, timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => new MintingServiceClient({ ...good, retryBaseMs: -1 })).toThrow(/retryBaseMs/);
    expect(() => new MintingServiceClient({ ...good, halfOpenAfterMs: 1.5 })).toThrow(/halfOpenAfterMs/);
  });

  it('keeps a path prefix of MINTING_SERVICE_URL', async () => {
    const { fake } = await setup();
    const client = new MintingServiceClient({
      url: `${fake.url}/minting/`,
      secret: SECRET,
      timeoutMs: 2_000,
    });
    // The fake only serves /api/v1/mint/ticket, so a prefixed path is a 404: rejected, and recorded.
    expect(await client.mintTicket(request)).toMatchObject({ outcome: 'rejected', status: 404 });
    expect(fake.requests[0]!.path).toBe(`/minting${MINT_TICKET_PATH}`);
  });
});

describe('production defaults', () => {
  it('retries after exactly 1 s, 2 s and 4 s', async () => {
    server = await startFakeMintingServer({ secret: SECRET });
    const client = new MintingServiceClient({ url: server.url, secret: SECRET, timeoutMs: 5_000 });
    server.setDefault({ kind: 'status', status: 503 });
    expect(await client.mintTicket(request)).toMatchObject({ outcome: 'unavailable', reason: 'failed' });
    expect(server.requests).toHaveLength(4);
    const gaps = server.requests.slice(1).map((r, i) => r.arrivedAt - server!.requests[i]!.arrivedAt);
    [1_000, 2_000, 4_000].forEach((expected, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(expected - 2);
      expect(gaps[i]).toBeLessThan(expected + 300);
    });
  }, 20_000);

  it('keeps the circuit open for 60 s, then lets a trial call through', async () => {
    // Only Date is faked (cockatiel times the open circuit with Date.now); sockets and timers stay real.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      server = await startFakeMintingServer({ secret: SECRET });
      const client = new MintingServiceClient({
        url: server.url,
        secret: SECRET,
        timeoutMs: 2_000,
        retryBaseMs: 10,
      });
      server.setDefault({ kind: 'status', status: 503 });
      await client.mintTicket(request);
      await client.mintTicket(request);
      expect(client.circuitState).toBe('open');
      server.setDefault({ kind: 'mint' });
      vi.setSystemTime(Date.now() + 59_000);
      expect(await client.mintTicket(request)).toMatchObject({ reason: 'circuit_open' });
      expect(server.requests).toHaveLength(5);
      vi.setSystemTime(Date.now() + 1_500);
      expect(await client.mintTicket(request)).toMatchObject({ outcome: 'minted' });
      expect(server.requests).toHaveLength(6);
      expect(client.circuitState).toBe('closed');
    } finally {
      vi.useRealTimers();
    }
  });
});
