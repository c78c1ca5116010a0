/**
 * The local API on bad input and hostile callers: every malformed request gets a 4xx with the error
 * envelope, nothing is recorded, and the process is unharmed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalAppHarness, localAppHarness, postJson } from '../test-support/local-app';
import { createLocalApp, FRAME_DENY_HEADERS } from './app';
import { createGateMetrics } from './metrics';

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

describe('framing', () => {
  function expectFramingForbidden(res: Response, what: string) {
    expect(res.headers.get('content-security-policy'), what).toBe("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options'), what).toBe('DENY');
    expect(res.headers.get('x-content-type-options'), what).toBe('nosniff');
  }

  it('every answer — UI, API, metrics, each error — forbids framing by any page', async () => {
    const uiDir = join(h.temp.dir, 'dist');
    mkdirSync(uiDir, { recursive: true });
    writeFileSync(join(uiDir, 'index.html'), '<!doctype html><title>scanner</title>');
    writeFileSync(join(uiDir, 'main.js'), 'void 0');
    const failing = () => Promise.reject(new Error('boom'));
    const app = createLocalApp({
      undo: () => Promise.reject(new Error('the disk is gone')),
      scan: failing,
      status: failing,
      syncNow: failing,
      metrics: createGateMetrics(h.temp.store, Date.now),
      uiDir,
    });
    const host = { host: '127.0.0.1:4100' };
    const answers: [string, Response, number][] = [
      ['the not-built page', await h.app.request('/', { headers: host }), 200],
      ['index.html', await app.request('/', { headers: host }), 200],
      ['a script', await app.request('/main.js', { headers: host }), 200],
      ['a missing file', await app.request('/nope.js', { headers: host }), 404],
      ['status', await h.app.request('/api/status', { headers: host }), 200],
      ['scan', await postJson(h.app, '/api/scan', { code: 'NOPE' }), 200],
      ['metrics', await h.app.request('/metrics', { headers: host }), 200],
      ['415', await h.app.request('/api/scan', { method: 'POST', headers: host, body: '{}' }), 415],
      ['403', await h.app.request('/', { headers: { host: 'evil.example' } }), 403],
      ['404', await h.app.request('/api/nope', { headers: host }), 404],
      ['500', await app.request('/api/status', { headers: host }), 500],
    ];
    for (const [what, res, status] of answers) {
      expect(res.status, what).toBe(status);
      expectFramingForbidden(res, what);
    }
    expect(Object.keys(FRAME_DENY_HEADERS)).toHaveLength(3);
  });
});
