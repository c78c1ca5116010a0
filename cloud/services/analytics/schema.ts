/**
 * Venue and customer analytics as zod schemas: the service's types are inferred from them and the
 * reports route documents its responses with them (zod metadata names the OpenAPI components).
 */
import { z } from 'zod';
import { count, Instant } from '../report-fields';

/** Money of one currency (revenue is never summed across currencies). */
export const RevenueSchema = z
  .object({
    currency: z.string(),
    orders: count,
    grossCents: z.number().int(),
    refundedCents: z.number().int(),
    netCents: z.number().int(),
  })
  .meta({ id: 'Revenue' });
export type Revenue = z.infer<typeof RevenueSchema>;

export const VenueAnalyticsSchema = z
  .object({
    venueId: z.uuid(),
    venueName: z.string(),
    timezone: z.string(),
    /** The range of event start times asked for (null = open). */
    from: Instant.nullable(),
    to: Instant.nullable(),
    /** Published and cancelled events (drafts were never on sale). */
    events: count,
    cancelledEvents: count,
    ticketsSold: count,
    ticketsValid: count,
    ticketsRevoked: count,
    revenue: z.array(RevenueSchema),
    attendance: z.object({ validTickets: count, admitted: count, rate: z.number().nullable() }),
    peakEntryMinute: z.object({ minute: Instant, entries: count, eventId: z.string().nullable() }).nullable(),
    byEvent: z.array(
      z.object({
        eventId: z.uuid(),
        name: z.string(),
        status: z.enum(['published', 'cancelled']),
        startsAt: Instant,
        ticketsSold: count,
        ticketsValid: count,
        admitted: count,
        /** Null until doors open, or when no valid ticket exists. */
        attendanceRate: z.number().nullable(),
        revenue: z.array(RevenueSchema),
      }),
    ),
  })
  .meta({ id: 'VenueAnalytics' });
export type VenueAnalytics = z.infer<typeof VenueAnalyticsSchema>;

export const CustomerAnalyticsSchema = z
  .object({
    customerId: z.string(),
    orders: count,
    firstOrderAt: Instant.nullable(),
    lastOrderAt: Instant.nullable(),
    spend: z.array(RevenueSchema),
    tickets: z.object({
      /** Tickets the customer holds now (bought or received). */
      held: count,
      valid: count,
      revoked: count,
      /** Tickets of the customer's orders now held by someone else. */
      transferredAway: count,
    }),
    attendance: z.object({
      eventsAttended: count,
      validTickets: count,
      admitted: count,
      rate: z.number().nullable(),
    }),
    /** The events the customer held tickets for. */
    events: z.array(
      z.object({
        eventId: z.uuid(),
        name: z.string(),
        startsAt: Instant,
        tickets: count,
        validTickets: count,
        admitted: count,
      }),
    ),
  })
  .meta({ id: 'CustomerAnalytics' });
export type CustomerAnalytics = z.infer<typeof CustomerAnalyticsSchema>;

/** The customer ids the API accepts (the `sub` claims of user JWTs, cloud/http/auth.ts). */
export const CUSTOMER_ID = /^[A-Za-z0-9._:@|-]{1,128}$/;
