/**
 * Occupancy metrics (issue 18): per live event and zone, `zone_occupancy` (holders inside now) and
 * `zone_capacity` (only for zones that have one), read at scrape time from the cloud's admission history
 * (services/occupancy.ts liveOccupancySamples: published events whose doors are open, or that had an
 * admission in the last six hours; at most 50). The alert rules divide one by the other
 * (deploy/prometheus/alerts.yml ZoneNearCapacity, ZoneOverCapacity). With several cloud replicas every
 * replica exports the same series: aggregate with max by (…), not sum.
 *
 * One query per scrape feeds both gauges (the first collect() starts it, the other shares it).
 */
import type { Registry } from 'prom-client';
import type { ZoneOccupancySample } from '../../services/occupancy';
import { collectedGauge, type Scrape } from './scrape';

const ZONE_LABELS = ['event_id', 'zone_id', 'zone'] as const;

function labelsOf(sample: ZoneOccupancySample) {
  return { event_id: sample.eventId, zone_id: sample.zoneId, zone: sample.zone };
}

export function registerOccupancyGauges(registry: Registry, scrape: Scrape): void {
  let inFlight: Promise<ZoneOccupancySample[]> | undefined;
  const zoneSamples = (): Promise<ZoneOccupancySample[]> => {
    if (!inFlight) {
      const source = scrape.sources.zoneOccupancy;
      inFlight = (source ? scrape.read('zone_occupancy', source) : Promise.resolve(undefined))
        .then((rows) => rows ?? [])
        .finally(() => {
          inFlight = undefined;
        });
    }
    return inFlight;
  };
  collectedGauge(registry, {
    name: 'zone_occupancy',
    help:
      'Holders inside each zone now, per live event (published, doors open or an admission in the last 6 h; ' +
      'zone_id "venue" for a venue without zones)',
    labelNames: ZONE_LABELS,
    async samples() {
      return (await zoneSamples()).map((s) => ({ labels: labelsOf(s), value: s.inside }));
    },
  });
  collectedGauge(registry, {
    name: 'zone_capacity',
    help: 'Capacity of each zone that has one, per live event (same events as zone_occupancy)',
    labelNames: ZONE_LABELS,
    async samples() {
      return (await zoneSamples()).flatMap((s) =>
        s.capacity === null ? [] : [{ labels: labelsOf(s), value: s.capacity }],
      );
    },
  });
}
