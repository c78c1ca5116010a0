/**
 * Turns one signed manifest page from the cloud into store writes: check the cloud's signature over the
 * exact body bytes first, then parse, then decide what the page does to the event's copies and write it
 * through the store's modules in ONE transaction. Nothing is written for a page that fails any check,
 * and a crash leaves the store exactly at a page boundary.
 *
 * Trust bootstrap: the enrollment answer is the first moment the device and the cloud talk over an
 * authenticated channel (the one-time enrollment token), and it carries the cloud's signing keys
 * (EnrollResponse.signingKeys), which are pinned there. Only a store with nothing pinned (enrolled by an
 * older cloud) falls back to trusting the keys of its first page — provided the page is signed by one of
 * the keys it carries — and pins them (trust on first use over the device-authenticated HTTPS session).
 * From then on a page must be signed by a pinned key, and only such a page can rotate the pinned set.
 *
 * Event keys arrive sealed to this device (shared/crypto/event-key-wrap.ts): they are opened with the
 * device's private key before anything is written, and a page whose keys do not open here — sealed to
 * another device, another event, or changed — is refused whole (bad-page) and changes nothing.
 *
 * The copies (SPEC 6): deltas go into the LIVE copy, which scans read; a snapshot goes into a STAGING
 * copy beside it and is swapped in — by changing which copy the cursor names — only once complete and
 * its totals equal the cloud's summary, so scanning never sees a half-installed or wrong manifest.
 */
import { z } from 'zod';
import {
  createManifestPageVerifier,
  type TrustedSigningKey,
  unwrapEventKeyForDevice,
} from '../../shared/crypto/index';
import {
  type AdmissionTotals,
  ManifestPage,
  type ManifestTicket,
  parseManifestTicket,
} from '../../shared/sync-protocol/index';
import { admissionTotalsAfter } from '../store/admission-log';
import type { GateStore } from '../store/gate-store';
import { type CopyTotals, storedTotals, totalsOf } from '../store/manifest-copy';

export type PageTarget = 'live' | 'staging';

/** What applying one verified page did. */
export type PageOutcome =
  | { kind: 'applied'; hasMore: boolean; nextAfter: number; swapped: boolean }
  /** Last page of a live pull whose totals differ from the cloud's: the copy is marked for a snapshot. */
  | {
      kind: 'mismatch';
      target: PageTarget;
      expected: { rowCount: number; checksum: string };
      actual: { rowCount: number; checksum: string };
    }
  /** The page does not continue where the target stands (a stale or replayed page): nothing written. */
  | { kind: 'out-of-order'; expectedAfter: number }
  /** The live copy belongs to another epoch or does not exist: a snapshot is needed. */
  | { kind: 'needs-snapshot' }
  /** The page contradicts itself (ops outside its own range): nothing written. */
  | { kind: 'malformed'; why: string };

export interface ApplyPageOptions {
  target: PageTarget;
  /** Device clock at the answer, unix ms. */
  now: number;
  /** cloud − device clock measured around this request, ms. */
  clockOffsetMs: number;
  /**
   * Called inside the transaction after every write and before the commit. Tests throw from here to
   * simulate a crash between pages; production code leaves it unset.
   */
  beforeCommit?: () => void;
}

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

/** An event key of the page, opened: what the key store keeps (wrapped again at rest). */
interface OpenedEventKey {
  keyVersion: number;
  key: Uint8Array;
}

/**
 * Opens the page's event keys with this device's private key, or says why they do not open. The
 * context binds each to the page's event, its version and this device's id.
 */
