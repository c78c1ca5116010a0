/**
 * The decision pipeline for one scan — decide (./scan-decision.ts: open, look up, authenticate, decide),
 * record durably, answer — with its store and clock as parameters, so it runs the same in Electron,
 * headless and in tests. It never touches the network and never throws: every input gets an answer, and
 * an accept only once the scan is on disk.
 */
import { hash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { ScanDirection } from '../../shared/admission/index';
import type { GateStore } from '../store/gate-store';
import { createHolderCodeVerifier } from './holder-code';
import { attachHolderName } from './holder-name';
import { decideScan, type GateDecision } from './scan-decision';
import { createScanKeys } from './scan-keys';
import { latencyMs, notRecordedResponse, type ScanResponse, toScanResponse } from './scan-response';

export type { ScanResponse } from './scan-response';

export interface ScanPipelineOptions {
  store: GateStore;
  /** Device wall clock, unix ms. */
  clock: () => number;
  /**
   * Whether an admission decided now for `eventId` is confirmed: the gate is in contact with the cloud
   * or with every peer of the event (issue 14). An unconfirmed admission is marked in the scan log, its
   * upload and the reconciliation report. Read on the decision path: must be a cheap in-memory check.
   * Default: confirmed (a pipeline without replication, in tests).
   */
  isConfirmed?: (eventId: string) => boolean;
  /** Called after every decision (metrics); must not throw, but is guarded anyway. */
  onDecision?: (response: ScanResponse) => void;
  /** Called when something unexpected failed (logging). */
  onError?: (error: unknown) => void;
}

/** One scan of a batch; `receivedAt` (performance.now()) is when the code arrived, for latency. */
export interface ScanRequestItem {
  code: unknown;
  direction?: unknown;
  receivedAt?: number;
}

export interface ScanPipeline {
  /** Decides and durably records one scan in its own FULL-synchronous transaction. Never throws. */
  scan(code: unknown, direction?: unknown): ScanResponse;
  /**
   * Decides and records several scans, in order, in ONE transaction (group commit: one fsync for all).
   * Every answer is returned only after that commit. Never throws.
   */
  scanMany(items: readonly ScanRequestItem[]): ScanResponse[];
  /**
   * What a scan of `code` would be answered now, deciding exactly as `scan` does but recording nothing
   * (no `seq` in the answer). For a page that shows what a ticket will get at this door (the demo's).
   */
  preview(code: unknown, direction?: unknown): ScanResponse;
}

/** A recorded scan's answer and its holder-name box, not yet opened. */
interface Decided {
  response: ScanResponse;
  nameBox: GateDecision['nameBox'];
}

/** Upper bound on the text hashed into the log: anything longer is not a ticket anyway. */
const MAX_HASHED_LENGTH = 4096;

/** base64url(SHA-256(raw)[0..16]): identifies a scanned text in the log without storing it. */
export function codeHashOf(raw: string): string {
  return hash('sha256', raw.slice(0, MAX_HASHED_LENGTH), 'buffer').subarray(0, 16).toString('base64url');
}

/**
 * Durably records a decided scan (and, on accept, the ticket's admission) in the store's log; returns its
 * sequence number. Throws only when the disk refuses the write.
 */
function recordDecision(
  store: GateStore,
  decided: GateDecision,
  scan: { code: unknown; direction: ScanDirection; scannedAt: number; gateName: string },
  isConfirmed: (eventId: string) => boolean,
): number {
  const { decision, eventId } = decided;
  const ticket = eventId !== null ? decision.ticket : undefined;
  const accepted = decision.decision === 'accept' && eventId !== null && ticket !== undefined;
  return store.recordScan({
    id: uuidv7(),
    gateId: store.settings.gateId,
    eventId,
    serial: ticket ? ticket.serial : null,
    generation: ticket ? ticket.generation : null,
    direction: scan.direction,
    decision: accepted ? 'accept' : 'reject',
    reason: decision.reason,
    detail: decision.detail?.slice(0, 64) ?? null,
    codeHash: codeHashOf(typeof scan.code === 'string' ? scan.code : ''),
    scannedAt: scan.scannedAt,
    manifestSeq: decided.manifestSeq,
    ...(accepted
      ? {
          admission: {
            eventId,
            serial: ticket.serial,
            origin: store.settings.deviceId ?? 'unenrolled',
            gateName: scan.gateName || null,
            unconfirmed: !isConfirmed(eventId),
            // At a venue with zones only: the move the record makes (issue 18).
            ...(decided.move ? { move: decided.move } : {}),
          },
        }
      : {}),
  });
}

/** Builds the pipeline; it keeps one TicketVerifier and rebuilds it only when the store's keys change. */
export function createScanPipeline(options: ScanPipelineOptions): ScanPipeline {
  const { store, clock } = options;
  const isConfirmed = options.isConfirmed ?? (() => true);
  const currentKeys = createScanKeys(store, options.onError);
  // Rotating codes (issue 20): event keys, tags and opened bindings, cached over key changes.
  const holder = createHolderCodeVerifier(store);

  /** Where and how a scan is decided: this gate, the requested direction (anything but 'out' is in). */
  function situationOf(requestedDirection: unknown) {
    const direction: ScanDirection = requestedDirection === 'out' ? 'out' : 'in';
    return { direction, gate: { id: store.settings.gateId ?? '', name: store.settings.gateName ?? '' } };
  }

  /**
   * Decides and records one scan (its own transaction, or a savepoint inside scanMany's). The name box
   * comes back unopened: the caller opens it once the record is committed.
   */
  function decideAndRecord(code: unknown, requestedDirection: unknown, started: number): Decided {
    let scannedAt = Date.now();
    try {
      scannedAt = clock();
      const { direction, gate } = situationOf(requestedDirection);
      const decided = decideScan(code, currentKeys(), store, { gate, direction, now: scannedAt }, holder);
      const seq = recordDecision(
        store,
        decided,
        { code, direction, scannedAt, gateName: gate.name },
        isConfirmed,
      );
      return { response: toScanResponse(decided, scannedAt, started, seq), nameBox: decided.nameBox };
    } catch (error) {
      // Only the disk can get here (the decision itself is total). Without a durable record there is
      // no accept: the steward sees a reject and scans again.
      options.onError?.(error);
      return { response: notRecordedResponse(scannedAt, started), nameBox: undefined };
    }
  }

  function observe(response: ScanResponse): void {
    try {
      options.onDecision?.(response);
    } catch {
      // metrics must never change a decision
    }
  }

  return {
    preview(code: unknown, requestedDirection?: unknown): ScanResponse {
      const started = performance.now();
      const now = clock();
      const situation = { ...situationOf(requestedDirection), now };
      const decided = decideScan(code, currentKeys(), store, situation, holder);
      return attachHolderName(toScanResponse(decided, now, started, undefined), decided.nameBox);
    },

    scan(code: unknown, requestedDirection?: unknown): ScanResponse {
      const { response, nameBox } = decideAndRecord(code, requestedDirection, performance.now());
      attachHolderName(response, nameBox);
      observe(response);
      return response;
    },

    scanMany(items: readonly ScanRequestItem[]): ScanResponse[] {
      const batchStarted = performance.now();
      let decided: Decided[];
      try {
        // One outer transaction, one fsync for the batch: each scan is a savepoint inside it and sees
        // the admissions written by the scans before it (two scans of one ticket: the second is
        // ALREADY_USED). Nothing is answered before COMMIT returns.
        decided = store.inTransaction(() =>
          items.map((item) => decideAndRecord(item.code, item.direction, item.receivedAt ?? batchStarted)),
        );
      } catch (error) {
        options.onError?.(error);
        try {
          store.reloadCounters();
        } catch {
          // the store is gone; the counters no longer matter
        }
        decided = items.map((item) => ({
          response: notRecordedResponse(Date.now(), item.receivedAt ?? batchStarted),
          nameBox: undefined,
        }));
      }
      // Latency runs to the commit that made the answer durable; names are opened after it.
      const committed = performance.now();
      return decided.map(({ response, nameBox }, i) => {
        response.latencyMs = latencyMs(items[i]!.receivedAt ?? batchStarted, committed);
        attachHolderName(response, nameBox);
        observe(response);
        return response;
      });
    },
  };
}
