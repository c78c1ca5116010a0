/**
 * Who this gate's peers are and whether it can hear them. The list of peers per event comes from the
 * cloud-signed manifest (every gate device serving the event at the venue, with its public key, its
 * gate and the LAN address it reported); a static `--peer host:port` adds addresses to try on networks
 * where the reported ones do not work. Only devices on the list are ever believed: an address says
 * where to knock, the signature says who answered.
 *
 * A peer is reachable while this gate has heard a valid signed message from it within
 * `reachableForMs` (three heartbeats): an answer to our exchange or push, or a message of its own.
 * Liveness runs on a monotonic clock of its own, never on the cloud-corrected one: a clock correction
 * after a sync must not make a silent peer look alive (or a live one silent).
 */
import { createDetachedVerifier, fromBase64Url } from '../../shared/crypto/index';
import type { PeerKeyLookup } from './peer-messages';

/** One peer as the manifest lists it. */
export interface PeerListing {
  deviceId: string;
  gateId: string;
  gateName: string | null;
  /** Ed25519 public key, base64url. */
  publicKey: string;
  /** `host:port` it listens on for peers, as it last reported; null when it does not listen. */
  address: string | null;
}

/** Where to send a message: an address, and the device expected there when the list names one. */
export interface PeerTarget {
  address: string;
  deviceId: string | null;
}

export interface PeerSummary {
  /** Peers on the lists of the events this gate serves (itself excluded). */
  listed: number;
  /** Of those, the ones heard from recently. */
  reachable: number;
  peers: Array<{
    deviceId: string;
    gateId: string;
    gateName: string | null;
    address: string | null;
    reachable: boolean;
    /** Seconds since a valid message from it; null when never heard since this gate started. */
    secondsSinceHeard: number | null;
  }>;
}

type Verifier = (message: Uint8Array, signature: Uint8Array) => boolean;

export class PeerDirectory {
  readonly #self: () => string | null;
  readonly #static: readonly string[];
  readonly #reachableForMs: number;
  readonly #lists = new Map<string, PeerListing[]>();
  readonly #verifiers = new Map<string, Verifier>();
  readonly #lastHeard = new Map<string, number>();
  /** The same moments on the device clock (unix ms): how old the occupancy count is (issue 18). */
  readonly #lastHeardAt = new Map<string, number>();
  readonly #wallClock: () => number;
  /** Which device answered at a static address (learned from its signed answer). */
  readonly #staticDevice = new Map<string, string>();
  readonly #now: () => number;

  constructor(options: {
    selfDeviceId: () => string | null;
    staticAddresses?: readonly string[];
    reachableForMs: number;
    /** Monotonic ms for liveness (default performance.now). */
    now?: () => number;
    /** The device clock, unix ms, for when a peer was last heard (default Date.now). */
    wallClock?: () => number;
  }) {
    this.#wallClock = options.wallClock ?? Date.now;
    this.#self = options.selfDeviceId;
    this.#now = options.now ?? (() => performance.now());
    this.#static = [...new Set(options.staticAddresses ?? [])];
    this.#reachableForMs = options.reachableForMs;
  }

  /** Replaces an event's peer list (after each manifest pull, and at start from the store). */
  setPeers(eventId: string, listings: readonly PeerListing[]): void {
    const self = this.#self()?.toLowerCase();
    const peers = listings
      .filter((p) => p.deviceId.toLowerCase() !== self)
      .map((p) => ({ ...p, deviceId: p.deviceId.toLowerCase() }));
    this.#lists.set(eventId.toLowerCase(), peers);
  }

  /** The events with a peer list. */
  events(): string[] {
    return [...this.#lists.keys()];
  }

  #listing(eventId: string, deviceId: string): PeerListing | undefined {
    return this.#lists.get(eventId.toLowerCase())?.find((p) => p.deviceId === deviceId.toLowerCase());
  }

