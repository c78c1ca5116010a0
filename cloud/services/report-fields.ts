/**
 * Zod pieces the report schemas share (reconciliation, analytics, attendance, operations): how a
 * moment in time and a count look on the wire, documented once.
 */
import { z } from 'zod';

/** A moment as ISO 8601 UTC with milliseconds. */
export const Instant = z.string().meta({ example: '2027-06-01T21:14:03.250Z', description: 'ISO 8601 UTC' });

/** A number of things: an integer, never negative. */
export const count = z.number().int().min(0);
