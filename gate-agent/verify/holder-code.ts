/**
 * The holder-bound rotating code at the gate (issue 20, CONTRACT §5.6): a scanned text that is a
 * version-2 code is authenticated offline with the holder's *public* key from the manifest row's sealed
 * box, then decided by exactly the rules a static code meets (shared/admission decideAdmission). The gate
 * holds nothing that can make such a code: the private key never leaves the holder's phone.
 *
 * Per scan: the served event whose tag the code carries (a map built once per key change) → the ticket's
 * row by serial (the same indexed lookup as a static code) → its binding, the row's `holderKey` box opened
 * with the event key (cached per event, serial, generation and box: a rebinding or a transfer changes the
 * box, so a cached binding never outlives its row) → shared/admission authenticateHolderCode at the
 * gate's corrected clock, in the window the clock's trust allows → the rules, the durable record.
 */
import {
  authenticateHolderCode,
  type ClockState,
  DEFAULT_HOLDER_CODE_MAX_SKEW_SECONDS,
  type HolderSignatureCheck,
  holderCodeWindow,
} from '../../shared/admission/holder-code';
import { type AdmissionDecision, decideAdmission } from '../../shared/admission/index';
import { normaliseScannedText } from '../../shared/admission/scanned-text';
import {
  HOLDER_CODE_STEP_SECONDS,
  type HolderKeyBinding,
  type HolderKeyContext,
  holderEventTag,
  looksLikeHolderCode,
  openHolderKey,
  parseHolderCode,
  verifyHolderSignature,
} from '../../shared/crypto/index';
import type { DeviceSettings } from '../store/device-settings';
import type { GateStore } from '../store/gate-store';
import { type GateDecision, type ManifestLookup, type ScanSituation, zoneContextOf } from './gate-decision';

/** How far the gate trusts its clock for rotating codes, and the window that follows (status `clock`). */
export interface HolderClock {
  /** cloud − device, ms; null when never measured. */
  offsetMs: number | null;
  state: ClockState;
  /** Steps either side of the current one a code may be from. */
  steps: number;
  /** The same window in seconds (steps × 15). */
  windowSeconds: number;
}

/** The clock trust from the stored settings: the offset (if ever measured) and the operator's bound. */
export function holderClockOf(
  settings: Pick<DeviceSettings, 'clockOffsetMs' | 'clockMeasuredAt' | 'holderCodeMaxSkewSeconds'>,
): HolderClock {
  const offsetMs = settings.clockMeasuredAt === null ? null : settings.clockOffsetMs;
  const maxSkew = settings.holderCodeMaxSkewSeconds ?? DEFAULT_HOLDER_CODE_MAX_SKEW_SECONDS;
  const { state, steps } = holderCodeWindow(offsetMs, maxSkew);
  return { offsetMs, state, steps, windowSeconds: steps * HOLDER_CODE_STEP_SECONDS };
}

/** The status's `clock` (GET /api/status): the offset, the trust state and the window in seconds. */
export function clockStatusOf(settings: Parameters<typeof holderClockOf>[0]): {
  offsetMs: number | null;
  state: ClockState;
  holderCodeWindowSeconds: number;
} {
  const { offsetMs, state, windowSeconds } = holderClockOf(settings);
  return { offsetMs, state, holderCodeWindowSeconds: windowSeconds };
}

/** What deciding a rotating code needs beside the manifest: keys, opened bindings, the clock's trust. */
export interface HolderCodeVerifier {
  /** The event this gate holds keys for whose tag is `tag`; undefined when none. */
  eventOfTag(tag: number): string | undefined;
  /** The binding sealed in a row's box for that ticket; undefined when it does not open. */
  bindingOf(context: HolderKeyContext, box: string): HolderKeyBinding | undefined;
  /** The offset that corrects the device clock (0 when never measured) and the window now. */
  clock(): { correctionMs: number; steps: number };
  /** The signature check (shared/crypto's; replaceable in tests). */
  verify: HolderSignatureCheck;
}

/** The store reads the verifier needs. */
export type HolderKeyStore = Pick<GateStore, 'keysVersion' | 'eventKeys' | 'settings'>;

/** Opened bindings kept at most: a big evening's claimed tickets; beyond it the oldest are opened again. */
const BINDING_CACHE_LIMIT = 50_000;

/**
 * The verifier over the store's keys: event keys and tags are read once per key change (unwrapping them
 * is far too slow per scan), opened bindings are kept until the keys change.
 */
