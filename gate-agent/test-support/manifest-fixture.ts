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
  type HolderKeyAlg,
  issueTicketToken,
  type SigningKeyPair,
  sealHolderKey,
  signManifestPage,
  ticketTokenDigest,
  toBase64Url,
  wrapEventKeyForDevice,
} from '../../shared/crypto/index';
import {
  admissionTotalsOf,
  type ManifestAdmission,
  type ManifestEvent,
  type ManifestPage,
  type ManifestPeer,
  type ManifestTicket,
  manifestChecksum,
  SYNC_PROTOCOL_VERSION,
} from '../../shared/sync-protocol/index';
import type { SignedPage } from '../sync/manifest-apply';
import { TEST_DEVICE, type TestDeviceIdentity } from './test-device';

export const HOUR = 3_600_000;

export interface FixtureOptions {
  eventId?: string;
  now?: number;
  signingKey?: SigningKeyPair;
  /** Gate ids the VIP type (typeNo 2) may use. */
  vipGateIds?: string[];
  /** The device pages seal event keys to (default TEST_DEVICE, the identity of temp stores). */
  recipient?: Pick<TestDeviceIdentity, 'deviceId' | 'publicKey'>;
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
  /** Admission records the cloud holds (issue 14), in change order. */
  readonly admissions: ManifestAdmission[] = [];
  /** The gate devices of the venue the pages list as peers (issue 14). */
  peers: ManifestPeer[] = [];
  /** The device the pages seal event keys to, as the cloud seals them to the requesting device. */
  recipient: Pick<TestDeviceIdentity, 'deviceId' | 'publicKey'>;
  /** Per origin: the last originSeq recorded. */
  readonly #originSeqs = new Map<string, number>();
  /** Per serial: the last holder binding number (issue 20); a rebinding takes the next. */
  readonly #bindingNos = new Map<number, number>();

