/**
 * Zones and admission histories for tests of occupancy, the automatic check-out and reconciliation
 * (issue 18): a venue's zones and ticket types' zone lists through the zones API, and admission records
 * appended through the cloud's one writer (services/admissions.ts), so numbering, counts and checksums
 * are those of real records.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { AdmissionRecord } from '../../shared/admission/history';
import { parseRows, sqlNumber } from '../db/rows';
import { admissionHistoryOf, appendAdmissions } from '../services/admissions';
import type { SeededEvent, TestCloud } from './cloud';

export interface ZoneSpec {
  name: string;
  capacity?: number | null;
  restricted?: boolean;
}

/** Gives the seeded event's venue these zones, in this order, through the zones API; returns their ids. */
export async function addZones(cloud: TestCloud, seeded: SeededEvent, specs: ZoneSpec[]): Promise<string[]> {
  const ids: string[] = [];
  for (const spec of specs) {
    const response = await cloud.call('POST', `/api/v1/venues/${seeded.venueId}/zones`, {
      token: seeded.adminToken,
      body: {
        name: spec.name,
        ...(spec.capacity !== undefined ? { capacity: spec.capacity } : {}),
        ...(spec.restricted !== undefined ? { restricted: spec.restricted } : {}),
      },
    });
    if (response.status !== 201)
      throw new Error(`addZones: ${response.status} ${JSON.stringify(response.body)}`);
    ids.push(response.body.id as string);
  }
  return ids;
}

/** Sets the zones a ticket type may enter through the API (empty: every zone not restricted). */
export async function setTicketTypeZones(
  cloud: TestCloud,
  seeded: SeededEvent,
  ticketTypeId: string,
  zoneIds: string[],
): Promise<void> {
  const response = await cloud.call(
    'PATCH',
    `/api/v1/events/${seeded.eventId}/ticket-types/${ticketTypeId}`,
    {
      token: seeded.adminToken,
      body: { zones: zoneIds },
    },
  );
  if (response.status !== 200)
    throw new Error(`setTicketTypeZones: ${response.status} ${JSON.stringify(response.body)}`);
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