export function createHolderCodeVerifier(
  store: HolderKeyStore,
  verify: HolderSignatureCheck = verifyHolderSignature,
): HolderCodeVerifier {
  let builtFor = -1;
  let keys = new Map<string, Map<number, Uint8Array>>();
  let tags = new Map<number, string>();
  const bindings = new Map<string, HolderKeyBinding | null>();

  function current(): void {
    if (builtFor === store.keysVersion) return;
    builtFor = store.keysVersion;
    keys = new Map();
    tags = new Map();
    bindings.clear();
    for (const { eventId, keyVersion, key } of store.eventKeys()) {
      const id = eventId.toLowerCase();
      if (!keys.has(id)) keys.set(id, new Map());
      keys.get(id)!.set(keyVersion, key);
      // Two served events sharing a 32-bit tag is a 1-in-4-billion chance; the first one listed wins.
      const tag = holderEventTag(id);
      if (!tags.has(tag)) tags.set(tag, id);
    }
  }

  return {
    eventOfTag(tag) {
      current();
      return tags.get(tag);
    },
    bindingOf(context, box) {
      current();
      const id = `${context.eventId}|${context.serial}|${context.generation}|${box}`;
      const cached = bindings.get(id);
      if (cached !== undefined) return cached ?? undefined;
      const eventKeys = keys.get(context.eventId);
      const binding = eventKeys ? openHolderKey((v) => eventKeys.get(v), context, box) : undefined;
      if (bindings.size >= BINDING_CACHE_LIMIT) bindings.delete(bindings.keys().next().value as string);
      bindings.set(id, binding ?? null);
      return binding;
    },
    clock() {
      const { steps } = holderClockOf(store.settings);
      return { correctionMs: store.settings.clockOffsetMs, steps };
    },
    verify,
  };
}

function rejected(decision: AdmissionDecision): GateDecision {
  return { decision, eventId: null, manifestSeq: 0 };
}

/**
 * Decides a scanned text when it is a rotating code; undefined when it is not one (the static token's path
 * decides it). Pure but for the store's reads and the verifier's caches; never throws.
 */
export function decideHolderCode(
  code: unknown,
  verifier: HolderCodeVerifier,
  manifest: ManifestLookup,
  situation: ScanSituation,
): GateDecision | undefined {
  if (typeof code !== 'string') return undefined;
  const text = normaliseScannedText(code);
  if (!looksLikeHolderCode(text)) return undefined;
  const parsed = parseHolderCode(text);
  if (!parsed.ok) return rejected({ decision: 'reject', reason: 'INVALID', detail: parsed.detail });
  const { serial } = parsed.fields;
  const tagged = verifier.eventOfTag(parsed.fields.eventTag);
  const context = tagged ? manifest.eventContext(tagged) : undefined;
  const eventId = context ? tagged : undefined;
  const ticket = context ? manifest.findTicket(context, serial) : undefined;
  const binding =
    eventId && ticket?.holderKey
      ? verifier.bindingOf({ eventId, serial, generation: ticket.generation }, ticket.holderKey)
      : undefined;
  const clock = verifier.clock();
  const now = situation.now + clock.correctionMs;
  const check = authenticateHolderCode(
    parsed,
    { eventId, ticket, binding },
    now,
    clock.steps,
    verifier.verify,
  );
  const about = context
    ? { eventName: context.name, gateNames: context.gateNames, manifestSeq: context.manifestSeq }
    : { manifestSeq: 0 };
  if (!check.ok) {
    // Only a code whose signature verified (CODE_EXPIRED comes after it) proves its event.
    const proven = check.decision.reason === 'CODE_EXPIRED' && eventId ? eventId : null;
    return { decision: check.decision, eventId: proven, ...about };
  }
  if (!context || !eventId || !ticket) return rejected({ decision: 'reject', reason: 'INVALID' });
  const held = manifest.admissionOf(eventId, serial, context.defaultZone);
  const zones =
    context.zones.length > 0
      ? zoneContextOf(context, held, situation, (zone) => manifest.zoneInside(eventId, zone))
      : undefined;
  const decision = decideAdmission({
    token: check.token,
    event: context.event,
    ticketType: context.ticketTypes.get(ticket.typeNo),
    ticket,
    lastAdmission: held.last,
    ...situation,
    ...(zones ? { zones } : {}),
  });
  return {
    decision,
    eventId,
    ...about,
    ...(zones && decision.decision === 'accept' && decision.move ? { move: decision.move } : {}),
  };
}
