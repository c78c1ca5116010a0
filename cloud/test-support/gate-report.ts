/**
 * Gate health reports for cloud tests: a valid report as a gate would build it, and sending one with a
 * device's access token through the real route.
 */
import { type GateReport, SYNC_PROTOCOL_VERSION } from '../../shared/sync-protocol';
import type { TestCloud } from './cloud';
import type { TestDevice } from './devices';

/** A valid report with plausible figures; `overrides` replaces top-level fields. */
export function gateReport(cloud: TestCloud, overrides: Partial<GateReport> = {}): GateReport {
  const now = cloud.now();
  return {
    protocol: SYNC_PROTOCOL_VERSION,
    agentVersion: '0.1.0-test',
    deviceTime: now - 1_500,
    startedAt: now - 3_600_000,
    clockOffsetMs: 1_500,
    online: true,
    offlineSeconds: 0,
    pendingUploads: 3,
    lastScanSeq: 42,
    lastUploadAt: now - 20_000,
    lastScanAt: now - 5_000,
    decisions: { accepted: 39, rejected: 3 },
    rejectsByReason: { ALREADY_USED: 2, INVALID: 1 },
    syncFailures: { pull: 0, upload: 1 },
    events: [],
    ...overrides,
  };
}

/** POST /api/v1/sync/report as the device. */
export function sendGateReport(cloud: TestCloud, device: TestDevice, body: unknown) {
  return cloud.call('POST', '/api/v1/sync/report', {
    body,
    headers: { authorization: `Bearer ${device.accessToken}` },
  });
}
