/**
 * Prometheus metrics of one gate agent, in its own Registry (so several agents in one process — tests,
 * benchmarks — never collide in prom-client's global one): decisions and their latency by reason, scans
 * waiting for upload, manifest age per event, sync failures, time offline and since the last upload.
 * The same tallies feed the health report the gate sends the cloud (sync/sync-engine.ts): what the
 * cloud shows for this gate is what this endpoint says.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AdmissionReason } from '../../shared/admission/index';
import type { GateStore } from '../store/gate-store';
import type { ScanResponse } from '../verify/pipeline';
import { zoneOccupancyOf } from './zone-status';

/** What the sync engine knows about reaching the cloud (unix ms, device clock). */
export interface SyncFigures {
  online: boolean;
  /** Last successful contact with the cloud; null before the first. */
  lastContactAt: number | null;
  /** Last time the cloud acknowledged an upload; null before the first. */
  lastUploadAt: number | null;
}

/** Decision tallies since this agent started (the health report carries them to the cloud). */
export interface DecisionFigures {
  startedAt: number;
  accepted: number;
  rejected: number;
  rejectsByReason: Partial<Record<AdmissionReason, number>>;
  /** When the last scan was decided; null when none since start. */
  lastScanAt: number | null;
}

export interface GateMetrics {
  registry: Registry;
  observeDecision(response: ScanResponse): void;
  /** An accepted scan of this station was undone (issue 17). */
  observeUndo(): void;
  syncFailed(direction: 'pull' | 'upload' | 'report'): void;
  /** Connects the sync engine's state (offline time, last upload); before that the gate counts as offline. */
  attachSync(source: () => SyncFigures): void;
  /** Decisions since start, for the health report. */
  decisionFigures(): DecisionFigures;
  /** Seconds since the last successful contact with the cloud; 0 when online. */
  offlineSeconds(): number;
}

/** Gauges read from the store at scrape time: the upload queue, manifest ages, the standing counts. */
function registerStoreGauges(registry: Registry, store: GateStore, clock: () => number): void {
  new Gauge({
    name: 'gate_scans_pending_upload',
    help: 'Scans recorded but not yet acknowledged by the cloud.',
    registers: [registry],
    collect() {
      if (!store.closed) this.set(store.pendingUploads);
    },
  });
  new Gauge({
    name: 'gate_manifest_age_seconds',
    help: 'Seconds since the manifest of each event was last synced.',
    labelNames: ['event'] as const,
    registers: [registry],
    collect() {
      this.reset();
      if (store.closed) return;
      const now = clock();
      for (const state of store.syncStates()) {
        if (state.lastSyncAt !== null)
          this.set({ event: state.eventId }, Math.max(0, (now - state.lastSyncAt) / 1000));
      }
    },
  });
  registerZoneGauges(registry, store);
  new Gauge({
    name: 'gate_admitted',
    help: 'Entries accepted at this station that stand: an entry undone here is no longer counted.',
    registers: [registry],
    collect() {
      if (!store.closed) this.set(store.counters.admitted);
    },
  });
  new Gauge({
    name: 'gate_exited',
    help: 'Exits accepted at this station that stand: an exit undone here is no longer counted.',
    registers: [registry],
    collect() {
      if (!store.closed) this.set(store.counters.exited);
    },
  });
}

/**
 * Occupancy per zone of every event held, as this gate counts it (issue 18): `zone_occupancy` for every
 * zone (a venue without zones: its one implicit zone, `venue`), `zone_capacity` for zones with a limit.
 * The same names as the cloud's, so one alert rule reads either.
 */
