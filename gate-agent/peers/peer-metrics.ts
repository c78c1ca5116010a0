/**
 * Prometheus metrics of gate-to-gate replication (issue 14), in the agent's registry: peers listed and
 * reachable, the LAN round trip, records learned from peers, messages refused and why, and the
 * admissions this gate decided unconfirmed (neither the cloud nor every peer in reach). An on-call
 * engineer reads "reachable < listed" as a LAN problem at the venue before it becomes a double entry.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { GateStore } from '../store/gate-store';
import type { PeerNode, PeerNodeOptions } from './peer-node';

export interface PeerMetrics {
  /** The hooks startPeerNode takes. */
  hooks: Required<Pick<PeerNodeOptions, 'onLearned' | 'onRoundTrip' | 'onRefused'>>;
  /** Connects the running node (peer counts are read from it at scrape time). */
  attach(node: PeerNode): void;
}

export function createPeerMetrics(registry: Registry, store: GateStore): PeerMetrics {
  let node: PeerNode | undefined;
  new Gauge({
    name: 'gate_peers_listed',
    help: 'Other gates of the events this gate serves, as the cloud-signed peer lists name them.',
    registers: [registry],
    collect() {
      this.set(node?.summary().listed ?? 0);
    },
  });
  new Gauge({
    name: 'gate_peers_reachable',
    help: 'Listed peers heard from within the last three heartbeats.',
    registers: [registry],
    collect() {
      this.set(node?.summary().reachable ?? 0);
    },
  });
  new Gauge({
    name: 'gate_unconfirmed_admissions',
    help: 'Admissions this gate decided while neither the cloud nor every listed peer was in reach.',
    registers: [registry],
    collect() {
      if (!store.closed) this.set(store.admissions.unconfirmedOwnCount());
    },
  });
  const roundTrip = new Histogram({
    name: 'gate_peer_round_trip_seconds',
    help: 'Round trip of one message to a peer and its signed answer.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5],
    registers: [registry],
  });
  const learned = new Counter({
    name: 'gate_peer_records_received_total',
    help: 'Admission records heard from peers that were new here.',
    registers: [registry],
  });
  const refused = new Counter({
    name: 'gate_peer_messages_refused_total',
    help: 'Peer messages or records refused, by why (unknown-peer, bad-signature, stale, bad-record, …).',
    labelNames: ['why'] as const,
    registers: [registry],
  });
  return {
    hooks: {
      onLearned: (records) => learned.inc(records.length),
      onRoundTrip: (ms) => roundTrip.observe(ms / 1000),
      onRefused: (why) => refused.inc({ why }),
    },
    attach(running) {
      node = running;
    },
  };
}
