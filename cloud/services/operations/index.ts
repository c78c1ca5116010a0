/**
 * The event operations view (issue 9): event-operations.ts puts it together, device-health.ts judges
 * each device, schema.ts is the shape of the answer.
 */

export { eventArrivals, ticketPresence } from './arrivals';
export {
  BACKLOG_WARNING,
  CLOCK_SKEW_WARNING_SECONDS,
  judgeDevice,
  MANIFEST_STALE_SECONDS,
  OFFLINE_AFTER_SECONDS,
  ONLINE_WITHIN_SECONDS,
  UPLOAD_STALE_SECONDS,
} from './device-health';
export { CHART_MINUTES, eventOperations } from './event-operations';
export {
  type DeviceOperations,
  type EventArrivals,
  EventArrivalsSchema,
  type EventOperations,
  EventOperationsSchema,
  type GateOperations,
} from './schema';
