/** The local API on its happy paths, through app.request() on the real app over a real store. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LocalAppHarness, localAppHarness, postJson } from '../test-support/local-app';

let h: LocalAppHarness;
beforeEach(async () => {
  h = await localAppHarness();
});
afterEach(() => h.temp.cleanup());

describe('POST /api/scan', () => {
  it('answers the decision with ticket, time and latency, and records it', async () => {
    const res = await postJson(h.app, '/api/scan', { code: h.fixture.tokens.get(1), direction: 'in' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { latencyMs: number };
    expect(body).toMatchObject({
      decision: 'accept',
      reason: 'OK',
      ticket: {
        serial: 1,
        typeNo: 1,
        typeName: 'General',
        eventId: h.fixture.eventId,
        eventName: 'Test concert',
      },
      scannedAt: h.fixture.cloudTime,
      seq: 1,
    });
    expect(body.latencyMs).toBeGreaterThan(0);
    expect(h.temp.store.pendingUploads).toBe(1);
  });

  it('defaults to direction in, and reports ALREADY_USED with when and where', async () => {
    await postJson(h.app, '/api/scan', { code: h.fixture.tokens.get(2) });
    const body = await (await postJson(h.app, '/api/scan', { code: h.fixture.tokens.get(2) })).json();
    expect(body).toMatchObject({
      decision: 'reject',
      reason: 'ALREADY_USED',
      alreadyUsed: { at: h.fixture.cloudTime, gateName: 'South' },
    });
  });

  it('answers a reject (not an error) for any string, however odd', async () => {
    for (const code of ['', ' ', 'x'.repeat(5000), '\u0000\u{1F600}', '{"a":1}']) {
      const res = await postJson(h.app, '/api/scan', { code });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { decision: string }).decision).toBe('reject');
    }
  });
});

describe('status, sync, metrics, UI', () => {
  it('GET /api/status and POST /api/sync answer the status', async () => {
    const status = await h.app.request('/api/status', { headers: { host: 'localhost:4100' } });
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({
      gate: { name: 'South' },
      counters: { accepted: 0, admitted: 0, exited: 0, rejected: 0 },
    });
    const sync = await h.app.request('/api/sync', { method: 'POST', headers: { host: '127.0.0.1' } });
    expect(sync.status).toBe(200);
    expect(h.syncCalls).toBe(1);
  });

  it('GET /metrics exposes decision latency by reason, pending uploads and manifest age', async () => {
    await postJson(h.app, '/api/scan', { code: h.fixture.tokens.get(3) });
    await postJson(h.app, '/api/scan', { code: 'NOPE' });
    const text = await (await h.app.request('/metrics', { headers: { host: '127.0.0.1' } })).text();
    expect(text).toMatch(/gate_decision_latency_seconds_count\{decision="accept",reason="OK"\} 1/);
    expect(text).toMatch(/gate_decision_latency_seconds_count\{decision="reject",reason="INVALID"\} 1/);
    expect(text).toMatch(/gate_scans_pending_upload 2/);
    expect(text).toContain(`gate_manifest_age_seconds{event="${h.fixture.eventId}"} 0`);
    expect(text).toContain('gate_sync_failures_total');
  });

  it('serves a plain page while the scanner UI is not built, and the built files once they exist', async () => {
    const notBuilt = await h.app.request('/', { headers: { host: '127.0.0.1' } });
    expect(notBuilt.status).toBe(200);
    expect(await notBuilt.text()).toContain('npm run build:ui');

    const uiDir = join(h.temp.dir, 'dist');
    mkdirSync(join(uiDir, 'assets'), { recursive: true });
    writeFileSync(join(uiDir, 'index.html'), '<!doctype html><title>scanner</title>');
    writeFileSync(join(uiDir, 'assets', 'app.js'), 'console.log(1)');
    const built = await localAppHarness({ uiDir });
    try {
      const index = await built.app.request('/', { headers: { host: '127.0.0.1' } });
      expect(await index.text()).toContain('<title>scanner</title>');
      const js = await built.app.request('/assets/app.js', { headers: { host: '127.0.0.1' } });
      expect(js.headers.get('content-type')).toContain('text/javascript');
      const traversal = await built.app.request('/..%2f..%2fgate.sqlite', { headers: { host: '127.0.0.1' } });
      expect(traversal.status).toBe(404);
    } finally {
      built.temp.cleanup();
    }
  });
});
