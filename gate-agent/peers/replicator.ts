/**
 * Admission replication between the gates of a venue (issue 14), when the cloud is unreachable and also
 * when it is not (the LAN is simply faster). Protocol: broadcast plus anti-entropy.
 *
 *  - Broadcast: an admission this gate made is pushed to every peer of the event right after its scan
 *    committed — never on the decision path, so a door's answer never waits for the LAN. The window in
 *    which another door can still admit the same ticket is one one-way delivery (a few ms on a LAN).
 *  - Anti-entropy: every heartbeat each gate asks each peer with its vector (per origin, the highest
 *    sequence held with none missing below); the answer carries what the asker lacks, and the asker
 *    pushes back what the answerer lacks. A gate that was cut off catches up on the first exchange
 *    after the link heals; a push that was lost is repaired the same way.
 *  - The heartbeat doubles as liveness: a peer heard from within three heartbeats is reachable. An
 *    admission decided while neither the cloud nor every listed peer was reachable is `unconfirmed`
 *    (the pipeline asks `confirmed()`), and the reconciliation report flags it.
 *
 * Why not "ask the peers first": it puts a LAN round trip and a timeout into every decision (alf.io-PI's
 * 50 ms), and on timeout the gate must decide alone anyway. Presentations of one code at two doors
 * closer together than one delivery (milliseconds) are not what a shared screenshot produces.
 *
 * Only records signed by their origin gate are stored or relayed; peers are believed only when they are
 * on the event's cloud-signed peer list.
 */
import type { Logger } from 'pino';
import type { PeerDirectory, PeerTarget } from './peer-directory';
import { newNonce, openMessage, type PeerIdentity, type SealedMessage, sealMessage } from './peer-messages';
import {
  type AdmissionVector,
  admissionSignatureValid,
  ExchangeReply,
  ExchangeRequest,
  MAX_PEER_RECORDS,
  PEER_EXCHANGE_PATH,
  PEER_PROTOCOL_VERSION,
  PEER_PUSH_PATH,
  type PeerAdmission,
  PushAck,
  PushMessage,
  signAdmission,
  type UnsignedAdmission,
} from './protocol';

/** What the replicator needs of the gate's admission log (store). */
export interface AdmissionLogPort {
  /** Per device origin: the highest originSeq held for the event with none missing below. */
  vector(eventId: string): AdmissionVector;
  /**
   * Device-origin records of an event with originSeq > after (ascending), at most `limit`. Records this
   * gate made come without a signature (`null`): the replicator signs them (Ed25519 is deterministic).
   */
  recordsAfter(
    eventId: string,
    origin: string,
    after: number,
    limit: number,
  ): Array<UnsignedAdmission & { signature: string | null }>;
  /** Stores verified records heard from peers; returns the ones that were new here. */
  storePeerRecords(records: readonly PeerAdmission[]): PeerAdmission[];
}

/** Sends a sealed message to a peer address and returns its sealed answer; throws on any failure. */
export interface PeerTransport {
  send(
    target: PeerTarget,
    path: string,
    message: SealedMessage,
    timeoutMs: number,
  ): Promise<{ body: Uint8Array; device: string | null; signature: string | null }>;
}

/** An answer to a received message: HTTP status and a sealed body (or an error). */
export type PeerAnswer =
  | { status: 200; sealed: SealedMessage }
  | { status: 400 | 401 | 403 | 409; error: { code: string; message: string } };

export interface ReplicatorOptions {
  identity: PeerIdentity;
  /** Signs this gate's own admission records (context `admission-record`). */
  signRecord: (message: Uint8Array) => Uint8Array;
  directory: PeerDirectory;
  log: AdmissionLogPort;
  transport: PeerTransport;
  /** The gate's cloud-corrected clock, unix ms (the timeline records and messages are stamped on). */
  clock: () => number;
  /** Whether the gate is in contact with the cloud right now (its push stream is up). */
  cloudInContact: () => boolean;
  heartbeatMs?: number;
  timeoutMs?: number;
  logger?: Logger;
  /** Records heard from peers that were new here (metrics; benchmarks). */
  onLearned?: (records: readonly PeerAdmission[]) => void;
  /** Round trip of one peer request, ms (metrics). */
  onRoundTrip?: (ms: number) => void;
  /** A message refused, by why (metrics, logs). */
  onRefused?: (why: string) => void;
}

export const DEFAULT_HEARTBEAT_MS = 1_000;
/** A request to a peer that takes longer is abandoned; the next heartbeat tries again. */
export const DEFAULT_PEER_TIMEOUT_MS = 500;
/** Exchange rounds per peer per heartbeat while the peer says it has more. */
const MAX_ROUNDS = 20;

export class PeerReplicator {
  readonly #o: ReplicatorOptions;
  readonly #heartbeatMs: number;
  readonly #timeoutMs: number;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #stopped = false;
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(options: ReplicatorOptions) {
    this.#o = options;
    this.#heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_PEER_TIMEOUT_MS;
  }

