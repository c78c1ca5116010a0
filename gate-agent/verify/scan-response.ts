/**
 * The answer to one scan as the gate's local API returns it (SPEC section 7, `POST /api/scan`), made from
 * a decision once the scan is durably recorded — or, when the disk refused the record, the reject the
 * steward sees instead (no record, no accept).
 */
import type { AdmissionReason } from '../../shared/admission/index';
import type { GateDecision } from './scan-decision';

/** The answer to one scan, as the local API returns it. Times are unix ms. */
export interface ScanResponse {
  decision: 'accept' | 'reject';
  reason: AdmissionReason;
  detail?: string;
  ticket?: {
    eventId: string;
    eventName?: string;
    serial: number;
    typeNo: number;
    typeName?: string;
    generation: number;
  };
  /** ALREADY_USED: when and at which gate the ticket went in. */
  alreadyUsed?: { at: number; gateId: string; gateName: string | null };
  /** WRONG_GATE: the gates the ticket may use, named when the manifest listed the venue's gates. */
  allowedGates?: ReadonlyArray<{ id: string; name: string | null }>;
  /**
   * The ticket holder's name, opened from the manifest's name box with the scanned code (issue 17);
   * null when the ticket has none. Present only with `ticket`. Never logged or recorded.
   */
  holderName?: string | null;
  /**
   * The zone the scan moves the holder into, with its count before the move as this gate knows it
   * (issue 18): on ZONE_FULL, ZONE_NOT_ALLOWED, a no-re-entry ALREADY_USED and accepts into a named zone.
   */
  zone?: { id: string; name: string; capacity: number | null; inside: number };
  /** Device clock at the decision, unix ms. */
  scannedAt: number;
  /** Time from receiving the code to the durable record, ms. */
  latencyMs: number;
  /** The scan's sequence number in the durable log (absent only when recording failed). */
  seq?: number;
}

/** Milliseconds from `started` to `until` (performance.now() readings), to the microsecond. */
export function latencyMs(started: number, until = performance.now()): number {
  return Math.round((until - started) * 1000) / 1000;
}

/** The answer for a recorded decision; `started` is when the code arrived (performance.now()). */
export function toScanResponse(
  decided: Pick<GateDecision, 'decision' | 'eventId' | 'eventName' | 'gateNames'>,
  scannedAt: number,
  started: number,
  seq: number | undefined,
): ScanResponse {
  const { decision, eventId, eventName } = decided;
  const response: ScanResponse = {
    decision: decision.decision,
    reason: decision.reason,
    scannedAt,
    latencyMs: latencyMs(started),
  };
  if (decision.detail) response.detail = decision.detail;
  if (decision.ticket && eventId) {
    response.ticket = { eventId, ...(eventName ? { eventName } : {}), ...decision.ticket };
  }
  if (decision.alreadyUsed) {
    response.alreadyUsed = {
      at: decision.alreadyUsed.at,
      gateId: decision.alreadyUsed.gateId,
      gateName: decision.alreadyUsed.gateName ?? null,
    };
  }
  if (decision.allowedGateIds) {
    response.allowedGates = decision.allowedGateIds.map((id) => ({
      id,
      name: decided.gateNames?.get(id.toLowerCase()) ?? null,
    }));
  }
  if (decision.zone) response.zone = { ...decision.zone };
  if (seq !== undefined) response.seq = seq;
  return response;
}

/** The answer when the scan could not be recorded: a reject, whatever the decision was. */
export function notRecordedResponse(scannedAt: number, started: number): ScanResponse {
  return toScanResponse(
    { decision: { decision: 'reject', reason: 'INVALID', detail: 'not-recorded' }, eventId: null },
    scannedAt,
    started,
    undefined,
  );
}
