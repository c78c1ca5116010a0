/**
 * Occupancy you can trust (issue 18), checked at the end of a run once the venue has healed and every
 * gate has exchanged admissions with the cloud: each side's occupancy is its own admission records folded
 * with shared/admission `occupancyOf` — each gate's `admission_log` (SQLite, read-only, the agents
 * stopped) and the cloud's `admissions` (PostgreSQL) — and the cloud's own SQL count
 * (cloud/services/occupancy.ts `eventOccupancy`, what `GET /events/{id}/occupancy` serves).
 *
 *  - occupancy-bounds: on every side, for every zone 0 ≤ inside ≤ admitted (the tickets a standing record
 *    ever moved into it), and the sum over zones ≤ unique holders inside ≤ tickets issued;
 *  - occupancy-converge: every gate's occupancy equals the cloud's fold exactly, and the cloud's SQL count
 *    equals its fold.
 *
 * A venue without zones is counted in its one implicit zone (`venue`).
 */
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Executor } from '../../cloud/db/client';
import { eventOccupancy } from '../../cloud/services/occupancy';
import {
  type AdmissionRecord,
  admissionStateOf,
  effectiveMovements,
  occupancyOf,
} from '../../shared/admission/history';
import { OUTSIDE, recordMove, type ZoneId } from '../../shared/admission/zones';
import type { Violation } from './invariants';
import type { SimCloud } from './sim-cloud';

/** An admission record with the ticket it is of. */
export type TicketRecord = AdmissionRecord & { serial: number };

export interface OccupancyState {
  /** Where a record without zones enters: the venue's first zone, or `venue`. */
  defaultZone: ZoneId;
  /** Every ticket of the event ever handed out (distinct serials). */
  ticketsIssued: number;
  cloud: TicketRecord[];
  /** The cloud's SQL occupancy per zone (zones with nobody inside left out); null when not read. */
  cloudSql: Record<string, number> | null;
  gates: Array<{ gate: number; records: TicketRecord[] }>;
}

/** The state the occupancy invariants judge, added to a scenario's snapshot. */
export interface WithOccupancy {
  occupancy: OccupancyState;
}

function historiesOf(records: readonly TicketRecord[]): TicketRecord[][] {
  const bySerial = new Map<number, TicketRecord[]>();
  for (const record of records) {
    const list = bySerial.get(record.serial);
    if (list) list.push(record);
    else bySerial.set(record.serial, [record]);
  }
  return [...bySerial.values()];
}

