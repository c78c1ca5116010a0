/**
 * The `X-Internal-Auth` header that authenticates the cloud to the minting service (SPEC section 8,
 * INTERNAL_SERVICE_SECRET). This module is the whole scheme, for both sides:
 *
 *     X-Internal-Auth: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." || body bytes)>
 *
 * - `t` is the signer's clock in whole seconds; the verifier rejects a header more than 300 s away from
 *   its own clock, which bounds how long a captured request can be replayed.
 * - The MAC covers the exact bytes of the request body (UTF-8 JSON as sent, not a re-serialisation), so
 *   the verifier must compute it over the raw body before parsing it.
 * - `v1` names the scheme so a second one can be added during a secret or algorithm rotation; the
 *   verifier compares in constant time and ignores unknown fields.
 * Same shape as Stripe's webhook signatures, so the service side can reuse a well-known verifier.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header name (HTTP header names are case-insensitive; Node lower-cases them on the way in). */
export const INTERNAL_AUTH_HEADER = 'X-Internal-Auth';

/** How far the signer's and verifier's clocks may disagree, in seconds. */
export const INTERNAL_AUTH_TOLERANCE_SECONDS = 300;

function mac(secret: string, unixSeconds: number, body: Uint8Array): string {
  return createHmac('sha256', secret).update(`${unixSeconds}.`).update(body).digest('hex');
}

/** The header value for `body` signed at `unixSeconds` (whole seconds). */
export function signInternalRequest(secret: string, body: Uint8Array, unixSeconds: number): string {
  if (!Number.isSafeInteger(unixSeconds) || unixSeconds < 0) {
    throw new RangeError('signInternalRequest: unixSeconds must be a non-negative integer');
  }
  return `t=${unixSeconds},v1=${mac(secret, unixSeconds, body)}`;
}

export type InternalAuthCheck =
  | { ok: true; unixSeconds: number }
  | { ok: false; reason: 'missing' | 'malformed' | 'expired' | 'mismatch' };

/**
 * Checks an `X-Internal-Auth` value against the raw body. For the minting service (and the test
 * server that stands in for it): nothing here trusts the header before the MAC matches.
 */
export function verifyInternalAuth(
  header: string | undefined,
  body: Uint8Array,
  secret: string,
  nowSeconds: number,
  toleranceSeconds = INTERNAL_AUTH_TOLERANCE_SECONDS,
): InternalAuthCheck {
  if (!header) return { ok: false, reason: 'missing' };
  const fields = new Map<string, string[]>();
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at <= 0) return { ok: false, reason: 'malformed' };
    const name = part.slice(0, at).trim();
    fields.set(name, [...(fields.get(name) ?? []), part.slice(at + 1).trim()]);
  }
  const stamps = fields.get('t');
  const macs = fields.get('v1');
  if (stamps?.length !== 1 || !macs?.length || !/^\d{1,12}$/.test(stamps[0]!)) {
    return { ok: false, reason: 'malformed' };
  }
  const unixSeconds = Number(stamps[0]);
  if (Math.abs(nowSeconds - unixSeconds) > toleranceSeconds) return { ok: false, reason: 'expired' };
  const expected = Buffer.from(mac(secret, unixSeconds, body), 'hex');
  // Several v1 values are allowed so a sender can sign with the old and new secret during a rotation.
  for (const candidate of macs) {
    if (!/^[0-9a-f]{64}$/.test(candidate)) continue;
    if (timingSafeEqual(Buffer.from(candidate, 'hex'), expected)) return { ok: true, unixSeconds };
  }
  return { ok: false, reason: 'mismatch' };
}
