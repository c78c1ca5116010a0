/**
 * The gate-fleet metrics: per gate and device, the figures of each gate's latest health report
 * (services/gate-health.ts), read at scrape time. With several cloud replicas every replica exports the
 * same per-gate series (they come from the shared database): aggregate them with max by (…), not sum.
 * The gate's counts since its agent started (decisions, accepts, rejects) are counters (`_total`, a
 * restart is a reset); the rest are gauges.
 *
 * One query per scrape feeds every gauge below: prom-client starts every collect() of a scrape in the
 * same tick, so the first one starts the query and the others share it until it settles; the next scrape
 * reads afresh.
 */
import type { Registry } from 'prom-client';
import type { GateHealthSample } from '../../services/gate-health';
import { collectedCounter, collectedGauge, type Scrape } from './scrape';

const GATE_LABELS = ['tenant', 'venue', 'gate', 'device'] as const;

function labelsOf(sample: GateHealthSample) {
  return { tenant: sample.tenantId, venue: sample.venueId, gate: sample.gateId, device: sample.deviceId };
}

interface Figure {
  name: string;
  help: string;
  value: (sample: GateHealthSample) => number | undefined;
}

/** The per-gate gauges with one value per device: name, help, and the figure (undefined: no series). */
const PER_GATE_FIGURES: ReadonlyArray<{
  name: string;
  help: string;
  value: (sample: GateHealthSample) => number | undefined;
}> = [
  {
    name: 'gate_last_report_age_seconds',
    help: 'Seconds since the cloud received this gate device’s latest health report',
    value: (s) => s.lastReportAgeSeconds,
  },
  {
    name: 'gate_reported_manifest_age_seconds',
    help: 'Manifest age the gate reported, oldest of its events (seconds, as of the report)',
    value: (s) => {
      const ages = s.report.events.map((e) => e.manifestAgeSeconds).filter((a): a is number => a !== null);
      return ages.length > 0 ? Math.max(...ages) : undefined;
    },
  },
  {
    name: 'gate_reported_pending_uploads',
    help: 'Scans the gate reported as recorded but not yet acknowledged by the cloud',
    value: (s) => s.report.pendingUploads,
  },
  {
    name: 'gate_reported_offline_seconds',
    help: 'Seconds without cloud contact the gate reported (0 = it was online)',
    value: (s) => s.report.offlineSeconds,
  },
  {
    name: 'gate_reported_clock_skew_seconds',
    help: 'cloud − device clock the gate last measured (seconds; positive = the gate is behind)',
    value: (s) => s.report.clockOffsetMs / 1000,
  },
];

/** The per-gate counters: counts since the gate's agent started (a restart starts them from zero). */
const PER_GATE_COUNTS: ReadonlyArray<Figure & { name: `${string}_total` }> = [
  {
    name: 'gate_reported_decisions_total',
    help: 'Scan decisions (accepted + rejected) the gate reported since its agent started',
    value: (s) => s.report.decisions.accepted + s.report.decisions.rejected,
  },
  {
    name: 'gate_reported_accepts_total',
    help: 'Accepted scans the gate reported since its agent started',
    value: (s) => s.report.decisions.accepted,
  },
];

/** Registers `gate_device_info`, the per-gate gauges and counters and `gate_reported_rejects_total`. */
export function registerGateFleetGauges(registry: Registry, scrape: Scrape): void {
  let inFlight: Promise<GateHealthSample[]> | undefined;
  const gateSamples = (): Promise<GateHealthSample[]> => {
    if (!inFlight) {
      const source = scrape.sources.gateReports;
      inFlight = (source ? scrape.read('gate_reports', source) : Promise.resolve(undefined))
        .then((rows) => rows ?? [])
        .finally(() => {
          inFlight = undefined;
        });
    }
    return inFlight;
  };

  collectedGauge(registry, {
    name: 'gate_device_info',
    help: 'Names behind the tenant/venue/gate/device ids of the per-gate gauges (value 1; join on the ids)',
    labelNames: [...GATE_LABELS, 'venue_name', 'gate_name', 'device_name', 'agent_version'] as const,
    async samples() {
      return (await gateSamples()).map((s) => ({
        labels: {
          ...labelsOf(s),
          venue_name: s.venueName,
          gate_name: s.gateName,
          device_name: s.deviceName,
          agent_version: s.report.agentVersion,
        },
        value: 1,
      }));
    },
  });
  const perGate = (figure: Figure) => async () =>
    (await gateSamples()).flatMap((s) => {
      const value = figure.value(s);
      return value === undefined ? [] : [{ labels: labelsOf(s), value }];
    });
  for (const figure of PER_GATE_FIGURES) {
    collectedGauge(registry, { ...figure, labelNames: GATE_LABELS, samples: perGate(figure) });
  }
  for (const figure of PER_GATE_COUNTS) {
    collectedCounter(registry, { ...figure, labelNames: GATE_LABELS, samples: perGate(figure) });
  }
  collectedCounter(registry, {
    name: 'gate_reported_rejects_total',
    help: 'Rejected scans the gate reported since its agent started, by reason',
    labelNames: [...GATE_LABELS, 'reason'] as const,
    async samples() {
      return (await gateSamples()).flatMap((s) =>
        Object.entries(s.report.rejectsByReason).flatMap(([reason, value]) =>
          value === undefined ? [] : [{ labels: { ...labelsOf(s), reason }, value }],
        ),
      );
    },
  });
}
