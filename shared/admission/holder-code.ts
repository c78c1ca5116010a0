/**
 * The token half of the decision for a holder-bound rotating code (issue 20), written once for the gate
 * (offline, the binding opened from its manifest row) and the cloud's `/validate` (the binding from the
 * ticket's row), so both refuse a copied, forged or stale code with the same reason and detail. Pure: the
 * caller parses the scanned text (shared/crypto parseHolderCode), finds the served event by the code's
 * tag, the ticket by its serial and the binding, and passes its corrected time and window in.
 *
 * Checks, in order (the first that fails is the answer):
 *   event served (else WRONG_EVENT `unverified`: it cannot be checked without the event's bindings) →
 *   the ticket at this generation (older → REVOKED `superseded`; revoked → REVOKED; unknown, newer or
 *   without a binding → INVALID `holder-key-unknown`) → the binding (an older bindingNo → INVALID
 *   `holder-key-replaced`; a newer one → `holder-key-unknown`, the side has not heard of it yet) → the
 *   signature (INVALID `signature`) → the time step: within ± `windowSteps` of the current one, else
 *   CODE_EXPIRED (`stale`, or `ahead` for a code from the future).
 * An accepted code becomes a CheckedToken (`authenticatedBy: 'holder-key'`) with the ticket's claims —
 * its window from the binding — for decideAdmission, exactly as a static code's would.
 */
import {
  HOLDER_CODE_STEP_SECONDS,
  type HolderKeyBinding,
  holderCodeStep,
  type ParsedHolderCode,
  signingInputOf,
  verifyHolderSignature,
} from '../crypto/index';
import type { CheckedToken } from './authenticate';
import type { AdmissionDecision, KnownTicket } from './index';
import type { AdmissionReason } from './reasons';

/** What the deciding side found for a parsed code. */
export interface HolderCodeLookup {
  /** The served event whose tag the code carries; undefined when none. */
  eventId: string | undefined;
  /** The ticket of the code's serial as this side knows it. */
  ticket: KnownTicket | undefined;
  /** The ticket's current binding (opened from the manifest row's box, or the cloud's columns). */
  binding: HolderKeyBinding | undefined;
}

export type HolderCodeCheck =
  | { ok: true; token: Extract<CheckedToken, { ok: true }> }
  | { ok: false; decision: AdmissionDecision };

/** The check of a signature: shared/crypto's verifyHolderSignature, replaceable in tests and benches. */
export type HolderSignatureCheck = typeof verifyHolderSignature;

/** How the deciding side trusts its clock for rotating codes (CONTRACT §5.6). */
export type ClockState = 'ok' | 'unknown' | 'large';
/** An offset to the cloud's clock at or above this is "large": the gate says so and widens the window. */
export const LARGE_CLOCK_OFFSET_MS = 30_000;
export const DEFAULT_HOLDER_CODE_MAX_SKEW_SECONDS = 120;

/**
 * The window, in steps either side of the current one: 1 when the clock offset is known and small, else
 * widened to the operator's bound (`maxSkewSeconds`, at least one step).
 */
export function holderCodeWindow(
  offsetMs: number | null,
  maxSkewSeconds: number,
): { state: ClockState; steps: number } {
  const state: ClockState =
    offsetMs === null || !Number.isFinite(offsetMs)
      ? 'unknown'
      : Math.abs(offsetMs) >= LARGE_CLOCK_OFFSET_MS
        ? 'large'
        : 'ok';
  if (state === 'ok') return { state, steps: 1 };
  const bound = Number.isFinite(maxSkewSeconds) && maxSkewSeconds > 0 ? maxSkewSeconds : 0;
  return { state, steps: Math.max(1, Math.ceil(bound / HOLDER_CODE_STEP_SECONDS)) };
}

function refuse(
  reason: AdmissionReason,
  detail: string | undefined,
  ticket: AdmissionDecision['ticket'],
): HolderCodeCheck {
  return {
    ok: false,
    decision: { decision: 'reject', reason, ...(detail ? { detail } : {}), ...(ticket ? { ticket } : {}) },
  };
}

/** Authenticates a parsed holder code against what this side knows. Pure and total: never throws. */
export function authenticateHolderCode(
  code: ParsedHolderCode,
  lookup: HolderCodeLookup,
  now: number,
  windowSteps: number,
  verify: HolderSignatureCheck = verifyHolderSignature,
): HolderCodeCheck {
  const { fields } = code;
  const { eventId, ticket, binding } = lookup;
  if (eventId === undefined) return refuse('WRONG_EVENT', 'unverified', undefined);
  const identified = ticket
    ? { serial: fields.serial, typeNo: ticket.typeNo, generation: fields.generation }
    : undefined;
  if (!ticket || ticket.serial !== fields.serial) return refuse('INVALID', 'holder-key-unknown', undefined);
  if (ticket.generation > fields.generation) return refuse('REVOKED', 'superseded', identified);
  if (ticket.status === 'revoked') return refuse('REVOKED', undefined, identified);
  if (ticket.generation < fields.generation || !binding || binding.bindingNo < fields.bindingNo) {
    return refuse('INVALID', 'holder-key-unknown', identified);
  }
  if (binding.bindingNo > fields.bindingNo) return refuse('INVALID', 'holder-key-replaced', identified);
  if (!verify(binding.alg, binding.publicKey, signingInputOf(eventId, code), code.signature)) {
    return refuse('INVALID', 'signature', identified);
  }
  const current = holderCodeStep(now);
  const steps = Math.max(0, Math.floor(windowSteps));
  if (fields.step < current - steps) return refuse('CODE_EXPIRED', 'stale', identified);
  if (fields.step > current + steps) return refuse('CODE_EXPIRED', 'ahead', identified);
  return {
    ok: true,
    token: {
      ok: true,
      authenticatedBy: 'holder-key',
      claims: {
        eventId,
        ticketSerial: fields.serial,
        ticketTypeNo: ticket.typeNo,
        generation: fields.generation,
        ...(binding.validFrom !== undefined ? { validFrom: binding.validFrom } : {}),
        ...(binding.validUntil !== undefined ? { validUntil: binding.validUntil } : {}),
      },
    },
  };
}