  /**
   * True when an admission decided now is confirmed: the cloud is in contact, or every peer listed for
   * the event was heard from recently. Cheap (no I/O): the pipeline asks it on every accept.
   */
  confirmed(eventId: string): boolean {
    return this.#o.cloudInContact() || this.#o.directory.allReachable(eventId);
  }

  /** Broadcasts records this gate just committed. Returns at once; delivery runs in the background. */
  publish(records: readonly UnsignedAdmission[]): void {
    if (this.#stopped || records.length === 0) return;
    const byEvent = new Map<string, PeerAdmission[]>();
    for (const record of records) {
      const signed = signAdmission(record, this.#o.signRecord);
      const list = byEvent.get(record.eventId) ?? [];
      list.push(signed);
      byEvent.set(record.eventId, list);
    }
    for (const [eventId, signed] of byEvent) {
      for (const target of this.#o.directory.targets(eventId)) {
        this.#track(this.#push(target, eventId, signed));
      }
    }
  }

  #track(task: Promise<unknown>): void {
    const guarded = task.catch(() => undefined);
    this.#inFlight.add(guarded);
    void guarded.finally(() => this.#inFlight.delete(guarded));
  }

  async #push(target: PeerTarget, eventId: string, records: readonly PeerAdmission[]): Promise<void> {
    for (let start = 0; start < records.length; start += MAX_PEER_RECORDS) {
      const message: PushMessage = {
        protocol: PEER_PROTOCOL_VERSION,
        kind: 'push',
        from: this.#o.identity.deviceId,
        to: target.deviceId,
        eventId,
        sentAt: this.#o.clock(),
        nonce: newNonce(),
        records: records.slice(start, start + MAX_PEER_RECORDS),
      };
      const reply = await this.#request(target, PEER_PUSH_PATH, message, PushAck);
      if (!reply) return;
    }
  }

  /** Sends one message and opens the answer; undefined (logged, counted) on any failure. */
  async #request<T extends PushAck | ExchangeReply>(
    target: PeerTarget,
    path: string,
    message: PushMessage | ExchangeRequest,
    schema: typeof PushAck | typeof ExchangeReply,
  ): Promise<T | undefined> {
    const started = performance.now();
    let answer: Awaited<ReturnType<PeerTransport['send']>>;
    try {
      answer = await this.#o.transport.send(
        target,
        path,
        sealMessage(this.#o.identity, message),
        this.#timeoutMs,
      );
    } catch (error) {
      this.#o.logger?.debug({ err: error, peer: target.address }, 'peer unreachable');
      return undefined;
    }
    const opened = openMessage(schema, answer.body, answer, {
      selfDeviceId: this.#o.identity.deviceId,
      keyOf: this.#o.directory.messageKeys,
      now: this.#o.clock(),
    });
    if (!opened.ok || opened.message.inReplyTo !== message.nonce) {
      this.#refused(opened.ok ? 'stale-answer' : opened.why, target.address);
      return undefined;
    }
    this.#o.onRoundTrip?.(performance.now() - started);
    this.#o.directory.heard(opened.message.from, target.address);
    return opened.message as T;
  }

