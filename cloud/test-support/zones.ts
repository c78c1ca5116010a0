/**
 * Zones and admission histories for tests of occupancy, the automatic check-out and reconciliation
 * (issue 18): a venue's zones written as rows (as the zones API stores them), ticket types' zone lists,
 * and admission records appended through the cloud's one writer (services/admissions.ts), so numbering,
 * counts and checksums are those of real records.
 */
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { AdmissionRecord } from '../../shared/admission/history';
import { parseRows, sqlNumber } from '../db/rows';
import { ticketTypes } from '../db/schema';
import { venueZones } from '../db/venues-schema';
import { admissionHistoryOf, appendAdmissions } from '../services/admissions';
import type { SeededEvent, TestCloud } from './cloud';

export interface ZoneSpec {
  name: string;
  capacity?: number | null;
  restricted?: boolean;
}

/** Gives the seeded event's venue these zones, in this order; returns their ids. */
export async function addZones(cloud: TestCloud, seeded: SeededEvent, specs: ZoneSpec[]): Promise<string[]> {
  const ids = specs.map(() => randomUUID());
  const at = new Date(cloud.now());
  await cloud.services.db.insert(venueZones).values(
    specs.map((spec, position) => ({
      id: ids[position]!,
      tenantId: seeded.tenant,
      venueId: seeded.venueId,
      name: spec.name,
      capacity: spec.capacity ?? null,
      restricted: spec.restricted ?? false,
      position,
      createdAt: at,
      updatedAt: at,
    })),
  );
  return ids;
}

/** Sets the zones a ticket type may enter (null: every zone not restricted). */
export async function setTicketTypeZones(
  cloud: TestCloud,
  ticketTypeId: string,
  zoneIds: string[] | null,
): Promise<void> {
  await cloud.services.db.update(ticketTypes).set({ zoneIds }).where(eq(ticketTypes.id, ticketTypeId));
}

/** One record of a ticket's history as a test writes it. */
export type TestRecord = Omit<AdmissionRecord, 'gateId'> & { serial: number; gateId?: string };

/** Appends records to the event's history, in the order given (gate `gateIds[0]` unless named). */
export async function writeAdmissions(cloud: TestCloud, seeded: SeededEvent, records: TestRecord[]) {
  await appendAdmissions(cloud.services.db, {
    eventId: seeded.eventId,
    now: new Date(cloud.now()),
    records: records.map((r) => ({
      serial: r.serial,
      origin: r.origin,
      originSeq: r.originSeq,
      direction: r.direction,
      undoes: r.undoes,
      fromZone: r.fromZone ?? null,
      toZone: r.toZone ?? null,
      atMs: r.at,
      gateId: r.gateId ?? seeded.gateIds[0]!,
      gateName: r.gateName ?? null,
      unconfirmed: r.unconfirmed ?? false,
      source: 'gate',
      deviceId: null,
      deviceSeq: null,
    })),
  });
}

/** The serials of the event's tickets (of one ticket type when given), in order. */
export async function serialsOf(cloud: TestCloud, seeded: SeededEvent, ticketTypeId?: string) {
  const rows = await cloud.services.db.execute(sql`
    select serial from tickets where event_id = ${seeded.eventId}::uuid
      ${ticketTypeId ? sql`and ticket_type_id = ${ticketTypeId}::uuid` : sql``} order by serial`);
  return parseRows(z.object({ serial: sqlNumber }), rows).map((r) => r.serial);
}

/** Every ticket's history as the cloud holds it (what the shared fold takes). */
export async function historiesOf(cloud: TestCloud, seeded: SeededEvent, serials: readonly number[]) {
  return Promise.all(
    serials.map((serial) =>
      admissionHistoryOf(cloud.services.db, { tenantId: seeded.tenant, eventId: seeded.eventId }, serial),
    ),
  );
}