  constructor(options: FixtureOptions = {}) {
    this.eventId = options.eventId ?? randomUUID();
    this.signingKey = options.signingKey ?? generateSigningKeyPair(1);
    this.eventKey = generateEventKey(this.eventId);
    this.recipient = options.recipient ?? TEST_DEVICE;
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
        { typeNo: 1, id: randomUUID(), name: 'General', gateIds: null, zoneIds: null, holderCode: 'allowed' },
        {
          typeNo: 2,
          id: randomUUID(),
          name: 'VIP',
          gateIds: options.vipGateIds ?? [randomUUID()],
          zoneIds: null,
          holderCode: 'allowed',
        },
      ],
      gates: [],
      zones: [],
      exitAllAt: null,
    };
  }

  /**
   * Records an admission the cloud learnt of (an upload from another gate, online validation): a change
   * in the event's sequence, like a ticket change. Returns the record.
   */
  admit(
    serial: number,
    options: {
      origin?: string;
      direction?: 'in' | 'out';
      at?: number;
      gateId?: string;
      gateName?: string;
      /** The move the record made at a venue with zones (issue 18). */
      fromZone?: string;
      toZone?: string;
    } = {},
  ): ManifestAdmission {
    const origin = options.origin ?? 'cloud';
    const originSeq = (this.#originSeqs.get(origin) ?? 0) + 1;
    this.#originSeqs.set(origin, originSeq);
    this.head++;
    const record: ManifestAdmission = {
      seq: this.head,
      serial,
      origin,
      originSeq,
      direction: options.direction ?? 'in',
      at: options.at ?? this.cloudTime,
      gateId: options.gateId ?? '00000000-0000-4000-8000-00000000000a',
      gateName: options.gateName ?? 'North door',
      unconfirmed: false,
      ...(options.fromZone && options.toZone ? { fromZone: options.fromZone, toZone: options.toZone } : {}),
    };
    this.admissions.push(record);
    return record;
  }

  /**
   * Records an undo record the cloud holds (issue 17: an online undo, or another gate's Undo): the
   * record taking `target` back, made by `origin` (default `cloud`). Returns the record.
   */
  undo(target: ManifestAdmission, options: { origin?: string; at?: number } = {}): ManifestAdmission {
    const origin = options.origin ?? 'cloud';
    const originSeq = (this.#originSeqs.get(origin) ?? 0) + 1;
    this.#originSeqs.set(origin, originSeq);
    this.head++;
    const record: ManifestAdmission = {
      seq: this.head,
      serial: target.serial,
      origin,
      originSeq,
      direction: 'undo',
      undoes: { origin: target.origin, originSeq: target.originSeq },
      at: options.at ?? this.cloudTime,
      gateId: target.gateId,
      gateName: target.gateName,
      unconfirmed: false,
    };
    this.admissions.push(record);
    return record;
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
    const { holderKey: _binding, ...rest } = row;
    this.#change({ ...rest, status: 'revoked', digest: '' });
  }

  /**
   * Binds a holder's phone key to a ticket as the cloud does (issue 20): the next binding number, the
   * binding sealed into the row's `holderKey` box with the event key, a change in the sequence. Returns
   * what the wallet then knows of the ticket (HolderDevice.code's argument).
   */
  bindHolder(
    serial: number,
    device: { alg: HolderKeyAlg; publicKey: Uint8Array },
    window: { validFrom?: number; validUntil?: number } = {},
  ): { eventId: string; serial: number; generation: number; bindingNo: number } {
    const row = this.rows.get(serial);
    if (!row) throw new Error(`no ticket ${serial}`);
    const bindingNo = (this.#bindingNos.get(serial) ?? 0) + 1;
    this.#bindingNos.set(serial, bindingNo);
    const ticket = { eventId: this.eventId, serial, generation: row.generation };
    const { keyVersion, key } = this.eventKey;
    const holderKey = sealHolderKey(key, keyVersion, ticket, { ...device, bindingNo, ...window });
    this.#change({ ...row, holderKey });
    return { ...ticket, bindingNo };
  }

  /** Transfer: a new generation and a new token; the previous holder's QR stops working. */
  transfer(serial: number): string {
    const row = this.rows.get(serial);
    if (!row) throw new Error(`no ticket ${serial}`);
    const token = this.mint(serial, row.typeNo, row.generation + 1);
    this.tokens.set(serial, token);
    // A transfer clears the holder binding: the new holder claims the ticket anew.
    const { holderKey: _binding, ...rest } = row;
    this.#change({ ...rest, generation: row.generation + 1, digest: ticketTokenDigest(token)! });
    return token;
  }

  /** The cloud restored from a backup: a new epoch, same rows renumbered. */
  restoreFromBackup(): void {
    this.epoch = randomUUID();
    const rows = [...this.rows.values()].sort((a, b) => a.seq - b.seq);
    this.head = 0;
    this.rows.clear();
    for (const row of rows) this.#change(row);
    for (const record of this.admissions) record.seq = ++this.head;
  }

  checksum(): string {
    return manifestChecksum(this.rows.values());
  }

  /** The event key sealed to `to` (the fixture's recipient by default), as a page carries it. */
  sealedEventKey(to = this.recipient): ManifestPage['keys']['eventKeys'][number] {
    const { keyVersion, key } = this.eventKey;
    const context = { eventId: this.eventId, keyVersion, deviceId: to.deviceId };
    return { keyVersion, wrapped: wrapEventKeyForDevice(to.publicKey, key, context) };
  }

  /** The page after `after`, exactly as GET /sync/manifest would answer it. */
  page(after: number, limit: number): ManifestPage {
    type Change = { seq: number; ticket?: ManifestTicket; admission?: ManifestAdmission };
    const pending: Change[] = [
      ...[...this.rows.values()].map((ticket) => ({ seq: ticket.seq, ticket })),
      ...this.admissions.map((admission) => ({ seq: admission.seq, admission })),
    ]
      .filter((change) => change.seq > after)
      .sort((a, b) => a.seq - b.seq);
    const changes = pending.slice(0, limit);
    const tickets = changes.flatMap((change) => (change.ticket ? [change.ticket] : []));
    const admissions = changes.flatMap((change) => (change.admission ? [change.admission] : []));
    const hasMore = pending.length > limit;
    return {
      protocol: SYNC_PROTOCOL_VERSION,
      eventId: this.eventId,
      epoch: this.epoch,
      after,
      nextAfter: hasMore ? changes[changes.length - 1]!.seq : this.head,
      head: this.head,
      hasMore,
      cloudTime: this.cloudTime,
      event: this.event,
      keys: {
        signingKeys: [{ keyId: this.signingKey.keyId, publicKey: toBase64Url(this.signingKey.publicKey) }],
        eventKeys: [this.sealedEventKey()],
      },
      tickets,
      admissions,
      peers: this.peers,
      summary: hasMore
        ? null
        : {
            rowCount: this.rows.size,
            checksum: this.checksum(),
            admissions: admissionTotalsOf(this.admissions),
          },
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
