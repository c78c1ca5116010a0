/**
 * Zones through the real agent (issue 18): a gate agent started on a data directory holding a venue with
 * a hall and a lounge shows its passage, the occupancy it counts and how old that count is in
 * GET /api/status and as `zone_occupancy` / `zone_capacity` in /metrics; after a restart it counts the
 * same from its log. Offline: the agent has no cloud at all.
 */
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGateAgent } from './agent';
import { pullEvent } from './sync/pull';
import { ManifestFixture } from './test-support/manifest-fixture';
import { fixtureTransport, type TempStore, tempStore } from './test-support/stores';

const logger = pino({ level: 'silent' });
const LOUNGE_DOOR = randomUUID();
const HALL = randomUUID();
const LOUNGE = randomUUID();
const PULLED_AT = Date.UTC(2026, 5, 1, 18);

let temp: TempStore;
let fixture: ManifestFixture;

beforeEach(async () => {
  temp = tempStore();
  fixture = new ManifestFixture({ now: PULLED_AT });
  fixture.event = {
    ...fixture.event,
    name: 'Spring gala',
    zones: [
      { id: HALL, name: 'Main hall', capacity: 500, restricted: false, reentry: true },
      { id: LOUNGE, name: 'VIP lounge', capacity: 2, restricted: false, reentry: true },
    ],
    gates: [{ id: LOUNGE_DOOR, name: 'Lounge door', fromZoneId: HALL, toZoneId: LOUNGE }],
  };
  for (let serial = 1; serial <= 5; serial++) fixture.issue(serial);
  // Three in the hall by the cloud's records, one of them from before zones.
  fixture.admit(1, { fromZone: 'outside', toZone: HALL });
  fixture.admit(2, { fromZone: 'outside', toZone: HALL });
  fixture.admit(3);
  temp.store.updateSettings({ gateId: LOUNGE_DOOR, gateName: 'Lounge door' });
  await pullEvent(fixture.eventId, {
    store: temp.store,
    fetchPage: fixtureTransport(fixture),
    clock: () => PULLED_AT,
  });
  temp.store.close();
});

afterEach(() => temp.cleanup());

async function metricLines(url: string, name: string): Promise<string[]> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`))
    .sort();
}

describe('zones at a real agent', () => {
  it('status and metrics show the passage and the counts; a restart counts the same', async () => {
    let now = PULLED_AT + 60_000;
    const agent = await startGateAgent({ dataDir: temp.dir, port: 0, logger, clock: () => now });
    try {
      expect((await agent.scan(fixture.tokens.get(1)!, 'in')).reason).toBe('OK');
      now += 1_000;
      expect((await agent.scan(fixture.tokens.get(2)!, 'in')).reason).toBe('OK');
      now += 1_000;
      expect(await agent.scan(fixture.tokens.get(3)!, 'in')).toMatchObject({
        reason: 'ZONE_FULL',
        zone: { id: LOUNGE, name: 'VIP lounge', capacity: 2, inside: 2 },
      });
      const status = (await (await fetch(`${agent.url}/api/status`)).json()) as {
        events: Record<string, unknown>[];
      };
      expect(status.events[0]).toMatchObject({
        id: fixture.eventId,
        passage: { from: { id: HALL, name: 'Main hall' }, to: { id: LOUNGE, name: 'VIP lounge' } },
        zones: [
          { id: HALL, name: 'Main hall', inside: 1, capacity: 500 },
          { id: LOUNGE, name: 'VIP lounge', inside: 2, capacity: 2 },
        ],
        // No peers: the count is as old as the last pull.
        occupancyAsOf: PULLED_AT,
      });
      const occupancy = await metricLines(agent.url, 'zone_occupancy');
      expect(occupancy).toEqual(
        [
          `zone_occupancy{event_id="${fixture.eventId}",zone_id="${HALL}",zone="Main hall"} 1`,
          `zone_occupancy{event_id="${fixture.eventId}",zone_id="${LOUNGE}",zone="VIP lounge"} 2`,
        ].sort(),
      );
      expect(await metricLines(agent.url, 'zone_capacity')).toContain(
        `zone_capacity{event_id="${fixture.eventId}",zone_id="${LOUNGE}",zone="VIP lounge"} 2`,
      );
    } finally {
      await agent.close();
    }
    const again = await startGateAgent({ dataDir: temp.dir, port: 0, logger, clock: () => now });
    try {
      const [event] = (await again.status()).events;
      expect(event?.zones).toEqual([
        { id: HALL, name: 'Main hall', inside: 1, capacity: 500 },
        { id: LOUNGE, name: 'VIP lounge', inside: 2, capacity: 2 },
      ]);
    } finally {
      await again.close();
    }
  });
});