function openEventKeys(store: GateStore, page: ManifestPage): OpenedEventKey[] | string {
  const { deviceId, privateKey } = store.settings;
  if (!deviceId || !privateKey) return 'event keys: this gate has no device key (not enrolled)';
  const opened: OpenedEventKey[] = [];
  for (const { keyVersion, wrapped } of page.keys.eventKeys) {
    const context = { eventId: page.eventId.toLowerCase(), keyVersion, deviceId };
    try {
      opened.push({ keyVersion, key: unwrapEventKeyForDevice(privateKey, wrapped, context) });
    } catch {
      return `event key version ${keyVersion} is not sealed to this device (${deviceId}) and event`;
    }
  }
  return opened;
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
    if (!verifies(keysOf(page), signed)) return { kind: 'bad-signature' };
  }
  if (page.eventId.toLowerCase() !== options.eventId.toLowerCase())
    return { kind: 'bad-page', why: 'another event' };
  // Before any write (the trust-on-first-use pin included): a page for another device changes nothing.
  const eventKeys = openEventKeys(store, page);
  if (typeof eventKeys === 'string') return { kind: 'bad-page', why: eventKeys };
  if (trusted.length === 0) store.pinSigningKeys(keysOf(page), 'first-page');
  return applyPage(store, page, eventKeys, {
    target: options.target,
    now: options.now,
    clockOffsetMs: Math.round(page.cloudTime - options.deviceTime),
    ...(options.beforeCommit ? { beforeCommit: options.beforeCommit } : {}),
  });
}

/** Why a page contradicts itself (the protocol's range rules), or undefined when it does not. */
function pageRangeProblem(page: ManifestPage): string | undefined {
  for (const t of page.tickets) {
    if (t.seq <= page.after || t.seq > page.nextAfter) return 'ticket seq outside the page range';
  }
  for (const a of page.admissions) {
    if (a.seq <= page.after || a.seq > page.nextAfter) return 'admission seq outside the page range';
  }
  if (page.nextAfter < page.after || page.head < page.nextAfter) return 'cursor range';
  if (page.event.id.toLowerCase() !== page.eventId.toLowerCase()) return 'event id';
  if (!page.hasMore && !page.summary) return 'last page without summary';
  return undefined;
}

/**
 * Applies one manifest page whose signature the caller has already verified: tickets (updating the
 * running checksum row by row), event data, keys and the cursor in ONE transaction. On the last page
 * the totals are compared with the page's summary; a verified staging copy is swapped in, in the
 * same transaction.
 */
function applyPage(
  store: GateStore,
  page: ManifestPage,
  eventKeys: readonly OpenedEventKey[],
  options: ApplyPageOptions,
): PageOutcome {
  const problem = pageRangeProblem(page);
  if (problem) return { kind: 'malformed', why: problem };
  const eventId = page.eventId.toLowerCase();
  const outcome = store.inTransaction(() =>
    options.target === 'live'
      ? applyToLive(store, eventId, page, eventKeys, options)
      : applyToStaging(store, eventId, page, eventKeys, options),
  );
  // Any write may have changed what the decision sees; drop cached contexts (cheap to rebuild).
  store.events.invalidate();
  return outcome;
}

/** What a copy adds up to: its ticket rows and the admission records it received from the cloud. */
interface CopySums {
  rowCount: number;
  checksum: string;
  admissionCount: number;
  admissionChecksum: string;
}

/**
 * The page's rows into `copy` from `totals`, its admission records and peers, and its keys: what every
 * page writes first. Admission records are facts, not part of a copy: they go into the admission log at
 * once (a snapshot being staged already tells the live copy's decisions of an entry elsewhere); the
 * copy only counts them, to check against the cloud's summary.
 */
function writePage(
  store: GateStore,
  eventId: string,
  copy: number,
  page: ManifestPage,
  eventKeys: readonly OpenedEventKey[],
  totals: CopyTotals & { admissions: AdmissionTotals },
  now: number,
): CopySums {
  const after = store.manifest.applyRows(eventId, copy, page.tickets, totals);
  const admissions = admissionTotalsAfter(totals.admissions, page.admissions);
  store.admissions.storeManifestRecords(eventId, page.admissions, now);
  store.peers.replace(eventId, page.peers);
  store.keys.replaceSigningKeys(keysOf(page), 'page');
  // Event keys only add decryption ability; they are merged at once so a new event's tokens open.
  store.keys.mergeEventKeys(eventId, eventKeys);
  return {
    ...storedTotals(after),
    admissionCount: admissions.count,
    admissionChecksum: admissions.checksum,
  };
}

