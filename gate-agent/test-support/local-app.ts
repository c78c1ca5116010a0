/**
 * Builds the real local API app over a real temp store with an installed manifest, for app.request()
 * tests: no server, no cloud.
 */
import { randomUUID } from 'node:crypto';
import type { Hono } from 'hono';
import { type AgentStatus, createLocalApp } from '../server/app';
import { createGateMetrics } from '../server/metrics';
import { pullEvent } from '../sync/pull';
import { clockStatusOf } from '../verify/holder-code';
import { createScanPipeline } from '../verify/pipeline';
import { createScanBatcher } from '../verify/scan-batcher';
import { createUndoer } from '../verify/undo';
import { ManifestFixture } from './manifest-fixture';
import { fixtureTransport, type TempStore, tempStore } from './stores';

export interface LocalAppHarness {
  app: Hono;
  temp: TempStore;
  fixture: ManifestFixture;
  syncCalls: number;
}

export async function localAppHarness(
  options: { uiDir?: string; clock?: () => number } = {},
): Promise<LocalAppHarness> {
  const temp = tempStore();
  // The device id and key are TEST_DEVICE's (tempStore): the fixture's pages are sealed to it.
  temp.store.updateSettings({ gateId: randomUUID(), gateName: 'South' });
  const fixture = new ManifestFixture();
  for (let serial = 1; serial <= 5; serial++) fixture.issue(serial);
  const fixtureClock = () => fixture.cloudTime;
  await pullEvent(fixture.eventId, {
    store: temp.store,
    fetchPage: fixtureTransport(fixture),
    clock: fixtureClock,
  });
  const clock = options.clock ?? fixtureClock;
  const metrics = createGateMetrics(temp.store, clock);
  const pipeline = createScanPipeline({ store: temp.store, clock, onDecision: metrics.observeDecision });
  const harness: LocalAppHarness = { app: undefined as unknown as Hono, temp, fixture, syncCalls: 0 };
  const status = async (): Promise<AgentStatus> => ({
    deviceId: temp.store.settings.deviceId,
    gate: { id: temp.store.settings.gateId, name: temp.store.settings.gateName },
    online: false,
    lastSyncAt: null,
    pendingUploads: temp.store.pendingUploads,
    counters: temp.store.counters,
    venueTimeZone: null,
    clock: clockStatusOf(temp.store.settings),
    events: [],
  });
  const batcher = createScanBatcher(pipeline);
  const undo = createUndoer({ store: temp.store, clock, onUndone: () => metrics.observeUndo() });
  harness.app = createLocalApp({
    scan: (code, direction) => batcher.submit(code, direction),
    undo: async (seq) => undo(seq),
    status,
    syncNow: async () => {
      harness.syncCalls++;
      return status();
    },
    metrics,
    uiDir: options.uiDir ?? '/nonexistent-ui-dir',
  });
  return harness;
}

export function postJson(app: Hono, path: string, body: unknown, headers: Record<string, string> = {}) {
  return app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', host: '127.0.0.1:4100', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
