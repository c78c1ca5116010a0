/**
 * What a gate device sends up (SPEC section 6, push): its scan log in batches, answered with the
 * acknowledged sequence, and its health report after a sync cycle.
 */
import { createRoute } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { GateReport, GateReportAck, MAX_REPORT_BYTES, ScanAck, ScanBatch } from '../../shared/sync-protocol';
import { AppError } from '../errors';
import { okResponses } from '../http/answers';
import { createRouter, deviceAccess, jsonBody, type SyncRouteDeps } from '../http/openapi';
import { recordGateReport } from '../services/gate-health';
import { ingestScans } from '../services/scan-ingest';

/** A report is a few KiB: anything far larger is refused before it is parsed. */
const reportBodyLimit = bodyLimit({
  maxSize: MAX_REPORT_BYTES,
  onError: () => {
    throw new AppError('PAYLOAD_TOO_LARGE', `a gate report is at most ${MAX_REPORT_BYTES} bytes`);
  },
});

/** Routes under /api/v1 for scan uploads and gate reports. */
export function uploadRoutes(deps: SyncRouteDeps) {
  const { services, requireDevice } = deps;
  return createRouter()
    .openapi(
      createRoute({
        method: 'post',
        path: '/sync/scans',
        summary: 'Upload a batch of scans; stored once each, answered with the acknowledged sequence',
        ...deviceAccess(requireDevice),
        request: {
          body: jsonBody(ScanBatch, {
            scans: [
              {
                id: '0196f3a2-7c1e-7b3a-9f2d-8192031425a6',
                seq: 1,
                gateId: '0196f3a2-7c1e-7b3a-9f2d-4d5e6f708192',
                eventId: '0196f3a2-7c1e-7b3a-9f2d-5e6f70819203',
                ticketSerial: 17,
                generation: 0,
                direction: 'in',
                decision: 'accept',
                reason: 'OK',
                detail: null,
                codeHash: 'n4bQgYhMfWWaL-qgxVrQFa',
                scannedAt: 1811530800000,
                clockOffsetMs: 120,
                manifestSeq: 42,
                admissionSeq: 1,
              },
            ],
          }),
        },
        responses: okResponses(ScanAck, 'What the cloud now holds'),
      }),
      async (c) => {
        const ack = await ingestScans(services, c.get('device'), c.req.valid('json'));
        return c.json(ack, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post',
        path: '/sync/report',
        summary: 'The gate’s key figures after a sync cycle (manifest age, backlog, offline time, decisions)',
        description:
          'Stored as the device’s latest report and shown on the event operations page and in /metrics. A report that does not match the schema exactly is refused whole (400); the gate logs it and syncs on.',
        ...deviceAccess(requireDevice, reportBodyLimit),
        request: {
          body: jsonBody(GateReport, {
            protocol: 1,
            agentVersion: '1.4.0',
            deviceTime: 1811530800000,
            startedAt: 1811523600000,
            clockOffsetMs: 120,
            online: true,
            offlineSeconds: 0,
            pendingUploads: 0,
            lastScanSeq: 312,
            lastUploadAt: 1811530795000,
            lastScanAt: 1811530790000,
            decisions: { accepted: 298, rejected: 14 },
            rejectsByReason: { ALREADY_USED: 9, WRONG_GATE: 5 },
            syncFailures: { pull: 0, upload: 1 },
            events: [
              {
                eventId: '0196f3a2-7c1e-7b3a-9f2d-5e6f70819203',
                manifestSeq: 42,
                tickets: 5000,
                manifestAgeSeconds: 12,
              },
            ],
          }),
        },
        responses: okResponses(GateReportAck, 'Stored', 413),
      }),
      async (c) => {
        const ack = await recordGateReport(services, c.get('device'), c.req.valid('json'));
        return c.json(ack, 200);
      },
    );
}
