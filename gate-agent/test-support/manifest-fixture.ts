/**
 * A stand-in for the cloud's side of the manifest, built from real keys (shared/crypto): it issues real
 * tokens, keeps a change log with one sequence per event, and serves signed pages exactly as the wire
 * contract (shared/sync-protocol) describes. Used by tests and benchmarks; never by the agent itself.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  type EventKey,
  generateEventKey,
  generateSigningKeyPair,
  issueTicketToken,
  type SigningKeyPair,
  signManifestPage,
  ticketTokenDigest,
  toBase64Url,
} from '../../shared/crypto/index';
import {
  type ManifestEvent,
  type ManifestPage,
  type ManifestTicket,
  manifestChecksum,
  SYNC_PROTOCOL_VERSION,
} from '../../shared/sync-protocol/index';
import type { SignedPage } from '../sync/manifest-apply';

export const HOUR = 3_600_000;

export interface FixtureOptions {
  eventId?: string;
  now?: number;
  signingKey?: SigningKeyPair;
  /** Gate ids the VIP type (typeNo 2) may use. */
  vipGateIds?: string[];
}

/** One event's manifest as the cloud holds it. */
export class ManifestFixture {
  readonly eventId: string;
  readonly signingKey: SigningKeyPair;
  readonly eventKey: EventKey;
  epoch = randomUUID();
  head = 0;
  cloudTime: number;
  event: ManifestEvent;
  /** The current row of every ticket (a ticket is one row; revocation is a tombstone). */
  readonly rows = new Map<number, ManifestTicket>();
  /** Every token issued, by serial (the current holder's). */
  readonly tokens = new Map<number, string>();

  constructor(options: FixtureOptions = {}) {
    this.eventId = options.eventId ?? randomUUID();
    this.signingKey = options.signingKey ?? generateSigningKeyPair(1);
    this.eventKey = generateEventKey(this.eventId);
    this.cloudTime = options.now ?? Date.UTC(2026, 5, 1, 18);
    const now = this.cloudTime;
    this.event = {
      id: this.eventId,
      name: 'Test concert',
      status: 'published',
      startsAt: now - HOUR,
      endsAt: now + 4 * HOUR,
      doorsOpenAt: now - 2 * HOUR,
      timezone: 'Europe/Amsterdam',
      ticketTypes: [
        { typeNo: 1, id: randomUUID(), name: 'General', gateIds: null },
        { typeNo: 2, id: randomUUID(), name: 'VIP', gateIds: options.vipGateIds ?? [randomUUID()] },
      ],
    };
  }

  #change(row: Omit<ManifestTicket, 'seq'>): ManifestTicket {
    this.head++;
    const next = { ...row, seq: this.head };
    this.rows.set(row.serial, next);
    return next;
  }

  /** Mints a real token (Ed25519-signed, encrypted) without recording it in the manifest. */
  mint(
    serial: number,
    typeNo = 1,
    generation = 0,
    window: { validFrom?: number; validUntil?: number } = {},
  ): string {
    return issueTicketToken(
      { eventId: this.eventId, ticketSerial: serial, ticketTypeNo: typeNo, generation, ...window },
      { signingKey: this.signingKey, eventKey: this.eventKey },
    );
  }

  /** Issues a ticket: a real token and its manifest row. */
  issue(serial: number, typeNo = 1, window: { validFrom?: number; validUntil?: number } = {}): string {
    const token = this.mint(serial, typeNo, 0, window);
    this.tokens.set(serial, token);
    this.#change({ serial, typeNo, generation: 0, status: 'valid', digest: ticketTokenDigest(token)! });
    return token;
  }

  /** A row with a random digest, for big manifests where minting every token would dominate the time. */
  issueSynthetic(serial: number, typeNo = 1): void {
    this.#change({ serial, typeNo, generation: 0, status: 'valid', digest: toBase64Url(randomBytes(16)) });
  }

  revoke(serial: number): void {
    const row = this.rows.get(serial);
    if (!row) throw new Error(`no ticket ${serial}`);
    this.#change({ ...row, status: 'revoked', digest: '' });
  }

  /** Transfer: a new generation and a new token; the previous holder's QR stops working. */
  transfer(serial: number): string {
    const row = this.rows.get(serial);
    if (!row) throw new Error(`no ticket ${serial}`);
    const token = this.mint(serial, row.typeNo, row.generation + 1);
    this.tokens.set(serial, token);
    this.#change({ ...row, generation: row.generation + 1, digest: ticketTokenDigest(token)! });
    return token;
  }

  /** The cloud restored from a backup: a new epoch, same rows renumbered. */
  restoreFromBackup(): void {
    this.epoch = randomUUID();
    const rows = [...this.rows.values()].sort((a, b) => a.seq - b.seq);
    this.head = 0;
    this.rows.clear();
    for (const row of rows) this.#change(row);
  }

  checksum(): string {
    return manifestChecksum(this.rows.values());
  }

  /** The page after `after`, exactly as GET /sync/manifest would answer it. */
  page(after: number, limit: number): ManifestPage {
    const pending = [...this.rows.values()].filter((r) => r.seq > after).sort((a, b) => a.seq - b.seq);
    const tickets = pending.slice(0, limit);
    const hasMore = pending.length > limit;
    return {
      protocol: SYNC_PROTOCOL_VERSION,
      eventId: this.eventId,
      epoch: this.epoch,
      after,
      nextAfter: hasMore ? tickets[tickets.length - 1]!.seq : this.head,
      head: this.head,
      hasMore,
      cloudTime: this.cloudTime,
      event: this.event,
      keys: {
        signingKeys: [{ keyId: this.signingKey.keyId, publicKey: toBase64Url(this.signingKey.publicKey) }],
        eventKeys: [{ keyVersion: this.eventKey.keyVersion, key: toBase64Url(this.eventKey.key) }],
      },
      tickets,
      summary: hasMore ? null : { rowCount: this.rows.size, checksum: this.checksum() },
    };
  }

  /** Serialises and signs a page as the cloud does (signature over the exact body bytes). */
  sign(page: ManifestPage, signingKey: SigningKeyPair = this.signingKey): SignedPage {
    const body = new TextEncoder().encode(JSON.stringify(page));
    const { keyId, signature } = signManifestPage(signingKey, body);
    return { body, keyId, signature };
  }

  signedPage(after: number, limit: number): SignedPage {
    return this.sign(this.page(after, limit));
  }
}
