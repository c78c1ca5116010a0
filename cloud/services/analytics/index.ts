/**
 * Venue and customer analytics (SPEC section 4, the seeds' analytics): venue.ts, customer.ts, what they
 * count alike (figures.ts), and the schemas of their answers (schema.ts).
 */
export { customerAnalytics } from './customer';
export {
  CUSTOMER_ID,
  type CustomerAnalytics,
  CustomerAnalyticsSchema,
  type Revenue,
  type VenueAnalytics,
  VenueAnalyticsSchema,
} from './schema';
export { venueAnalytics } from './venue';