  #refused(why: string, peer?: string): void {
    this.#o.onRefused?.(why);
    this.#o.logger?.warn({ why, peer }, 'peer message refused');
  }

  /** Keeps the records whose origin is a listed peer of the event and whose signature is the origin's. */
  #verified(eventId: string, records: readonly PeerAdmission[]): PeerAdmission[] {
    const self = this.#o.identity.deviceId.toLowerCase();
    const accepted: PeerAdmission[] = [];
    for (const record of records) {
      if (record.eventId.toLowerCase() !== eventId.toLowerCase()) continue;
      if (record.origin.toLowerCase() === self) continue; // our own: our log is the authority
      // A gate undoes only its own records (an undo of another door's is made online, in the cloud).
      if (
        record.direction === 'undo' &&
        record.undoes?.origin.toLowerCase() !== record.origin.toLowerCase()
      ) {
        this.#refused('bad-record');
        continue;
      }
      const verify = this.#o.directory.verifier(eventId, record.origin, 'admission-record');
      if (!verify || !admissionSignatureValid(record, verify)) {
        this.#refused('bad-record');
        continue;
      }
      accepted.push(record);
    }
    return accepted;
  }

  #store(eventId: string, records: readonly PeerAdmission[]): void {
    const fresh = this.#o.log.storePeerRecords(this.#verified(eventId, records));
    if (fresh.length > 0) this.#o.onLearned?.(fresh);
  }

  /** The records a peer with `vector` lacks, signed, at most MAX_PEER_RECORDS; `more` if there are others. */
  #missingFor(eventId: string, vector: AdmissionVector): { records: PeerAdmission[]; more: boolean } {
    const mine = this.#o.log.vector(eventId);
    const records: PeerAdmission[] = [];
    let more = false;
    for (const [origin, held] of Object.entries(mine)) {
      const theirs = vector[origin] ?? 0;
      if (held <= theirs) continue;
      const room = MAX_PEER_RECORDS - records.length;
      if (room <= 0) {
        more = true;
        break;
      }
      const rows = this.#o.log.recordsAfter(eventId, origin, theirs, room + 1);
      if (rows.length > room) more = true;
      for (const row of rows.slice(0, room)) {
        const { signature, ...unsigned } = row;
        records.push(signature ? { ...unsigned, signature } : signAdmission(unsigned, this.#o.signRecord));
      }
    }
    return { records, more };
  }

  /** POST /peer/v1/admissions from a peer. */
  handlePush(body: Uint8Array, headers: { device: string | null; signature: string | null }): PeerAnswer {
    const opened = openMessage(PushMessage, body, headers, this.#openOptions());
    if (!opened.ok) return this.#refuse(opened.why, opened.detail);
    const message = opened.message;
    this.#o.directory.heard(message.from);
    this.#store(message.eventId, message.records);
    const ack: PushAck = {
      protocol: PEER_PROTOCOL_VERSION,
      kind: 'push-ack',
      from: this.#o.identity.deviceId,
      to: message.from,
      eventId: message.eventId,
      sentAt: this.#o.clock(),
      nonce: newNonce(),
      inReplyTo: message.nonce,
      stored: message.records.length,
    };
    return { status: 200, sealed: sealMessage(this.#o.identity, ack) };
  }

  /** POST /peer/v1/exchange from a peer. */
  handleExchange(body: Uint8Array, headers: { device: string | null; signature: string | null }): PeerAnswer {
    const opened = openMessage(ExchangeRequest, body, headers, this.#openOptions());
    if (!opened.ok) return this.#refuse(opened.why, opened.detail);
    const request = opened.message;
    this.#o.directory.heard(request.from);
    const { records, more } = this.#missingFor(request.eventId, request.vector);
    const reply: ExchangeReply = {
      protocol: PEER_PROTOCOL_VERSION,
      kind: 'exchange-reply',
      from: this.#o.identity.deviceId,
      to: request.from,
      eventId: request.eventId,
      sentAt: this.#o.clock(),
      nonce: newNonce(),
      inReplyTo: request.nonce,
      vector: this.#o.log.vector(request.eventId),
      records,
      more,
    };
    return { status: 200, sealed: sealMessage(this.#o.identity, reply) };
  }

  #openOptions() {
    return {
      selfDeviceId: this.#o.identity.deviceId,
      keyOf: this.#o.directory.messageKeys,
      now: this.#o.clock(),
    };
  }

  #refuse(why: string, detail?: string): PeerAnswer {
    this.#refused(why);
    const status = why === 'malformed' ? 400 : why === 'wrong-recipient' || why === 'stale' ? 409 : 401;
    const message = detail ? `${why}: ${detail}` : why;
    return { status, error: { code: `PEER_${why.toUpperCase().replaceAll('-', '_')}`, message } };
  }

  /** One anti-entropy exchange with one peer for one event (until it has nothing more, bounded). */
  async #exchangeWith(target: PeerTarget, eventId: string): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS && !this.#stopped; round++) {
      const request: ExchangeRequest = {
        protocol: PEER_PROTOCOL_VERSION,
        kind: 'exchange',
        from: this.#o.identity.deviceId,
        to: target.deviceId,
        eventId,
        sentAt: this.#o.clock(),
        nonce: newNonce(),
        vector: this.#o.log.vector(eventId),
      };
      const reply = await this.#request<ExchangeReply>(target, PEER_EXCHANGE_PATH, request, ExchangeReply);
      if (!reply) return;
      this.#store(eventId, reply.records);
      // What the peer lacks goes back to it as a push (same path as a broadcast).
      const { records } = this.#missingFor(eventId, reply.vector);
      if (records.length > 0) await this.#push({ ...target, deviceId: reply.from }, eventId, records);
      if (!reply.more) return;
    }
  }

  /** One heartbeat: an exchange with every peer of every event, concurrently. */
  exchangeNow(): Promise<void> {
    this.#ticking ??= (async () => {
      const tasks: Promise<void>[] = [];
      for (const eventId of this.#o.directory.events())
        for (const target of this.#o.directory.targets(eventId))
          tasks.push(this.#exchangeWith(target, eventId));
      await Promise.allSettled(tasks);
    })().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  start(): void {
    if (this.#timer || this.#stopped) return;
    const tick = () => {
      void this.exchangeNow().finally(() => {
        if (this.#stopped) return;
        this.#timer = setTimeout(tick, this.#heartbeatMs);
        this.#timer.unref();
      });
    };
    tick();
  }

  /** Waits for the pushes and exchanges in flight (tests, shutdown). */
  async settle(): Promise<void> {
    await this.#ticking;
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.settle();
  }
}