  /** The message/record verifier of a listed device (for `peer-message` or `admission-record`). */
  verifier(
    eventId: string,
    deviceId: string,
    context: 'peer-message' | 'admission-record',
  ): Verifier | undefined {
    const listing = this.#listing(eventId, deviceId);
    if (!listing) return undefined;
    const cacheKey = `${context}:${listing.publicKey}`;
    let verify = this.#verifiers.get(cacheKey);
    if (!verify) {
      const publicKey = fromBase64Url(listing.publicKey);
      if (!publicKey) return undefined;
      verify = createDetachedVerifier(publicKey, context);
      this.#verifiers.set(cacheKey, verify);
    }
    return verify;
  }

  /** The lookup peer-messages.ts opens messages with. */
  readonly messageKeys: PeerKeyLookup = (eventId, deviceId) =>
    this.verifier(eventId, deviceId, 'peer-message');

  /** Every address to reach for an event: listed peers with an address, then the static ones. */
  targets(eventId: string): PeerTarget[] {
    const listed = this.#lists.get(eventId.toLowerCase()) ?? [];
    const targets: PeerTarget[] = [];
    const seen = new Set<string>();
    for (const peer of listed) {
      if (!peer.address || seen.has(peer.address)) continue;
      seen.add(peer.address);
      targets.push({ address: peer.address, deviceId: peer.deviceId });
    }
    for (const address of this.#static) {
      if (seen.has(address)) continue;
      seen.add(address);
      const known = this.#staticDevice.get(address);
      // A static address that answered as ourselves (our own --peer-listen given as --peer) is skipped.
      if (known && known === this.#self()?.toLowerCase()) continue;
      targets.push({ address, deviceId: known && this.#listing(eventId, known) ? known : null });
    }
    return targets;
  }

  /** Records a valid signed message from `deviceId` (answering at `address`, when we asked there). */
  heard(deviceId: string, address?: string): void {
    const id = deviceId.toLowerCase();
    this.#lastHeard.set(id, this.#now());
    this.#lastHeardAt.set(id, this.#wallClock());
    if (address && this.#static.includes(address)) this.#staticDevice.set(address, id);
  }

  isReachable(deviceId: string): boolean {
    const at = this.#lastHeard.get(deviceId.toLowerCase());
    return at !== undefined && this.#now() - at <= this.#reachableForMs;
  }

  /**
   * True when the event lists peers and every one of them has been heard from recently. With none listed
   * it is false: a gate that knows of no other door cannot vouch that no other door admitted the ticket
   * (the cloud's online validation is one), so alone and offline its admissions are unconfirmed.
   */
  allReachable(eventId: string): boolean {
    const listed = this.#lists.get(eventId.toLowerCase()) ?? [];
    return listed.length > 0 && listed.every((p) => this.isReachable(p.deviceId));
  }

  /**
   * The last word from the least recently heard peer of the event's list (device clock, unix ms): up to
   * then this gate has every record those peers made. Peers not heard since this gate started do not
   * lower it (their records reach it through the cloud); undefined when no listed peer was heard.
   */
  lastWordAt(eventId: string): number | undefined {
    let oldest: number | undefined;
    for (const peer of this.#lists.get(eventId.toLowerCase()) ?? []) {
      const at = this.#lastHeardAt.get(peer.deviceId);
      if (at !== undefined && (oldest === undefined || at < oldest)) oldest = at;
    }
    return oldest;
  }

  #secondsSinceHeard(deviceId: string): number | null {
    const at = this.#lastHeard.get(deviceId);
    return at === undefined ? null : Math.max(0, (this.#now() - at) / 1000);
  }

  /** Listed and reachable peers over all events (each device once), for status and metrics. */
  summary(): PeerSummary {
    const byDevice = new Map<string, PeerListing>();
    for (const list of this.#lists.values()) for (const p of list) byDevice.set(p.deviceId, p);
    const peers = [...byDevice.values()]
      .sort((a, b) => (a.gateName ?? a.gateId).localeCompare(b.gateName ?? b.gateId))
      .map((p) => ({
        deviceId: p.deviceId,
        gateId: p.gateId,
        gateName: p.gateName,
        address: p.address,
        reachable: this.isReachable(p.deviceId),
        secondsSinceHeard: this.#secondsSinceHeard(p.deviceId),
      }));
    return { listed: peers.length, reachable: peers.filter((p) => p.reachable).length, peers };
  }
}
