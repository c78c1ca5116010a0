/**
 * What the same-ticket invariants read after healing, beyond the common snapshot: each gate's accepted
 * scans with their `unconfirmed` flag and its admission log (SQLite, read-only, the agents stopped), the
 * cloud's admission records of the event (PostgreSQL), and the double admissions of a reconciliation
 * report requested through the cloud's API (a background job: polled, bounded).
 */
import Database from 'better-sqlite3';
import { CloudApiError } from './cloud-api';
import type { GateAdmissionScan, ReportedDouble, ReportedScan } from './same-ticket-checks';
import type { SimCloud } from './sim-cloud';
import { sleep } from './sleep';
import type { SimWorld } from './world';

const REPORT_TIMEOUT_MS = 30_000;

const recordKey = (r: {
  origin: string;
  origin_seq: number | string;
  serial: number | string;
  direction: string;
}) => `${r.origin.toLowerCase()}/${Number(r.origin_seq)}/${Number(r.serial)}/${r.direction}`;

/** A gate's device id, accepted scans of the event, and admission log keys. */
export function readAdmissionLog(path: string, eventId: string) {
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 2_000 });
  try {
    const deviceId = (
      (db.prepare('SELECT device_id FROM device WHERE id = 1').pluck().get() as string | null) ?? ''
    ).toLowerCase();
    const accepted = (
      db
        .prepare(
          `SELECT seq, serial, direction, unconfirmed FROM scans
            WHERE decision = 'accept' AND event_id = ? ORDER BY seq`,
        )
        .all(eventId.toLowerCase()) as Array<{
        seq: number;
        serial: number;
        direction: 'in' | 'out';
        unconfirmed: number;
      }>
    ).map((r): GateAdmissionScan => ({ ...r, unconfirmed: r.unconfirmed === 1 }));
    const records = (
      db
        .prepare('SELECT origin, origin_seq, serial, direction FROM admission_log WHERE event_id = ?')
        .all(eventId.toLowerCase()) as Array<{
        origin: string;
        origin_seq: number;
        serial: number;
        direction: string;
      }>
    ).map(recordKey);
    return { deviceId, accepted, records };
  } finally {
    db.close();
  }
}

/** The cloud's admission records of the event, as `origin/originSeq/serial/direction`. */
export async function readCloudRecords(cloud: SimCloud, eventId: string): Promise<string[]> {
  const rows = await cloud.query<{ origin: string; origin_seq: string; serial: string; direction: string }>(
    'select origin, origin_seq, serial, direction from admissions where event_id = $1',
    [eventId],
  );
  return rows.map(recordKey);
}

interface ReportScanJson {
  deviceId: string | null;
  seq: number | null;
  unconfirmed?: boolean;
}

const side = (s: ReportScanJson): ReportedScan => ({
  deviceId: s.deviceId?.toLowerCase() ?? null,
  seq: s.seq,
  unconfirmed: s.unconfirmed === true,
});

/** Requests a reconciliation of the event and waits (bounded) for its report; its double admissions. */
export async function readReportedDoubles(
  cloud: SimCloud,
  world: SimWorld,
  log: (line: string) => void,
): Promise<ReportedDouble[] | null> {
  const path = `/api/v1/events/${world.eventId}/reconciliation`;
  try {
    await cloud.api(world.admin, 'POST', path);
  } catch (error) {
    log(`reconciliation could not be requested: ${String(error).slice(0, 300)}`);
    return null;
  }
  const deadline = Date.now() + REPORT_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      const latest = await cloud.api<{
        report: {
          doubleAdmissions: Array<{
            serial: number;
            unconfirmed?: boolean;
            first: ReportScanJson;
            second: ReportScanJson;
          }>;
          doubleAdmissionsTruncated: boolean;
        };
      }>(world.admin, 'GET', path);
      if (latest.report.doubleAdmissionsTruncated) log('the report cut its double admissions short');
      return latest.report.doubleAdmissions.map((d) => ({
        serial: d.serial,
        unconfirmed: d.unconfirmed === true,
        first: side(d.first),
        second: side(d.second),
      }));
    } catch (error) {
      if (!(error instanceof CloudApiError) || error.status !== 404) {
        log(`reconciliation report could not be read: ${String(error).slice(0, 300)}`);
        return null;
      }
    }
    await sleep(500);
  }
  log(`no reconciliation report within ${REPORT_TIMEOUT_MS} ms`);
  return null;
}
