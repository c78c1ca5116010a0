/**
 * The peer list of each event (issue 14), as the cloud's signed manifest pages carried it: the other gate
 * devices of the venue this gate may exchange admission records with, their public keys, their gates and
 * the address each last reported. Replaced whole by every page that carries it; read by the peer
 * directory (gate-agent/peers) when the agent starts and after each pull.
 */
import { eq } from 'drizzle-orm';
import type { ManifestPeer } from '../../shared/sync-protocol/index';
import type { StoreConnection } from './connection';
import * as schema from './schema';

export class PeerList {
  readonly #connection: StoreConnection;

  constructor(connection: StoreConnection) {
    this.#connection = connection;
  }

  /** Replaces an event's peers (part of the page's transaction). */
  replace(eventId: string, peers: readonly ManifestPeer[]): void {
    const { db } = this.#connection;
    db.delete(schema.peers).where(eq(schema.peers.eventId, eventId)).run();
    for (const peer of peers) {
      db.insert(schema.peers)
        .values({
          eventId,
          deviceId: peer.deviceId.toLowerCase(),
          publicKey: peer.publicKey,
          gateId: peer.gateId.toLowerCase(),
          gateName: peer.gateName,
          address: peer.address,
        })
        .onConflictDoNothing()
        .run();
    }
  }

  /** Every event's peers. */
  all(): Map<string, ManifestPeer[]> {
    const byEvent = new Map<string, ManifestPeer[]>();
    for (const row of this.#connection.db.select().from(schema.peers).orderBy(schema.peers.deviceId).all()) {
      const list = byEvent.get(row.eventId) ?? [];
      list.push({
        deviceId: row.deviceId,
        publicKey: row.publicKey,
        gateId: row.gateId,
        gateName: row.gateName,
        address: row.address,
      });
      byEvent.set(row.eventId, list);
    }
    return byEvent;
  }
}
