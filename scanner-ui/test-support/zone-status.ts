/**
 * A zoned agent's status for the scripted agent (issue 18): the Lounge Door of a venue with a Hall, a
 * VIP Lounge inside it and a Terrace — its passage Hall → VIP Lounge, each zone's count, and how old the
 * count is. The fields a gate agent with zones adds to `GET /api/status` (src/agent-api.ts).
 */
import type { AgentStatus, EventStatus, ZoneStatus } from '../src/agent-api';
import { DEFAULT_STATUS } from './scripted-agent';

export const LOUNGE_DOOR = { id: 'gate-lounge', name: 'Lounge Door' } as const;
export const HALL_ZONE = { id: 'z-hall', name: 'Hall' } as const;
export const LOUNGE_ZONE = { id: 'z-lounge', name: 'VIP Lounge' } as const;
export const TERRACE_ZONE = { id: 'z-terrace', name: 'Terrace' } as const;

export interface LoungeCounts {
  hall?: number;
  lounge: number;
  terrace?: number;
  /** How old the count is, ms before now (the agent's `occupancyAsOf`). */
  ageMs?: number;
}

/** The event's zone fields: passage Hall → VIP Lounge, the three zones counted. */
export function loungeEvent(counts: LoungeCounts, now = Date.now()): Partial<EventStatus> {
  const zones: ZoneStatus[] = [
    { ...HALL_ZONE, inside: counts.hall ?? 312, capacity: 500 },
    { ...LOUNGE_ZONE, inside: counts.lounge, capacity: 40 },
    { ...TERRACE_ZONE, inside: counts.terrace ?? 57, capacity: null },
  ];
  return {
    passage: { from: HALL_ZONE, to: LOUNGE_ZONE },
    zones,
    occupancyAsOf: now - (counts.ageMs ?? 20_000),
  };
}

/** The whole status of the Lounge Door with these counts. */
export function loungeDoorStatus(counts: LoungeCounts, now = Date.now()): AgentStatus {
  return {
    ...DEFAULT_STATUS,
    gate: { ...LOUNGE_DOOR },
    counters: { accepted: 212, admitted: 212, rejected: 7 },
    venueTimeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    events: [
      {
        id: 'e1',
        name: 'Summer Gala 2026',
        manifestSeq: 880,
        tickets: 880,
        manifestAgeSeconds: 8,
        ...loungeEvent(counts, now),
      },
    ],
  };
}
