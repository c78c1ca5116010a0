/**
 * Test helpers: real SQLite files (never :memory:) in a fresh temp directory with the migrations
 * applied, and a manifest transport that answers from a ManifestFixture like the cloud would (409 on an
 * unknown epoch or a cursor beyond the head).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GateStore, openGateStore } from '../store/gate-store';
import type { FetchPage, PageRequest } from '../sync/pull';
import type { ManifestFixture } from './manifest-fixture';
import { giveDeviceIdentity } from './test-device';

export interface TempStore {
  dir: string;
  path: string;
  store: GateStore;
  /** Closes and opens the same file again, as a restarted process would. */
  reopen(): GateStore;
  cleanup(): void;
}

export function makeTempDir(prefix = 'gate-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A store in a fresh temp directory, holding the TEST_DEVICE identity fixture pages are sealed to. */
export function tempStore(): TempStore {
  const dir = makeTempDir();
  const path = join(dir, 'gate.sqlite');
  const store = openGateStore(path);
  giveDeviceIdentity(store);
  const handle: TempStore = {
    dir,
    path,
    store,
    reopen() {
      handle.store.close();
      handle.store = openGateStore(path);
      return handle.store;
    },
    cleanup() {
      handle.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}

/** A FetchPage answering from fixtures (several events), optionally observing each request. */
export function fixtureTransport(
  fixtures: ManifestFixture | ManifestFixture[],
  hooks: { beforeAnswer?: (request: PageRequest) => void | Promise<void>; deviceTime?: () => number } = {},
): FetchPage {
  const byId = new Map((Array.isArray(fixtures) ? fixtures : [fixtures]).map((f) => [f.eventId, f]));
  return async (request) => {
    await hooks.beforeAnswer?.(request);
    const fixture = byId.get(request.eventId);
    if (!fixture) throw new Error(`fixture transport: unknown event ${request.eventId}`);
    if ((request.epoch !== undefined && request.epoch !== fixture.epoch) || request.after > fixture.head) {
      return { kind: 'reset' };
    }
    return {
      kind: 'page',
      page: fixture.signedPage(request.after, request.limit),
      deviceTime: hooks.deviceTime?.() ?? fixture.cloudTime,
    };
  };
}
