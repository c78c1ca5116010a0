/**
 * The decision pipeline for one scan — decode, decrypt, look up, authenticate, decide, record — with
 * its store and clock as parameters, so it runs the same in Electron, headless and in tests. It never
 * touches the network and never throws: every input gets a decision.
 *
 * Authentication takes the cheap path when it can: a ticket the manifest knows is authenticated by
 * comparing the token's digest with the manifest's (shared/crypto README, "manifest binding"); the
 * Ed25519 signature is checked only for tickets the manifest does not know (issued after the last sync →
 * OK_UNSYNCED), other generations, digest mismatches (forgeries) and tokens of events this gate has no key
 * for (to tell a genuine WRONG_EVENT from garbage).
 */
import { hash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import {
  type AdmissionDecision,
  type AdmissionReason,
  type CheckedToken,
  decideAdmission,
  type ScanDirection,
} from '../../shared/admission/index';
import { decodeTicketToken, TicketVerifier, type TokenRejection } from '../../shared/crypto/index';
import type { GateStore } from '../store/gate-store';

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
  /** WRONG_GATE: the gate ids this ticket may use instead. */
  allowedGates?: readonly string[];
  /** Device clock at the decision, unix ms. */
  scannedAt: number;
  /** Time from receiving the code to the durable record, ms. */
  latencyMs: number;
  /** The scan's sequence number in the durable log (absent only when recording failed). */
  seq?: number;
}

export interface ScanPipelineOptions {
  store: GateStore;
  /** Device wall clock, unix ms. */
  clock: () => number;
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
}

/** Upper bound on the text hashed into the log: anything longer is not a ticket anyway. */
const MAX_HASHED_LENGTH = 4096;
const WEDGE_NOISE = /^[\r\n\t\0]+|[\r\n\t\0]+$/g;

/**
 * What a keyboard wedge typed, made decodable: control characters a scanner adds (CR, LF, TAB) are
 * stripped — not spaces, which are base45 digits — and, since base45 has no lower case at all, text with
 * lower-case letters can only come from a caps-lock keyboard and is upper-cased.
 */
export function normaliseScannedText(raw: string): string {
  const text = raw.replace(WEDGE_NOISE, '');
  return /[a-z]/.test(text) ? text.toUpperCase() : text;
}

/** base64url(SHA-256(raw)[0..16]): identifies a scanned text in the log without storing it. */
export function codeHashOf(raw: string): string {
  return hash('sha256', raw.slice(0, MAX_HASHED_LENGTH), 'buffer').subarray(0, 16).toString('base64url');
}