function registerZoneGauges(registry: Registry, store: GateStore): void {
  const zonesByEvent = () =>
    store.closed
      ? []
      : store.syncStates().map((state) => ({
          eventId: state.eventId,
          zones: zoneOccupancyOf(store, state.eventId) ?? [],
        }));
  const labelNames = ['event_id', 'zone_id', 'zone'] as const;
  new Gauge({
    name: 'zone_occupancy',
    help: "Holders inside each zone as this gate counts them (its own, its peers' and the cloud's records).",
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const { eventId, zones } of zonesByEvent())
        for (const zone of zones)
          this.set({ event_id: eventId, zone_id: zone.id, zone: zone.name }, zone.inside);
    },
  });
  new Gauge({
    name: 'zone_capacity',
    help: 'The most holders each zone may hold at once (zones with a limit only).',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const { eventId, zones } of zonesByEvent())
        for (const zone of zones)
          if (zone.capacity !== null)
            this.set({ event_id: eventId, zone_id: zone.id, zone: zone.name }, zone.capacity);
    },
  });
}

export function createGateMetrics(store: GateStore, clock: () => number): GateMetrics {
  const registry = new Registry();
  const startedAt = clock();
  let syncSource: (() => SyncFigures) | undefined;
  const tallies: DecisionFigures = {
    startedAt,
    accepted: 0,
    rejected: 0,
    rejectsByReason: {},
    lastScanAt: null,
  };

  const latency = new Histogram({
    name: 'gate_decision_latency_seconds',
    help: 'Time from receiving a scanned code to its durable record, by decision and reason.',
    labelNames: ['decision', 'reason'] as const,
    // The target is p99 <= 1 ms (SPEC 9): resolution where it matters.
    buckets: [0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25],
    registers: [registry],
  });
  const decisions = new Counter({
    name: 'gate_decisions_total',
    help: 'Scan decisions since the agent started, by decision and reason.',
    labelNames: ['decision', 'reason'] as const,
    registers: [registry],
  });
  const undone = new Counter({
    name: 'gate_admissions_undone_total',
    help: 'Entries and exits undone at this station (Undo) since the agent started.',
    registers: [registry],
  });
  const failures = new Counter({
    name: 'gate_sync_failures_total',
    help: 'Failed manifest pulls, scan uploads and health reports.',
    labelNames: ['direction'] as const,
    registers: [registry],
  });
  registerStoreGauges(registry, store, clock);

  const offlineSeconds = (): number => {
    const figures = syncSource?.();
    if (figures?.online) return 0;
    // Never in touch since start: offline since start (the process cannot know about earlier).
    const since = figures?.lastContactAt ?? startedAt;
    return Math.max(0, (clock() - since) / 1000);
  };
  new Gauge({
    name: 'gate_offline_seconds',
    help: 'Seconds since the last successful contact with the cloud; 0 when online.',
    registers: [registry],
    collect() {
      this.set(offlineSeconds());
    },
  });
  new Gauge({
    name: 'gate_last_upload_age_seconds',
    help: 'Seconds since the cloud last acknowledged an upload of scans (absent before the first).',
    registers: [registry],
    collect() {
      this.reset();
      const last = syncSource?.().lastUploadAt;
      if (last !== null && last !== undefined) this.set(Math.max(0, (clock() - last) / 1000));
    },
  });

  return {
    registry,
    observeDecision(response) {
      const labels = { decision: response.decision, reason: response.reason };
      latency.observe(labels, response.latencyMs / 1000);
      decisions.inc(labels);
      tallies.lastScanAt = response.scannedAt;
      if (response.decision === 'accept') {
        tallies.accepted++;
      } else {
        tallies.rejected++;
        tallies.rejectsByReason[response.reason] = (tallies.rejectsByReason[response.reason] ?? 0) + 1;
      }
    },
    observeUndo() {
      // Decision tallies are counters of decisions made and never go down; the undo is counted here
      // and the standing entries are the gate_admitted gauge (and the status the scanner shows).
      undone.inc();
    },
    syncFailed(direction) {
      failures.inc({ direction });
    },
    attachSync(source) {
      syncSource = source;
    },
    decisionFigures() {
      return { ...tallies, rejectsByReason: { ...tallies.rejectsByReason } };
    },
    offlineSeconds,
  };
}
