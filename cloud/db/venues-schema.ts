/**
 * The venue side of the cloud schema: venues, their zones (issue 18) and their gates — each gate a passage
 * from one zone to another. Re-exported by ./schema.ts, which holds everything that happens at a venue.
 */
import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const tenantId = () => text('tenant_id').notNull();
const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull();
const updatedAt = () => timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull();

export const venues = pgTable(
  'venues',
  {
    id: uuid('id').primaryKey(),
    tenantId: tenantId(),
    name: text('name').notNull(),
    timezone: text('timezone').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('venues_tenant_idx').on(t.tenantId, t.id)],
);

/**
 * A zone of a venue (issue 18): an area people are counted in (a hall, a VIP lounge inside it, a terrace).
 * `position` orders them as the organiser listed them; the first is where a gate without a passage leads.
 */
export const venueZones = pgTable(
  'venue_zones',
  {
    id: uuid('id').primaryKey(),
    tenantId: tenantId(),
    venueId: uuid('venue_id')
      .notNull()
      .references(() => venues.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** Most people inside at once; null = no limit. */
    capacity: integer('capacity'),
    /** Entered only by ticket types that list it. */
    restricted: boolean('restricted').notNull().default(false),
    /** False: a holder who has been in the zone once may not enter it again. */
    reentry: boolean('reentry').notNull().default(true),
    position: integer('position').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('venue_zones_venue_idx').on(t.tenantId, t.venueId, t.position),
    uniqueIndex('venue_zones_name_idx').on(t.venueId, sql`lower(${t.name})`),
    check('venue_zones_capacity_check', sql`${t.capacity} is null or ${t.capacity} >= 0`),
  ],
);

export const gates = pgTable(
  'gates',
  {
    id: uuid('id').primaryKey(),
    tenantId: tenantId(),
    venueId: uuid('venue_id')
      .notNull()
      .references(() => venues.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** A free-text label (older API); the passage below is what decides. */
    zone: text('zone'),
    /** The passage (issue 18): from this zone (null = outside) to that one (null = the venue's first zone). */
    fromZoneId: uuid('from_zone_id').references(() => venueZones.id),
    toZoneId: uuid('to_zone_id').references(() => venueZones.id),
    createdAt: createdAt(),
  },
  (t) => [
    index('gates_venue_idx').on(t.tenantId, t.venueId, t.id),
    check(
      'gates_passage_check',
      sql`${t.fromZoneId} is null or ${t.toZoneId} is null or ${t.fromZoneId} <> ${t.toZoneId}`,
    ),
  ],
);
