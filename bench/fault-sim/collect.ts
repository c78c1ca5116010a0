/**
 * Reads the state the invariant checker judges: each gate's SQLite store (opened read-only, the way
 * an inspector would, without the agent's migrations or writes) and the cloud's PostgreSQL, and puts
 * them together with what the crowd was told. Also the small read the run makes while it goes: which
 * revocations a gate's live manifest already shows.
 */
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Executor } from '../../cloud/db/client';
import { manifestTotals } from '../../cloud/services/manifest-totals';
import { manifestChecksum } from '../../shared/sync-protocol/index';
import type { Stage } from './scenario';
import type { SimCloud } from './sim-cloud';
import type { CloudState, GateScanRow, GateState, ManifestTotals, SimState } from './sim-state';

function openReadOnly(path: string): Database.Database {
  return new Database(path, { readonly: true, fileMustExist: true, timeout: 2_000 });
}

/** One gate's log, upload cursor and live manifest. The agent should be stopped (or at least idle). */
export function readGateState(path: string, gate: number, eventId: string): GateState {
  const db = openReadOnly(path);
  try {
    const deviceId =
      (db.prepare('SELECT device_id FROM device WHERE id = 1').pluck().get() as string | null) ?? '';
    const scans = (
      db
        .prepare('SELECT seq, id, decision, reason, direction, event_id, serial FROM scans ORDER BY seq')
        .all() as Array<{
        seq: number;
        id: string;
        decision: 'accept' | 'reject';
        reason: string;
        direction: 'in' | 'out';
        event_id: string | null;
        serial: number | null;
      }>
    ).map(
      (r): GateScanRow => ({
        seq: r.seq,
        id: r.id,
        decision: r.decision,
        reason: r.reason,
        direction: r.direction,
        eventId: r.event_id,
        serial: r.serial,
      }),
    );
    const ackedSeq =
      (db.prepare('SELECT acked_seq FROM upload_cursor WHERE id = 1').pluck().get() as number | undefined) ??
      0;
    const cursor = db
      .prepare('SELECT epoch, after, row_count, checksum, live_copy FROM sync_cursors WHERE event_id = ?')
      .get(eventId.toLowerCase()) as
      | { epoch: string; after: number; row_count: number; checksum: string; live_copy: number }
      | undefined;
    const rows = cursor
      ? (db
          .prepare(
            'SELECT serial, type_no, generation, status, digest FROM tickets WHERE event_id = ? AND copy = ?',
          )
          .all(eventId.toLowerCase(), cursor.live_copy) as Array<{
          serial: number;
          type_no: number;
          generation: number;
          status: 'valid' | 'revoked';
          digest: string;
        }>)
      : [];
    return {
      gate,
      deviceId,
      scans,
      ackedSeq,
      cursor: cursor
        ? { epoch: cursor.epoch, after: cursor.after, rowCount: cursor.row_count, checksum: cursor.checksum }
        : null,
      live: {
        rowCount: rows.length,
        checksum: manifestChecksum(rows.map((r) => ({ ...r, typeNo: r.type_no }))),
      },
    };
  } finally {
    db.close();
  }
}

/**
 * Which of `serials` the gate's live manifest shows as revoked, or at a generation above `generation`
 * (a transfer). Undefined when the store cannot be read right now (the agent is restarting).
 */
export function liveTicketStates(
  path: string,
  eventId: string,
  serials: readonly number[],
): Map<number, { generation: number; status: string }> | undefined {
  if (serials.length === 0) return new Map();
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: 200 });
    const rows = db
      .prepare(
        `SELECT t.serial, t.generation, t.status FROM tickets t
           JOIN sync_cursors c ON c.event_id = t.event_id AND c.live_copy = t.copy
          WHERE t.event_id = ? AND t.serial IN (${serials.map(() => '?').join(',')})`,
      )
      .all(eventId.toLowerCase(), ...serials) as Array<{
      serial: number;
      generation: number;
      status: string;
    }>;
    return new Map(rows.map((r) => [r.serial, { generation: r.generation, status: r.status }]));
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}

/** The cloud's side: the event's history and totals, devices' acknowledged sequences, every stored scan. */
export async function readCloudState(cloud: SimCloud, eventId: string): Promise<CloudState> {
  const [event] = await cloud.query<{ epoch: string; change_seq: string }>(
    'select epoch, change_seq from events where id = $1',
    [eventId],
  );
  if (!event) throw new Error(`the cloud has no event ${eventId}`);
  // The cloud's own totals function: the figures its last manifest page would carry.
  const client = new pg.Client({ connectionString: cloud.databaseUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  let totals: ManifestTotals;
  try {
    totals = await manifestTotals(drizzle(client) as unknown as Executor, eventId);
  } finally {
    await client.end().catch(() => undefined);
  }
  const devices = await cloud.query<{ id: string; acked_seq: string }>('select id, acked_seq from devices');
  const scans = await cloud.query<{
    device_id: string;
    seq: string;
    id: string | null;
    accepted: number | null;
    ticket_serial: string | null;
    quarantined: number;
  }>('select device_id, seq, id, accepted, ticket_serial, quarantined from device_scans');
  return {
    epoch: event.epoch,
    head: Number(event.change_seq),
    totals,
    ackedSeq: Object.fromEntries(devices.map((d) => [d.id, Number(d.acked_seq)])),
    scans: scans.map((s) => ({
      deviceId: s.device_id,
      seq: Number(s.seq),
      id: s.id,
      accepted: s.accepted,
      serial: s.ticket_serial === null ? null : Number(s.ticket_serial),
      quarantined: s.quarantined,
    })),
  };
}

/** The common snapshot of a finished run: every gate's store, the cloud, the crowd's answers, the revocations. */
export async function collectSimState(stage: Stage): Promise<SimState> {
  const { world } = stage;
  return {
    gates: stage.gates.map((gate) => readGateState(gate.storePath, gate.index, world.eventId)),
    cloud: await readCloudState(stage.cloud, world.eventId),
    answers: stage.answers,
    revocations: world.revocations,
  };
}
