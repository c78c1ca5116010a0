/**
 * From scanned text to a checked token — the token half of the decision, written once for the gate
 * (offline, against its manifest) and the cloud's `/validate` (against PostgreSQL), so both tell a
 * genuine ticket from a forgery in the same way and give the same reason and detail. Pure: the keys come
 * in as a shared/crypto TicketVerifier (or anything with its three checks), the ticket's digest as a
 * value the caller looked up between the two steps.
 *
 * 1. `openToken`: normalise what the scanner typed (./scanned-text.ts), decode and decrypt. A token of an event there is no key for is WRONG_EVENT only when
 *    its signature is valid (a genuine ticket of another event); otherwise it is a forgery or garbage.
 * 2. `authenticateToken`: the cheap path first — a token whose digest equals the one issued for the
 *    ticket is that very code (shared/crypto README, "manifest binding"), so the ~60–250 µs Ed25519
 *    check is skipped on a gate's hot path; every other token needs a valid signature.
 */
import {
  type DecodedToken,
  decodeTicketToken,
  type OpenedToken,
  type TicketClaims,
  type TokenRejection,
} from '../crypto/index';
import { normaliseScannedText } from './scanned-text';

/** The token as the caller checked it: how its authenticity was established, or why it failed. */
export type CheckedToken =
  | {
      ok: true;
      claims: TicketClaims;
      /**
       * `signature`: Ed25519 verified. `manifest-digest`: decrypted and its digest equals the one the
       * manifest holds for this ticket (see shared/crypto/README.md) — only valid with a known ticket.
       * `holder-key`: a rotating code signed by the key bound to the known ticket (./holder-code.ts).
       * `staff`: no code at all — the box office identified the holder and names the ticket (cloud only).
       */
      authenticatedBy: 'signature' | 'manifest-digest' | 'holder-key' | 'staff';
      /** The scanned token's manifest digest, when the decider computed it (see KnownTicket.digest). */
      digest?: string;
    }
  | TokenRejection;

/** The signature checks of a key set (shared/crypto's TicketVerifier has them). */
export interface SignatureKeys {
  /** True when the signature is by a trusted key. */
  verifySignature(decoded: DecodedToken): boolean;
  hasSigningKey(keyId: number): boolean;
}

/** A key set that can also decrypt (shared/crypto's TicketVerifier). */
export interface TokenKeys extends SignatureKeys {
  /** Decodes and decrypts without checking the signature; `WRONG_EVENT` = no key for the event. */
  open(text: string): OpenedToken | TokenRejection;
}

function signatureRejection(keys: SignatureKeys, keyId: number): TokenRejection {
  return keys.hasSigningKey(keyId)
    ? { ok: false, reason: 'INVALID', detail: 'signature' }
    : { ok: false, reason: 'UNKNOWN_KEY', detail: 'signing-key' };
}

/**
 * Step 1: normalises what the scanner typed, then decodes and decrypts it. A rejection is final; an
 * opened token is not yet authentic — look the ticket up, then call `authenticateToken`. Never throws.
 */
export function openToken(scanned: unknown, keys: TokenKeys): OpenedToken | TokenRejection {
  if (typeof scanned !== 'string') return { ok: false, reason: 'INVALID', detail: 'not-a-string' };
  const text = normaliseScannedText(scanned);
  const opened = keys.open(text);
  if (opened.ok || opened.reason !== 'WRONG_EVENT') return opened;
  // No key for this event: only a valid signature makes it a genuine ticket of another event.
  const decoded = decodeTicketToken(text);
  if ('ok' in decoded) return decoded;
  return keys.verifySignature(decoded) ? opened : signatureRejection(keys, decoded.keyId);
}

/**
 * Step 2: authenticates an opened token. `issuedDigest` is the digest of the one code issued for the
 * ticket as this side knows it (manifest row or database row; undefined or '' when unknown or revoked).
 * A signed token carries its digest on, so the decision can tell a validly signed code that was never
 * handed to this ticket's holder (shared/admission, 'not-issued').
 */
export function authenticateToken(
  opened: OpenedToken,
  issuedDigest: string | undefined,
  keys: SignatureKeys,
): CheckedToken {
  const { claims, decoded, digest } = opened;
  if (issuedDigest && issuedDigest === digest)
    return { ok: true, claims, authenticatedBy: 'manifest-digest' };
  if (keys.verifySignature(decoded)) return { ok: true, claims, authenticatedBy: 'signature', digest };
  return signatureRejection(keys, decoded.keyId);
}