/** Per zone, the holders inside, as a plain sorted object (for comparing and printing). */
export function occupancyOfRecords(
  records: readonly TicketRecord[],
  defaultZone: ZoneId,
): Record<string, number> {
  const counted = occupancyOf(historiesOf(records), defaultZone);
  return Object.fromEntries([...counted].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The bounds on one side's records: 0 ≤ inside ≤ admitted per zone; sum ≤ unique inside ≤ issued. */
export function occupancyBoundsOf(
  side: string,
  records: readonly TicketRecord[],
  state: Pick<OccupancyState, 'defaultZone' | 'ticketsIssued'>,
  gate?: number,
): Violation[] {
  const found: Violation[] = [];
  const report = (message: string) =>
    found.push({
      invariant: 'occupancy-bounds',
      message: `${side}: ${message}`,
      ...(gate === undefined ? {} : { gate }),
    });
  const histories = historiesOf(records);
  const admitted = new Map<string, Set<number>>();
  for (const history of histories) {
    for (const record of effectiveMovements(history).movements) {
      const to = recordMove(record, state.defaultZone).to;
      if (to === OUTSIDE) continue;
      const tickets = admitted.get(to) ?? new Set<number>();
      tickets.add((record as TicketRecord).serial);
      admitted.set(to, tickets);
    }
  }
  let sum = 0;
  for (const [zone, inside] of Object.entries(occupancyOfRecords(records, state.defaultZone))) {
    const ever = admitted.get(zone)?.size ?? 0;
    if (zone === OUTSIDE) report(`outside is counted as a zone (${inside})`);
    if (inside < 0 || inside > ever)
      report(`zone ${zone}: ${inside} inside, but ${ever} ever admitted into it`);
    sum += inside;
  }
  const holders = histories.filter((history) => admissionStateOf(history, state.defaultZone).inside).length;
  if (sum > holders) report(`the zones hold ${sum}, but only ${holders} unique holders are inside`);
  if (holders > state.ticketsIssued)
    report(`${holders} holders inside, but only ${state.ticketsIssued} tickets issued`);
  return found;
}

/** occupancy-bounds on the cloud and on every gate. */
export function occupancyBounds(state: WithOccupancy): Violation[] {
  const { occupancy } = state;
  return [
    ...occupancyBoundsOf('cloud', occupancy.cloud, occupancy),
    ...occupancy.gates.flatMap((g) => occupancyBoundsOf(`gate ${g.gate}`, g.records, occupancy, g.gate)),
  ];
}

const shown = (occupancy: Record<string, number>) => JSON.stringify(occupancy);

/** occupancy-converge: every gate's fold and the cloud's SQL count equal the cloud's fold. */
export function occupancyConverge(state: WithOccupancy): Violation[] {
  const { occupancy } = state;
  const found: Violation[] = [];
  const cloud = occupancyOfRecords(occupancy.cloud, occupancy.defaultZone);
  if (occupancy.cloudSql !== null && shown(occupancy.cloudSql) !== shown(cloud))
    found.push({
      invariant: 'occupancy-converge',
      message: `the cloud's SQL occupancy ${shown(occupancy.cloudSql)} is not its records' ${shown(cloud)}`,
    });
  for (const { gate, records } of occupancy.gates) {
    const counted = occupancyOfRecords(records, occupancy.defaultZone);
    if (shown(counted) !== shown(cloud))
      found.push({
        invariant: 'occupancy-converge',
        gate,
        message: `occupancy ${shown(counted)} (${records.length} records), the cloud's ${shown(cloud)} (${occupancy.cloud.length} records)`,
      });
  }
  return found;
}

/** The occupancy invariants, in the order their violations are reported. */
export const OCCUPANCY_INVARIANTS = [occupancyBounds, occupancyConverge] as const;

interface RecordRow {
  origin: string;
  origin_seq: number | string;
  serial: number | string;
  direction: 'in' | 'out' | 'undo';
  at: number | string;
  gate_id: string;
  undoes_origin: string | null;
  undoes_origin_seq: number | string | null;
  from_zone?: string | null;
  to_zone?: string | null;
}

/** A stored row as the fold takes it; origins in lower case (a device id is one id in any case). */
function recordOf(row: RecordRow): TicketRecord {
  const record: TicketRecord = {
    origin: row.origin.toLowerCase(),
    originSeq: Number(row.origin_seq),
    serial: Number(row.serial),
    direction: row.direction,
    at: Number(row.at),
    gateId: row.gate_id.toLowerCase(),
  };
  if (row.undoes_origin !== null && row.undoes_origin_seq !== null)
    record.undoes = { origin: row.undoes_origin.toLowerCase(), originSeq: Number(row.undoes_origin_seq) };
  if (row.from_zone && row.to_zone) {
    record.fromZone = row.from_zone;
    record.toZone = row.to_zone;
  }
  return record;
}

/** A gate's admission log of the event (its zone columns when its store has them). */
export function readGateRecords(path: string, eventId: string): TicketRecord[] {
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 2_000 });
  try {
    const columns = new Set(
      (db.prepare('PRAGMA table_info(admission_log)').all() as Array<{ name: string }>).map((c) => c.name),
    );
    const zones = columns.has('from_zone') && columns.has('to_zone') ? ', from_zone, to_zone' : '';
    const rows = db
      .prepare(
        `SELECT origin, origin_seq, serial, direction, at, gate_id, undoes_origin, undoes_origin_seq${zones}
           FROM admission_log WHERE event_id = ?`,
      )
      .all(eventId.toLowerCase()) as RecordRow[];
    return rows.map(recordOf);
  } finally {
    db.close();
  }
}

/** The cloud's admission records of the event, its venue's default zone, its SQL occupancy, tickets issued. */
export async function readCloudOccupancy(
  cloud: SimCloud,
  scope: { tenantId: string; eventId: string; venueId: string },
): Promise<Omit<OccupancyState, 'gates'>> {
  const rows = await cloud.query<RecordRow>(
    `select origin, origin_seq, serial, direction, at_ms as at, gate_id::text as gate_id, undoes_origin,
            undoes_origin_seq, from_zone, to_zone
       from admissions where event_id = $1`,
    [scope.eventId],
  );
  const [issued] = await cloud.query<{ n: number }>(
    'select count(distinct serial)::int as n from tickets where event_id = $1',
    [scope.eventId],
  );
  const client = new pg.Client({ connectionString: cloud.databaseUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const counted = await eventOccupancy(drizzle(client) as unknown as Executor, scope);
    const cloudSql = Object.fromEntries(
      counted.zones
        .filter((zone) => zone.inside > 0)
        .map((zone) => [zone.id, zone.inside] as const)
        .sort(([a], [b]) => (a < b ? -1 : 1)),
    );
    const defaultZone = counted.zones[0]?.id ?? 'venue';
    return { defaultZone, ticketsIssued: issued?.n ?? 0, cloud: rows.map(recordOf), cloudSql };
  } finally {
    await client.end().catch(() => undefined);
  }
}
