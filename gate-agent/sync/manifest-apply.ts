/**
 * Turns one signed manifest page from the cloud into store writes: check the cloud's signature over the
 * exact body bytes first, then parse, then hand the page to the store, which applies it in one
 * transaction. Nothing is written for a page that fails any check.
 *
 * Trust bootstrap: the enrollment answer is the first moment the device and the cloud talk over an
 * authenticated channel (the one-time enrollment token), and it carries the cloud's signing keys
 * (EnrollResponse.signingKeys), which are pinned there. Only a store with nothing pinned (enrolled by an
 * older cloud) falls back to trusting the keys of its first page — provided the page is signed by one of
 * the keys it carries — and pins them (trust on first use over the device-authenticated HTTPS session).
 * From then on a page must be signed by a pinned key, and only such a page can rotate the pinned set.
 */

import { z } from 'zod';
import { createManifestPageVerifier, type TrustedSigningKey } from '../../shared/crypto/index';
import { ManifestPage, type ManifestTicket, parseManifestTicket } from '../../shared/sync-protocol/index';
import type { GateStore, PageOutcome, PageTarget } from '../store/gate-store';

/** A page as it came off the wire (after decompression): the body and the cloud's signature over it. */
export interface SignedPage {
  body: Uint8Array;
  keyId: number;
  signature: Uint8Array;
}

export type ApplyVerdict = PageOutcome | { kind: 'bad-signature' } | { kind: 'bad-page'; why: string };

export interface ApplySignedPageOptions {
  target: PageTarget;
  /** The event the request asked for: a page of another event is refused. */
  eventId: string;
  now: number;
  /** Device clock estimate of when the cloud built the page (see PageResponse). */
  deviceTime: number;
  beforeCommit?: () => void;
}

/** The page envelope checked by zod; its (up to 10,000) ticket rows by the fast parseManifestTicket. */
const PageEnvelope = ManifestPage.extend({ tickets: z.array(z.unknown()) });

function parsePage(body: Uint8Array): ManifestPage | string {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    return 'not JSON';
  }
  const parsed = PageEnvelope.safeParse(json);
  if (!parsed.success) return `schema: ${parsed.error.issues[0]?.message ?? 'invalid'}`;
  const tickets: ManifestTicket[] = new Array(parsed.data.tickets.length);
  for (let i = 0; i < parsed.data.tickets.length; i++) {
    const ticket = parseManifestTicket(parsed.data.tickets[i]);
    if (!ticket) return `schema: ticket row ${i}`;
    tickets[i] = ticket;
  }
  return { ...parsed.data, tickets };
}

function keysOf(page: ManifestPage): TrustedSigningKey[] {
  return page.keys.signingKeys.map((k) => ({
    keyId: k.keyId,
    publicKey: new Uint8Array(Buffer.from(k.publicKey, 'base64url')),
  }));
}

function verifies(keys: readonly TrustedSigningKey[], signed: SignedPage): boolean {
  try {
    return createManifestPageVerifier(keys)(signed.keyId, signed.body, signed.signature);
  } catch {
    return false;
  }
}

/** Verifies and applies one page; see the module header for the trust rules. Never throws on bad input. */
export function applySignedPage(
  store: GateStore,
  signed: SignedPage,
  options: ApplySignedPageOptions,
): ApplyVerdict {
  const trusted = store.trustedSigningKeys();
  let page: ManifestPage | string;
  if (trusted.length > 0) {
    // Signature before parsing: nothing the cloud did not sign is even interpreted.
    if (!verifies(trusted, signed)) return { kind: 'bad-signature' };
    page = parsePage(signed.body);
    if (typeof page === 'string') return { kind: 'bad-page', why: page };
  } else {
    page = parsePage(signed.body);
    if (typeof page === 'string') return { kind: 'bad-page', why: page };
    const offered = keysOf(page);
    if (!verifies(offered, signed)) return { kind: 'bad-signature' };
    store.pinSigningKeys(offered, 'first-page');
  }
  if (page.eventId.toLowerCase() !== options.eventId.toLowerCase())
    return { kind: 'bad-page', why: 'another event' };
  return store.applyPage(page, {
    target: options.target,
    now: options.now,
    clockOffsetMs: Math.round(page.cloudTime - options.deviceTime),
    ...(options.beforeCommit ? { beforeCommit: options.beforeCommit } : {}),
  });
}
