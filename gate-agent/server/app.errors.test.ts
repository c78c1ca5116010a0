/**
 * The local API on bad input and hostile callers: every malformed request gets a 4xx with the error
 * envelope, nothing is recorded, and the process is unharmed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalAppHarness, localAppHarness, postJson } from '../test-support/local-app';

let h: LocalAppHarness;
beforeEach(async () => {
  h = await localAppHarness();
});
afterEach(() => h.temp.cleanup());

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { code: string; message: unknown } };
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
}

describe('POST /api/scan with bad input', () => {
  it('bad JSON → 400 MALFORMED_JSON', async () => {
    await expectError(await postJson(h.app, '/api/scan', '{"code": '), 400, 'MALFORMED_JSON');
  });

  it('wrong types, missing code, unknown fields, bad direction → 400 VALIDATION_FAILED', async () => {
    for (const body of [
      { code: 42 },
      {},
      { code: 'A', extra: true },
      { code: 'A', direction: 'sideways' },
      [],
      null,
      '"text"',
    ]) {
      await expectError(await postJson(h.app, '/api/scan', body), 400, 'VALIDATION_FAILED');
    }
  });

  it('an oversize body → 413 PAYLOAD_TOO_LARGE', async () => {
    await expectError(
      await postJson(h.app, '/api/scan', { code: 'A'.repeat(100_000) }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('nothing was recorded by any of those', async () => {
    await postJson(h.app, '/api/scan', '{');
    await postJson(h.app, '/api/scan', { code: 1 });
    expect(h.temp.store.lastScanSeq).toBe(0);
  });
});

describe('hostile callers', () => {
  it('a non-JSON content type (what a cross-origin form or fetch without preflight sends) → 415', async () => {
    const res = await h.app.request('/api/scan', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', host: '127.0.0.1:4100' },
      body: JSON.stringify({ code: h.fixture.tokens.get(1) }),
    });
    await expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(h.temp.store.lastScanSeq).toBe(0);
  });

  it('a request addressed to another host name (DNS rebinding) → 403', async () => {
    await expectError(
      await postJson(h.app, '/api/scan', { code: 'A' }, { host: 'evil.example:4100' }),
      403,
      'FORBIDDEN',
    );
    await expectError(
      await h.app.request('/api/status', { headers: { host: 'evil.example' } }),
      403,
      'FORBIDDEN',
    );
  });

  it('unknown API routes → 404 with the envelope', async () => {
    await expectError(await h.app.request('/api/nope', { headers: { host: '127.0.0.1' } }), 404, 'NOT_FOUND');
    await expectError(await h.app.request('/api/scan', { headers: { host: '127.0.0.1' } }), 404, 'NOT_FOUND');
  });
});