/** The totals a cursor (live or staging) stands at. */
function sumsOf(cursor: CopySums): CopyTotals & { admissions: AdmissionTotals } {
  return {
    ...totalsOf(cursor),
    admissions: { count: cursor.admissionCount, checksum: cursor.admissionChecksum },
  };
}

/** True when the last page's summary disagrees with the copy's totals. */
function differs(page: ManifestPage, actual: CopySums): boolean {
  if (page.summary === null) return false;
  const { rowCount, checksum, admissions } = page.summary;
  if (rowCount !== actual.rowCount || checksum !== actual.checksum) return true;
  return (
    admissions !== undefined &&
    (admissions.count !== actual.admissionCount || admissions.checksum !== actual.admissionChecksum)
  );
}

/** A delta into the live copy: continues the cursor, or says why it cannot. */
function applyToLive(
  store: GateStore,
  eventId: string,
  page: ManifestPage,
  eventKeys: readonly OpenedEventKey[],
  options: ApplyPageOptions,
): PageOutcome {
  const cursor = store.manifest.cursorOf(eventId);
  if (!cursor || cursor.epoch !== page.epoch) return { kind: 'needs-snapshot' };
  if (cursor.after !== page.after) return { kind: 'out-of-order', expectedAfter: cursor.after };
  const actual = writePage(store, eventId, cursor.liveCopy, page, eventKeys, sumsOf(cursor), options.now);
  store.events.write(page.event);
  const mismatch = differs(page, actual);
  store.manifest.advanceLive(eventId, {
    after: page.nextAfter,
    head: page.head,
    ...actual,
    lastSyncAt: options.now,
    clockOffsetMs: options.clockOffsetMs,
    needsSnapshot: mismatch ? true : cursor.needsSnapshot,
  });
  store.device.setClockOffset(options.clockOffsetMs);
  options.beforeCommit?.();
  if (mismatch && page.summary) return { kind: 'mismatch', target: 'live', expected: page.summary, actual };
  return { kind: 'applied', hasMore: page.hasMore, nextAfter: page.nextAfter, swapped: false };
}

/** A snapshot page into the staging copy; its last page swaps the copy in when the totals match. */
function applyToStaging(
  store: GateStore,
  eventId: string,
  page: ManifestPage,
  eventKeys: readonly OpenedEventKey[],
  options: ApplyPageOptions,
): PageOutcome {
  const staging = store.manifest.stagingCursorOf(eventId);
  if (!staging) return { kind: 'out-of-order', expectedAfter: 0 };
  if (staging.after !== page.after) return { kind: 'out-of-order', expectedAfter: staging.after };
  if (staging.after > 0 && staging.epoch !== page.epoch) {
    // The cloud's history changed under a half-installed snapshot: start it over.
    store.manifest.abandonSnapshot(eventId);
    return { kind: 'needs-snapshot' };
  }
  const actual = writePage(store, eventId, staging.copy, page, eventKeys, sumsOf(staging), options.now);
  if (page.summary && !page.hasMore) {
    if (differs(page, actual)) {
      store.manifest.abandonSnapshot(eventId);
      options.beforeCommit?.();
      return { kind: 'mismatch', target: 'staging', expected: page.summary, actual };
    }
    // Complete and verified: the swap is this one transaction.
    store.events.write(page.event);
    store.manifest.installLive({
      eventId,
      epoch: page.epoch,
      after: page.nextAfter,
      head: page.head,
      ...actual,
      liveCopy: staging.copy,
      lastSyncAt: options.now,
      clockOffsetMs: options.clockOffsetMs,
      needsSnapshot: false,
    });
    store.manifest.abandonSnapshot(eventId);
    store.device.setClockOffset(options.clockOffsetMs);
    options.beforeCommit?.();
    return { kind: 'applied', hasMore: false, nextAfter: page.nextAfter, swapped: true };
  }
  store.manifest.advanceStaging(eventId, {
    epoch: page.epoch,
    after: page.nextAfter,
    head: page.head,
    ...actual,
    eventJson: JSON.stringify(page.event),
  });
  options.beforeCommit?.();
  return { kind: 'applied', hasMore: page.hasMore, nextAfter: page.nextAfter, swapped: false };
}
