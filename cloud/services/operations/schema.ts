/**
 * The event operations view as zod schemas: the service's types are inferred from them and the
 * operations route documents its response with them.
 */
import { z } from 'zod';
import { EventOccupancySchema } from '../occupancy';

const isoOrNull = z.string().nullable();
const Health = z.enum(['ok', 'warning', 'critical']);

export const DeviceOperationsSchema = z.object({
  deviceId: z.uuid(),
  name: z.string(),
  connection: z.enum(['online', 'late', 'offline', 'never']),
  health: Health,
  /** Human-readable reasons for a health other than ok. */
  problems: z.array(z.string()),
  /** Last time the cloud heard from the device (any sync call, upload or report), ISO 8601. */
  lastContactAt: isoOrNull,
  lastContactAgeSeconds: z.number().nullable(),
  lastReportAt: isoOrNull,
  /** This event's manifest age now: as reported plus the time since the report. */
  manifestAgeSeconds: z.number().nullable(),
  manifestSeq: z.number().int().nullable(),
  /** Scans waiting for upload, as of the latest report. */
  pendingUploads: z.number().int().nullable(),
  /** When the cloud last stored an upload from the device (cloud clock), ISO 8601. */
  lastUploadAt: isoOrNull,
  lastUploadAgeSeconds: z.number().nullable(),
  /** cloud − device clock in ms (positive: the device is behind). */
  clockSkewMs: z.number().nullable().meta({ description: 'cloud − device clock (positive: behind)' }),
  /** The device's own view: seconds without cloud contact (0 = online) at its latest report. */
  reportedOfflineSeconds: z.number().nullable(),
  agentVersion: z.string().nullable(),
  /** Decisions since the agent started, as reported. */
  decisions: z.object({ accepted: z.number().int(), rejected: z.number().int() }).nullable(),
});
export type DeviceOperations = z.infer<typeof DeviceOperationsSchema>;

export const GateOperationsSchema = z.object({
  gateId: z.uuid(),
  name: z.string(),
  zone: z.string().nullable(),
  /** ok/warning/critical, or idle when no device serves this event at the gate. */
  health: z.enum(['ok', 'warning', 'critical', 'idle']),
  /** Distinct tickets admitted through this gate (attendance). */
  admitted: z.number().int(),
  /** Scans of this event the cloud holds from this gate. */
  accepted: z.number().int(),
  rejected: z.number().int(),
  devices: z.array(DeviceOperationsSchema),
});
export type GateOperations = z.infer<typeof GateOperationsSchema>;

/** Sold, arrived and inside: see arrivals.ts for the exact meaning of each. */
const ArrivalCounts = {
  /** Valid issued tickets (not refunded, revoked or cancelled). */
  sold: z.number().int(),
  /** Sold tickets with at least one effective entry. */
  arrived: z.number().int(),
  /** Sold tickets whose latest effective movement is an entry. */
  inside: z.number().int(),
};

export const EventArrivalsSchema = z
  .object({
    ...ArrivalCounts,
    byTicketType: z.array(
      z.object({ ticketTypeId: z.uuid(), typeNo: z.number().int(), name: z.string(), ...ArrivalCounts }),
    ),
  })
  .meta({ id: 'EventArrivals' });
export type EventArrivals = z.infer<typeof EventArrivalsSchema>;

export const EventOperationsSchema = z
  .object({
    event: z.object({
      id: z.uuid(),
      name: z.string(),
      status: z.string(),
      venueId: z.uuid(),
      venueName: z.string(),
      timezone: z.string(),
      startsAt: z.string(),
      endsAt: z.string(),
      doorsOpenAt: isoOrNull,
    }),
    generatedAt: z.string(),
    totals: z.object({
      admitted: z.number().int(),
      inside: z.number().int(),
      accepted: z.number().int(),
      rejected: z.number().int(),
      pendingUploads: z.number().int(),
      devices: z.number().int(),
      devicesOnline: z.number().int(),
      gates: z.object({
        ok: z.number().int(),
        warning: z.number().int(),
        critical: z.number().int(),
        idle: z.number().int(),
      }),
    }),
    /** Arrived of sold, per ticket type and in total, from the admission history (issue 17). */
    arrivals: EventArrivalsSchema,
    /** Who is in which zone now (issue 18): the same answer as GET /events/{id}/occupancy. */
    occupancy: EventOccupancySchema,
    gates: z.array(GateOperationsSchema),
    /** Entries per minute for the last CHART_MINUTES minutes, oldest first, every minute present. */
    perMinute: z.array(z.object({ minute: z.string(), entries: z.number().int() })),
    /** Rejections of this event's scans held by the cloud, most frequent first. */
    rejectReasons: z.array(z.object({ reason: z.string(), count: z.number().int() })),
  })
  .meta({ id: 'EventOperations' });
export type EventOperations = z.infer<typeof EventOperationsSchema>;
