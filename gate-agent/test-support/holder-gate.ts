/**
 * A gate's data directory prepared for rotating-code tests (issue 20): enrolled as TEST_DEVICE, the
 * fixture's event pulled from its signed pages (rows with sealed holder keys), and optionally with its
 * clock offset "never measured". An agent started on the folder then scans offline from it.
 */
import { storePath } from '../store/database';
import { openGateStore } from '../store/gate-store';
import { pullEvent } from '../sync/pull';
import type { ManifestFixture } from './manifest-fixture';
import { fixtureTransport } from './stores';
import { giveDeviceIdentity } from './test-device';

export async function prepareHolderGateDir(
  dataDir: string,
  fixture: ManifestFixture,
  options: { now: number; measured: boolean; gateName?: string },
): Promise<void> {
  const store = openGateStore(storePath(dataDir));
  try {
    giveDeviceIdentity(store);
    if (options.gateName) store.updateSettings({ gateName: options.gateName });
    await pullEvent(fixture.eventId, {
      store,
      fetchPage: fixtureTransport(fixture),
      clock: () => options.now,
    });
    if (!options.measured) store.updateSettings({ clockMeasuredAt: null });
  } finally {
    store.close();
  }
}