/** Builds the pipeline; it keeps one TicketVerifier and rebuilds it only when the store's keys change. */
export function createScanPipeline(options: ScanPipelineOptions): ScanPipeline {
  const { store, clock } = options;
  let verifier: TicketVerifier | undefined;
  let verifierKeysVersion = -1;

  function currentVerifier(): TicketVerifier {
    if (!verifier || verifierKeysVersion !== store.keysVersion) {
      verifierKeysVersion = store.keysVersion;
      try {
        verifier = new TicketVerifier({
          signingKeys: store.trustedSigningKeys(),
          eventKeys: store.eventKeys(),
        });
      } catch (error) {
        // A key the cloud sent that Node cannot load: verify nothing rather than crash every scan.
        options.onError?.(error);
        verifier = new TicketVerifier({ signingKeys: [], eventKeys: [] });
      }
    }
    return verifier;
  }

  function signatureRejection(v: TicketVerifier, keyId: number): TokenRejection {
    return v.hasSigningKey(keyId)
      ? { ok: false, reason: 'INVALID', detail: 'signature' }
      : { ok: false, reason: 'UNKNOWN_KEY', detail: 'signing-key' };
  }

  function decide(
    text: string,
    direction: ScanDirection,
    now: number,
    gate: { id: string; name: string },
  ): { decision: AdmissionDecision; eventId: string | null; eventName?: string; manifestSeq: number } {
    const v = currentVerifier();
    const opened = v.open(text);
    if (!opened.ok) {
      let token: CheckedToken = opened;
      if (opened.reason === 'WRONG_EVENT') {
        // No key for this event: only a valid signature makes it a genuine ticket of another event.
        const decoded = decodeTicketToken(text);
        if (!('ok' in decoded) && !v.verifySignature(decoded)) token = signatureRejection(v, decoded.keyId);
        else if ('ok' in decoded) token = decoded;
      }
      return {
        decision: decideAdmission({
          token,
          event: undefined,
          ticketType: undefined,
          ticket: undefined,
          lastAdmission: undefined,
          gate,
          direction,
          now,
        }),
        eventId: null,
        manifestSeq: 0,
      };
    }
    const { claims, decoded, digest } = opened;
    const context = store.eventContext(claims.eventId);
    const ticket = context ? store.findTicket(context, claims.ticketSerial) : undefined;
    let token: CheckedToken;
    if (ticket && ticket.digest !== '' && ticket.digest === digest) {
      token = { ok: true, claims, authenticatedBy: 'manifest-digest' };
    } else if (v.verifySignature(decoded)) {
      // The digest goes along: a signed code whose digest differs from the manifest's for the same
      // generation is not the code this ticket's holder was given (shared/admission, 'not-issued').
      token = { ok: true, claims, authenticatedBy: 'signature', digest };
    } else {
      token = signatureRejection(v, decoded.keyId);
    }
    const decision = decideAdmission({
      token,
      event: context?.event,
      ticketType: context?.ticketTypes.get(claims.ticketTypeNo),
      ticket,
      lastAdmission: token.ok ? store.lastAdmission(claims.eventId, claims.ticketSerial) : undefined,
      gate,
      direction,
      now,
    });
    return {
      decision,
      // A token that failed authentication names an event only by its own unproven word: keep it out.
      eventId: token.ok ? claims.eventId : null,
      ...(context ? { eventName: context.name } : {}),
      manifestSeq: context?.manifestSeq ?? 0,
    };
  }

  function respond(
    decision: AdmissionDecision,
    eventId: string | null,
    eventName: string | undefined,
    scannedAt: number,
    started: number,
    seq: number | undefined,
  ): ScanResponse {
    const response: ScanResponse = {
      decision: decision.decision,
      reason: decision.reason,
      scannedAt,
      latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
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
    if (decision.allowedGateIds) response.allowedGates = [...decision.allowedGateIds];
    if (seq !== undefined) response.seq = seq;
    return response;
  }

  /** Decides and records one scan (its own transaction, or a savepoint inside scanMany's). */
  function decideAndRecord(code: unknown, requestedDirection: unknown, started: number): ScanResponse {
    let scannedAt = Date.now();
    try {
      scannedAt = clock();
      const direction: ScanDirection = requestedDirection === 'out' ? 'out' : 'in';
      const raw = typeof code === 'string' ? code : '';
      const gate = { id: store.settings.gateId ?? '', name: store.settings.gateName ?? '' };
      const result =
        typeof code === 'string'
          ? decide(normaliseScannedText(raw), direction, scannedAt, gate)
          : {
              decision: {
                decision: 'reject',
                reason: 'INVALID',
                detail: 'not-a-string',
              } as AdmissionDecision,
              eventId: null,
              manifestSeq: 0,
            };
      const { decision, eventId } = result;
      const accepted = decision.decision === 'accept' && eventId !== null && decision.ticket !== undefined;
      const seq = store.recordScan({
        id: uuidv7(),
        gateId: store.settings.gateId,
        eventId,
        serial: decision.ticket && eventId ? decision.ticket.serial : null,
        generation: decision.ticket && eventId ? decision.ticket.generation : null,
        direction,
        decision: accepted ? 'accept' : 'reject',
        reason: decision.reason,
        detail: decision.detail?.slice(0, 64) ?? null,
        codeHash: codeHashOf(raw),
        scannedAt,
        manifestSeq: result.manifestSeq,
        ...(accepted && eventId && decision.ticket
          ? { admission: { eventId, serial: decision.ticket.serial, gateName: gate.name || null } }
          : {}),
      });
      return respond(decision, eventId, result.eventName, scannedAt, started, seq);
    } catch (error) {
      // Only the disk can get here (the decision itself is total). Without a durable record there is
      // no accept: the steward sees a reject and scans again.
      options.onError?.(error);
      return notRecorded(scannedAt, started);
    }
  }

  function notRecorded(scannedAt: number, started: number): ScanResponse {
    return respond(
      { decision: 'reject', reason: 'INVALID', detail: 'not-recorded' },
      null,
      undefined,
      scannedAt,
      started,
      undefined,
    );
  }

  function observe(response: ScanResponse): void {
    try {
      options.onDecision?.(response);
    } catch {
      // metrics must never change a decision
    }
  }

  return {
    scan(code: unknown, requestedDirection?: unknown): ScanResponse {
      const response = decideAndRecord(code, requestedDirection, performance.now());
      observe(response);
      return response;
    },

    scanMany(items: readonly ScanRequestItem[]): ScanResponse[] {
      const batchStarted = performance.now();
      let responses: ScanResponse[];
      try {
        // One outer transaction, one fsync for the batch: each scan is a savepoint inside it and sees
        // the admissions written by the scans before it (two scans of one ticket: the second is
        // ALREADY_USED). Nothing is answered before COMMIT returns.
        responses = store.inTransaction(() =>
          items.map((item) => decideAndRecord(item.code, item.direction, item.receivedAt ?? batchStarted)),
        );
      } catch (error) {
        options.onError?.(error);
        try {
          store.reloadCounters();
        } catch {
          // the store is gone; the counters no longer matter
        }
        responses = items.map((item) => notRecorded(Date.now(), item.receivedAt ?? batchStarted));
      }
      // Latency runs to the commit that made the answer durable.
      const committed = performance.now();
      for (let i = 0; i < responses.length; i++) {
        const response = responses[i]!;
        response.latencyMs = Math.round((committed - (items[i]!.receivedAt ?? batchStarted)) * 1000) / 1000;
        observe(response);
      }
      return responses;
    },
  };
}
